import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const BODY = 'Service Unavailable: the server is shutting down\n';

/**
 * Answers `res` with `503`, `Connection: close` and `Retry-After: 1`: the request came too late
 * to be served here (its wave has ended), and the client learns to retry elsewhere.
 *
 * @example
 * if (handle.admit(serve, options) === undefined) refuseResponse(res);
 */
export function refuseResponse(res: ServerResponse): void {
  res.writeHead(503, {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(BODY),
    'Retry-After': '1',
  });
  res.end(BODY);
}

/** The same answer as raw bytes, for a request whose headers never finished arriving. */
const RAW_REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n' +
  `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n` +
  `Retry-After: 1\r\n\r\n${BODY}`;

/**
 * At the final close, a connection still receiving a request (a client sending it too slowly to
 * finish within the budgets) gets the `503` — as Node answers its own request timeouts — rather
 * than a silent close, then the connection ends.
 */
export function refuseSocket(socket: Socket): void {
  if (socket.writable) socket.end(RAW_REFUSAL, () => socket.destroy());
  else socket.destroy();
}
