import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP load balancer made small, on loopback: each connection goes to the first of `targets`
 * (ports) that accepts it — an instance that stopped listening is skipped, as a load balancer
 * skips an endpoint that left. Lets a test watch clients reconnect to "another instance".
 */
export class FailoverProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly targets: readonly number[]) {
    this.server = createServer((client) => this.route(client));
  }

  /** Starts listening on a free loopback port. */
  static async start(targets: readonly number[]): Promise<FailoverProxy> {
    const proxy = new FailoverProxy(targets);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and destroys every connection it carries. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private route(client: Socket, index = 0): void {
    this.track(client);
    if (index >= this.targets.length) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targets[index], '127.0.0.1');
    this.track(upstream);
    const refused = (): void => {
      upstream.destroy();
      this.route(client, index + 1);
    };
    upstream.once('error', refused);
    upstream.once('connect', () => {
      upstream.off('error', refused);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  private track(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
