import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** How a raw connection ended, as the client saw it. */
export interface RawClose {
  /** The server's FIN arrived (a clean close) before the socket closed. */
  endedByServer: boolean;
  /** The socket error, if any: `ECONNRESET` for a reset, `ECONNREFUSED` for a refusal. */
  errorCode: string | undefined;
}

/** Where to connect: plain TCP, or TLS trusting `ca` (a self-signed test certificate). */
export interface RawTarget {
  port: number;
  ca?: string;
}

/**
 * A client connection the test drives byte by byte — pipelining, half-sent requests, HTTP/1.0,
 * `Expect: 100-continue`, slow bodies — and whose every received byte and way of ending it
 * records. `connected` resolves once the connection (and its TLS handshake) is up.
 */
export class RawHttpConnection {
  readonly socket: Socket;
  readonly connected: Promise<void>;
  readonly closed: Promise<RawClose>;
  received = '';
  private endedByServer = false;
  private errorCode: string | undefined;

  constructor(target: RawTarget) {
    this.socket =
      target.ca === undefined
        ? tcpConnect(target.port, '127.0.0.1')
        : tlsConnect({
            port: target.port,
            host: '127.0.0.1',
            ca: target.ca,
            servername: 'localhost',
          });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => (this.received += chunk));
    this.socket.on('end', () => (this.endedByServer = true));
    this.socket.on('error', (error: NodeJS.ErrnoException) => (this.errorCode ??= error.code));
    this.connected = new Promise((resolve, reject) => {
      const event = target.ca === undefined ? 'connect' : 'secureConnect';
      const onError = (error: Error): void => reject(error);
      this.socket.once(event, () => {
        this.socket.off('error', onError);
        resolve();
      });
      this.socket.once('error', onError);
    });
    // The connection may fail on purpose (a refusal under test): `connected` is then awaited
    // only by tests that expect success.
    this.connected.catch(() => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () =>
        resolve({ endedByServer: this.endedByServer, errorCode: this.errorCode }),
      ),
    );
  }

  /** Writes raw bytes (part of a request, several requests, a body chunk). */
  write(text: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(text, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Sends a complete GET on this connection (HTTP/1.1 keep-alive unless headers say otherwise). */
  get(path: string, headers = ''): Promise<void> {
    return this.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`);
  }

  /** The status lines received so far, in order. */
  get statuses(): number[] {
    return [...this.received.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
  }

  /** The header block of the `index`th response received (lower-cased). */
  headersOf(index: number): string {
    const starts = [...this.received.matchAll(/HTTP\/1\.[01] \d{3}/g)].map((m) => m.index);
    const start = starts[index];
    if (start === undefined) return '';
    const end = this.received.indexOf('\r\n\r\n', start);
    return this.received.slice(start, end < 0 ? undefined : end).toLowerCase();
  }

  /**
   * Resolves once `count` final responses (not `100 Continue`) have arrived in full (their last
   * byte is `marker`); rejects if the connection closes first, with what was received.
   */
  untilText(text: string, count = 1): Promise<void> {
    const seen = (): boolean => this.received.split(text).length - 1 >= count;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!seen()) return;
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        if (seen()) resolve();
        else
          reject(
            new Error(
              `connection closed before ${count} × "${text}"; received:\n${this.received}` +
                ` (error ${this.errorCode ?? 'none'}, server FIN ${String(this.endedByServer)})`,
            ),
          );
      };
      const cleanup = (): void => {
        this.socket.off('data', check);
        this.socket.off('close', onClose);
      };
      this.socket.on('data', check);
      this.socket.on('close', onClose);
      check();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
