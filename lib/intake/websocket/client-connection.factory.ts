import type { ClientConnection } from './client-connection.interface.js';
import { isSocketIoSocket, SocketIoClientConnection } from './socket-io.client-connection.js';
import { isWsSocket, WsClientConnection } from './ws.client-connection.js';

/**
 * The connection of a gateway client as the adapter hands it over: a socket.io `Socket`
 * (`IoAdapter`) or a `ws` WebSocket (`WsAdapter`); `undefined` for the clients of another
 * adapter, whose messages are still tracked but whose connections are left to it.
 *
 * @example
 * const connection = clientConnectionOf(client);
 * if (connection === undefined) logger.warn('cannot close these clients');
 */
export function clientConnectionOf(client: unknown): ClientConnection | undefined {
  // socket.io first: its Socket is not a WebSocket, but its transport's may be one.
  if (isSocketIoSocket(client)) return new SocketIoClientConnection(client.conn);
  if (isWsSocket(client)) return new WsClientConnection(client);
  return undefined;
}
