import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { deferred, type TestDeferred } from './deferred.js';

/** What the echo gateway of the process fixture replies (`test/process/fixtures/ws-gateway-app.ts`). */
export interface EchoReply {
  client: string;
  id: number;
  /** The name of the managed task the handler ran in, or `null` when it ran in none. */
  task: string | null;
  instance: string;
}

/** How a client saw its connection end. */
export interface ClientClose {
  /** The WebSocket close code the client received (1006: no close frame). */
  code: number;
  reason: string;
  /** `performance.now()` in the test process. */
  at: number;
  /** socket.io only: the `disconnect` reason (`transport close`, `io server disconnect` …). */
  disconnectReason?: string;
}

/**
 * A client of the echo gateway that keeps one request in flight: it sends `echo` #1, and each
 * reply sends the next one, until its connection closes. It records when each message left and
 * which got a reply, so a test can tell whether a reply was lost.
 */
export abstract class EchoClient {
  /** Sent message ids → when they left (`performance.now()`). */
  readonly sent = new Map<number, number>();
  /** Replies received, by message id, with their arrival time. */
  readonly replies = new Map<number, EchoReply & { at: number }>();
  /** The first close of the connection. */
  readonly closed: TestDeferred<ClientClose> = deferred<ClientClose>();
  readonly opened: TestDeferred = deferred();
  private delayMs = 0;
  private running = false;
  private nextId = 1;
  private readonly replyWaiters: { count: number; done: () => void }[] = [];

  constructor(readonly name: string) {}

  /** Starts the request loop: one `echo` in flight at a time, each taking `delayMs` to answer. */
  start(delayMs: number): void {
    this.delayMs = delayMs;
    this.running = true;
    this.sendNext();
  }

  /** Resolves once `count` replies have arrived in all. */
  repliesReached(count: number): Promise<void> {
    if (this.replies.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.replyWaiters.push({ count, done: resolve }));
  }

  /** Message ids sent but never answered. */
  unanswered(): number[] {
    return [...this.sent.keys()].filter((id) => !this.replies.has(id));
  }

  /** Closes the connection (if still open) and releases everything the client holds. */
  abstract dispose(): Promise<void>;

  protected abstract transmit(body: { client: string; id: number; delayMs: number }): void;

  protected onReply(reply: EchoReply): void {
    this.replies.set(reply.id, { ...reply, at: performance.now() });
    for (let i = this.replyWaiters.length - 1; i >= 0; i--) {
      if (this.replies.size >= this.replyWaiters[i].count) {
        this.replyWaiters[i].done();
        this.replyWaiters.splice(i, 1);
      }
    }
    this.sendNext();
  }

  protected onClosed(close: ClientClose): void {
    this.running = false;
    if (!this.closed.settled) this.closed.resolve(close);
  }

  private sendNext(): void {
    if (!this.running || this.closed.settled) return;
    const id = this.nextId++;
    this.sent.set(id, performance.now());
    this.transmit({ client: this.name, id, delayMs: this.delayMs });
  }
}

/** An echo client over a plain WebSocket (`ws`), for `@nestjs/platform-ws` gateways. */
export class WsEchoClient extends EchoClient {
  private readonly socket: WebSocket;

  constructor(name: string, url: string) {
    super(name);
    this.socket = new WebSocket(url);
    this.socket.once('open', () => this.opened.resolve());
    this.socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { event: string; data: EchoReply };
      if (message.event === 'reply') this.onReply(message.data);
    });
    this.socket.once('close', (code: number, reason: Buffer) =>
      this.onClosed({ code, reason: reason.toString(), at: performance.now() }),
    );
    this.socket.on('error', (error) => {
      if (!this.opened.settled) this.opened.reject(error);
    });
  }

  protected transmit(body: { client: string; id: number; delayMs: number }): void {
    this.socket.send(JSON.stringify({ event: 'echo', data: body }));
  }

  async dispose(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const gone = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.terminate();
    await gone;
  }
}

/** The details socket.io-client gives with a `disconnect` caused by a WebSocket close. */
interface DisconnectDetails {
  context?: { code?: number; reason?: string | Buffer };
}

/**
 * An echo client over socket.io (WebSocket transport), for `@nestjs/platform-socket.io`
 * gateways. With `reconnect`, it reconnects as socket.io clients do (with their jitter) and
 * records each reconnection.
 */
export class SocketIoEchoClient extends EchoClient {
  readonly socket: Socket;
  /** Resolves at the first connection after the first disconnect. */
  readonly reconnected: TestDeferred<{ at: number }> = deferred<{ at: number }>();

  constructor(name: string, url: string, options: { reconnect?: boolean } = {}) {
    super(name);
    this.socket = io(url, {
      transports: ['websocket'],
      reconnection: options.reconnect === true,
      // socket.io's own defaults, said here because the tests rely on the jitter.
      reconnectionDelay: 1000,
      randomizationFactor: 0.5,
    });
    this.socket.on('connect', () => {
      if (!this.opened.settled) this.opened.resolve();
      else if (this.closed.settled && !this.reconnected.settled)
        this.reconnected.resolve({ at: performance.now() });
    });
    this.socket.on('connect_error', (error) => {
      if (!this.opened.settled) this.opened.reject(error);
    });
    this.socket.on('reply', (reply: EchoReply) => this.onReply(reply));
    this.socket.on('disconnect', (reason: string, details?: unknown) => {
      const context = (details as DisconnectDetails | undefined)?.context;
      this.onClosed({
        code: context?.code ?? 0,
        reason: context?.reason?.toString() ?? '',
        at: performance.now(),
        disconnectReason: reason,
      });
    });
  }

  /** One request over the current connection, outside the loop; resolves with its reply. */
  ask(id: number): Promise<EchoReply> {
    return new Promise((resolve) => {
      const onReply = (reply: EchoReply): void => {
        if (reply.id !== id) return;
        this.socket.off('reply', onReply);
        resolve(reply);
      };
      this.socket.on('reply', onReply);
      this.socket.emit('echo', { client: this.name, id, delayMs: 0 });
    });
  }

  protected transmit(body: { client: string; id: number; delayMs: number }): void {
    this.socket.emit('echo', body);
  }

  async dispose(): Promise<void> {
    this.socket.io.reconnection(false);
    this.socket.disconnect();
    this.socket.io.engine?.close();
    await Promise.resolve();
  }
}
