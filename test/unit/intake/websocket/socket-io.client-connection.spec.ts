import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { clientConnectionOf } from '../../../../lib/intake/websocket/client-connection.factory.js';
import { SocketIoClientConnection } from '../../../../lib/intake/websocket/socket-io.client-connection.js';
import { WsClientConnection } from '../../../../lib/intake/websocket/ws.client-connection.js';
import { flushMicrotasks } from '../../../support/deferred.js';

/** The part of a `ws` WebSocket the intake touches, recording calls. */
class FakeWs extends EventEmitter {
  readyState = 1;
  readonly calls: string[] = [];
  close(code?: number, reason?: string): void {
    this.calls.push(`close ${code} ${reason}`);
    this.readyState = 2;
  }
  terminate(): void {
    this.calls.push('terminate');
    this.readyState = 3;
    this.emit('close');
  }
}

/** An engine.io server socket, as far as the intake sees it. */
class FakeEngineSocket extends EventEmitter {
  readyState = 'open';
  writeBuffer: unknown[] = [];
  upgrading = false;
  readonly calls: string[] = [];
  constructor(public transport: { name: string; socket?: unknown }) {
    super();
  }
  close(discard?: boolean): void {
    this.calls.push(`engine close ${discard === true ? 'discard' : ''}`.trim());
  }
}

describe('client connections', () => {
  it('recognises socket.io sockets by their engine.io connection, ws sockets by their shape', () => {
    const ws = new FakeWs();
    const conn = new FakeEngineSocket({ name: 'websocket', socket: new FakeWs() });
    expect(clientConnectionOf(ws)).toBeInstanceOf(WsClientConnection);
    expect(clientConnectionOf({ nsp: {}, conn })).toBeInstanceOf(SocketIoClientConnection);
    // Two namespaces of one client share one connection: one key.
    expect(clientConnectionOf({ nsp: {}, conn })?.key).toBe(conn);
    expect(clientConnectionOf({ send() {} })).toBeUndefined();
    expect(clientConnectionOf(null)).toBeUndefined();
  });

  it('ws: a close frame with the code and reason, once; terminate when asked', () => {
    const ws = new FakeWs();
    const connection = new WsClientConnection(ws);
    connection.close(1001, 'bye');
    connection.close(1001, 'bye');
    connection.terminate();
    expect(ws.calls).toEqual(['close 1001 bye', 'terminate']);
  });

  it('socket.io over WebSocket: the close frame waits for the replies engine.io still holds', () => {
    const ws = new FakeWs();
    const conn = new FakeEngineSocket({ name: 'websocket', socket: ws });
    const connection = new SocketIoClientConnection(conn);
    conn.writeBuffer.push('a reply');

    connection.close(1001, 'bye');
    expect(ws.calls).toEqual([]);
    conn.writeBuffer = [];
    conn.emit('drain');
    expect(ws.calls).toEqual(['close 1001 bye']);
    expect(conn.calls).toEqual([]);
  });

  it('socket.io over long-polling: engine.io’s own close, discarding the transport', () => {
    const conn = new FakeEngineSocket({ name: 'polling' });
    new SocketIoClientConnection(conn).close(1001, 'bye');
    expect(conn.calls).toEqual(['engine close discard']);
  });

  it('socket.io: a close waiting for its drain is dropped with the connection, listener and all', async () => {
    const conn = new FakeEngineSocket({ name: 'websocket', socket: new FakeWs() });
    const connection = new SocketIoClientConnection(conn);
    const gone: string[] = [];
    connection.onGone(() => gone.push('gone'));
    conn.writeBuffer.push('a reply');
    connection.close(1001, 'bye');
    expect(conn.listenerCount('drain')).toBe(1);

    conn.readyState = 'closed';
    conn.emit('close');
    await flushMicrotasks();
    expect(gone).toEqual(['gone']);
    expect(conn.listenerCount('drain')).toBe(0);
  });
});
