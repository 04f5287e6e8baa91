import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Node's list of an HTTP server's connections (`server[kConnections]`, Node ≥ 18.2). */
interface ConnectionsList {
  active(): { socket?: unknown }[];
}

/**
 * The connections whose HTTP parser is inside a request right now — headers or body partly
 * read, the request not complete — or `undefined` where Node does not expose the list. It is
 * the list `server.closeIdleConnections()` consults: `socket.bytesRead` alone cannot tell a
 * request half-read from the tail of the previous one when both came in one packet.
 *
 * @example
 * socketsReceiving(server)?.has(socket); // true: closing it would cut a request
 */
export function socketsReceiving(server: Server): Set<Socket> | undefined {
  const key = Object.getOwnPropertySymbols(server).find(
    (symbol) => symbol.description === 'http.server.connections',
  );
  const list = key === undefined ? undefined : (server as unknown as Record<symbol, unknown>)[key];
  if (typeof (list as Partial<ConnectionsList> | undefined)?.active !== 'function')
    return undefined;
  const sockets = new Set<Socket>();
  for (const parser of (list as ConnectionsList).active()) {
    if (parser.socket !== undefined && parser.socket !== null) sockets.add(parser.socket as Socket);
  }
  return sockets;
}
