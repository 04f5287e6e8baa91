import type { ClientConnection } from './client-connection.interface.js';
import { isWsSocket, type WsSocketLike } from './ws.client-connection.js';

/** The part of an engine.io server socket (`socket.conn`) the intake uses. */
interface EngineSocketLike {
  readonly readyState: string;
  readonly writeBuffer: readonly unknown[];
  readonly upgrading?: boolean;
  readonly transport?: { readonly name?: string; readonly socket?: unknown };
  close(discard?: boolean): void;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

/**
 * Whether `client` looks like a socket.io server `Socket` (`@nestjs/platform-socket.io`).
 *
 * @example
 * if (isSocketIoSocket(client)) new SocketIoClientConnection(client.conn);
 */
export function isSocketIoSocket(client: unknown): client is { conn: EngineSocketLike } {
  if (typeof client !== 'object' || client === null || !('nsp' in client)) return false;
  const conn = (client as { conn?: Partial<Record<keyof EngineSocketLike, unknown>> }).conn;
  return (
    typeof conn === 'object' &&
    conn !== null &&
    typeof conn.readyState === 'string' &&
    Array.isArray(conn.writeBuffer) &&
    typeof conn.close === 'function' &&
    typeof conn.once === 'function' &&
    typeof conn.removeListener === 'function'
  );
}

/**
 * A client of `@nestjs/platform-socket.io`: the engine.io connection under the socket.io socket
 * (every namespace of one client shares it). Over the WebSocket transport it ends with a real
 * close frame carrying the code and reason — socket.io clients see the `disconnect` reason
 * `transport close`, and reconnect (with their jitter), as they do from a lost connection; an
 * `io server disconnect` would leave them disconnected for good. Over long-polling, engine.io's
 * close packet (no code there): the client sees `transport close` too.
 *
 * @example
 * new SocketIoClientConnection(socket.conn).close(1001, 'server shutting down');
 */
export class SocketIoClientConnection implements ClientConnection {
  private drainListener: (() => void) | undefined;

  constructor(private readonly conn: EngineSocketLike) {}

  get key(): object {
    return this.conn;
  }

  close(code: number, reason: string): void {
    if (this.conn.readyState !== 'open' || this.drainListener !== undefined) return;
    const socket = this.webSocket();
    // Long-polling (or an upgrade in progress): engine.io's close, discarding the transport so
    // that it answers the pending poll with its close packet, or ends at once when there is none
    // — never its 30-second wait for a poll from a client that may be gone.
    const send =
      socket === undefined ? () => this.conn.close(true) : () => socket.close(code, reason);
    const sendAfterDrain = (): void => {
      this.drainListener = undefined;
      send();
    };
    // Replies the app emitted may still sit in engine.io's buffer: the close goes after them,
    // or they would be lost.
    if (this.conn.writeBuffer.length === 0) send();
    else {
      this.drainListener = sendAfterDrain;
      this.conn.once('drain', sendAfterDrain);
    }
  }

  terminate(): void {
    if (this.conn.readyState === 'closed') return;
    const socket = this.webSocket();
    if (socket !== undefined) socket.terminate();
    else this.conn.close(true);
  }

  onGone(listener: () => void): void {
    if (this.conn.readyState === 'closed') {
      queueMicrotask(listener);
      return;
    }
    this.conn.once('close', () => {
      if (this.drainListener !== undefined) this.conn.removeListener('drain', this.drainListener);
      this.drainListener = undefined;
      listener();
    });
  }

  /** The `ws` WebSocket under the WebSocket transport, when that is the transport in use. */
  private webSocket(): WsSocketLike | undefined {
    const transport = this.conn.transport;
    if (this.conn.upgrading === true || transport?.name !== 'websocket') return undefined;
    return isWsSocket(transport.socket) ? transport.socket : undefined;
  }
}
