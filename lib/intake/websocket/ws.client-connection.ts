import type { ClientConnection } from './client-connection.interface.js';

/**
 * The part of a `ws` WebSocket the intake uses (duck-typed: the application's copy of `ws`).
 *
 * @example
 * const socket: WsSocketLike = new WebSocket(url);
 */
export interface WsSocketLike {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  once(event: 'close', listener: () => void): unknown;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/**
 * Whether `client` looks like a `ws` WebSocket (`@nestjs/platform-ws`, engine.io's transport).
 *
 * @example
 * if (isWsSocket(client)) client.close(1001, 'server shutting down');
 */
export function isWsSocket(client: unknown): client is WsSocketLike {
  if (typeof client !== 'object' || client === null) return false;
  const socket = client as Partial<Record<keyof WsSocketLike, unknown>>;
  return (
    typeof socket.readyState === 'number' &&
    typeof socket.close === 'function' &&
    typeof socket.terminate === 'function' &&
    typeof socket.once === 'function'
  );
}

/**
 * A client of `@nestjs/platform-ws`: a `ws` WebSocket. `ws` queues the close frame after the
 * frames already sent, so replies written before `close()` reach the client first.
 *
 * @example
 * new WsClientConnection(socket).close(1001, 'server shutting down');
 */
export class WsClientConnection implements ClientConnection {
  constructor(private readonly socket: WsSocketLike) {}

  get key(): object {
    return this.socket;
  }

  close(code: number, reason: string): void {
    const state = this.socket.readyState;
    if (state === OPEN || state === CONNECTING) this.socket.close(code, reason);
  }

  terminate(): void {
    if (this.socket.readyState !== CLOSED) this.socket.terminate();
  }

  onGone(listener: () => void): void {
    if (this.socket.readyState === CLOSED) queueMicrotask(listener);
    else this.socket.once('close', listener);
  }
}
