import { describe, expect, it } from '@jest/globals';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { HttpConnection, announcesClose } from '../../../../lib/intake/http/http-connection.js';

/** A response as Node's server makes it for a keep-alive request (no socket needed to decide). */
function response(socket: Socket): ServerResponse {
  const res = new ServerResponse(new IncomingMessage(socket));
  res.shouldKeepAlive = true;
  return res;
}

describe('HttpConnection', () => {
  const socket = new Socket();

  it('gives the Connection: close to the last of pipelined responses only', () => {
    const connection = new HttpConnection(socket, 0);
    const [first, second, third] = [response(socket), response(socket), response(socket)];
    connection.requestStarted(first, false);
    connection.tellToGo(); // intake closed: the latest response will close the connection
    expect(first.shouldKeepAlive).toBe(false);

    connection.requestStarted(second, false); // pipelined behind it
    connection.closeAfter(second);
    connection.requestStarted(third, false);
    connection.closeAfter(third);
    expect([first, second, third].map((res) => res.shouldKeepAlive)).toEqual([true, true, false]);
  });

  it('keeps the role where it is once that response has gone out; requests after it are late', () => {
    const connection = new HttpConnection(socket, 0);
    const first = response(socket);
    connection.requestStarted(first, false);
    connection.tellToGo();
    first.writeHead(200); // its headers, with Connection: close, are out
    expect(connection.closeCommitted).toBe(true);
    expect(announcesClose(first)).toBe(true);
  });

  it('leaves a probe open: its response keeps the connection, a response before it too', () => {
    const connection = new HttpConnection(socket, 0);
    const tracked = response(socket);
    const probe = response(socket);
    connection.requestStarted(tracked, false);
    connection.tellToGo();
    connection.requestStarted(probe, true);
    expect([tracked.shouldKeepAlive, probe.shouldKeepAlive]).toEqual([true, true]);
    expect(connection.probe).toBe(true);
  });

  it('ends the tasks of responses that will never be sent when the connection closes', async () => {
    const connection = new HttpConnection(socket, 0);
    const queued = response(socket);
    connection.requestStarted(queued, false);
    const done = connection.whenDone(queued);
    connection.closed();
    await expect(done).resolves.toBeUndefined();
    expect(connection.active).toBe(0);
  });

  it('is idle once its last response closed, and receiving as soon as a byte more came in', () => {
    const fake = new Socket();
    let bytes = 100;
    Object.defineProperty(fake, 'bytesRead', { get: () => bytes });
    const connection = new HttpConnection(fake, 0);
    const res = response(fake);
    connection.requestStarted(res, false);
    expect(connection.isQuiet(undefined)).toBe(false);
    expect(connection.requestEnded(res, 50)).toBe(true);
    expect([connection.idleSince, connection.isQuiet(undefined)]).toEqual([50, true]);
    bytes = 120; // part of a next request: its headers are not complete
    expect(connection.isReceiving(undefined)).toBe(true);
    // Node lists a connection that has sent nothing yet as inside a request (headers timeout):
    // not a request arriving until a byte came.
    const fresh = new Socket();
    expect(new HttpConnection(fresh, 0).isReceiving(new Set([fresh]))).toBe(false);
  });
});
