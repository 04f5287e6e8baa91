import { connect, type Socket } from 'node:net';
import { parseSseEvents, type ParsedSseEvent } from './sse-events.js';

/**
 * A raw HTTP/1.1 client for one request, on its own connection: it writes the request itself and
 * decodes the response byte for byte — status line, headers, chunked body — so a test sees
 * whether the body ended with its last chunk (`0\r\n\r\n`) or was cut.
 */
export class RawHttpExchange {
  readonly socket: Socket;
  private raw = '';
  readonly closed: Promise<void>;
  private readonly listeners = new Set<() => void>();

  constructor(port: number, path: string) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => {
      this.raw += chunk;
      for (const listener of [...this.listeners]) listener();
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('close', () => {
      for (const listener of [...this.listeners]) listener();
    });
    this.socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
    );
  }

  /** The status line and headers, once received (lower-cased names). */
  get head(): { status: number; headers: Record<string, string> } | undefined {
    const end = this.raw.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = this.raw.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status: Number(statusLine.split(' ')[1]), headers };
  }

  /** The body decoded so far, and whether its last chunk (size 0, then CRLF) has arrived. */
  get body(): { text: string; complete: boolean } {
    const start = this.raw.indexOf('\r\n\r\n');
    if (start < 0) return { text: '', complete: false };
    const head = this.head;
    let rest = this.raw.slice(start + 4);
    if (head?.headers['transfer-encoding'] !== 'chunked') {
      const length = Number(head?.headers['content-length']);
      return { text: rest, complete: Number.isFinite(length) && rest.length >= length };
    }
    let text = '';
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) return { text, complete: false };
      const size = parseInt(rest.slice(0, lineEnd), 16);
      if (size === 0) return { text, complete: rest.slice(lineEnd + 2).startsWith('\r\n') };
      if (rest.length < lineEnd + 2 + size + 2) return { text, complete: false };
      text += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
  }

  /** The events of an event-stream body so far. */
  get events(): ParsedSseEvent[] {
    return parseSseEvents(Buffer.from(this.body.text, 'latin1').toString('utf8'));
  }

  /** Resolves once `condition` holds; rejects if the connection closes first. */
  until(condition: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          this.listeners.delete(check);
          resolve();
        } else if (this.socket.destroyed) {
          this.listeners.delete(check);
          reject(new Error(`connection closed before ${what}; received:\n${this.raw}`));
        }
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves once the whole response has arrived. */
  complete(): Promise<void> {
    return this.until(() => this.body.complete, 'the end of the body');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
