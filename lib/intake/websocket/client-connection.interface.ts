/**
 * One client connection of a gateway, whatever its transport: what the WebSocket intake needs
 * to close it politely, or at once.
 *
 * @example
 * const connection = clientConnectionOf(client); // a `ws` WebSocket or a socket.io Socket
 * connection?.onGone(() => console.log('closed'));
 * connection?.close(1001, 'server shutting down');
 */
export interface ClientConnection {
  /**
   * The identity of the connection: the same for every gateway client carried by it (the
   * socket.io namespaces of one engine.io connection share one).
   */
  readonly key: object;
  /** Sends the close frame once what was already sent on it has left; the client answers it. */
  close(code: number, reason: string): void;
  /** Destroys the connection now. */
  terminate(): void;
  /** Calls `listener` once when the connection is gone — in a microtask if it already is. */
  onGone(listener: () => void): void;
}
