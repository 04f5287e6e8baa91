import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { deferred, type TestDeferred } from './deferred.js';
import type { ClientClose } from './echo-clients.js';

/** The two Nest WebSocket transports the tests cover. */
export type GatewayTransport = 'ws' | 'socket.io';

/** An event a gateway sent, as the client received it. */
export interface GatewayEvent {
  event: string;
  data: unknown;
  /** `performance.now()` at arrival. */
  at: number;
}

/**
 * A real client of a Nest gateway (`ws` for `WsAdapter`, socket.io-client over its WebSocket
 * transport for `IoAdapter`) that records every event and how the connection ended, in order.
 */
export interface GatewayClient {
  readonly opened: Promise<void>;
  readonly closed: Promise<ClientClose>;
  /** Everything received, in arrival order. */
  readonly events: readonly GatewayEvent[];
  send(event: string, data: unknown): void;
  /** The first event named `event` (past or future). */
  next(event: string): Promise<GatewayEvent>;
  /** Closes the connection if still open; nothing stays behind. */
  dispose(): Promise<void>;
}

/** Connects to the gateway on `port` of 127.0.0.1 over `transport`. */
export function openGatewayClient(transport: GatewayTransport, port: number): GatewayClient {
  return transport === 'ws' ? wsClient(port) : socketIoClient(port);
}

class Recorder {
  readonly events: GatewayEvent[] = [];
  readonly opened: TestDeferred = deferred();
  readonly closed: TestDeferred<ClientClose> = deferred<ClientClose>();
  private readonly waiters: { event: string; resolve: (e: GatewayEvent) => void }[] = [];

  push(event: string, data: unknown): void {
    const received = { event, data, at: performance.now() };
    this.events.push(received);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].event !== event) continue;
      this.waiters[i].resolve(received);
      this.waiters.splice(i, 1);
    }
  }

  next(event: string): Promise<GatewayEvent> {
    const seen = this.events.find((e) => e.event === event);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ event, resolve }));
  }
}

function wsClient(port: number): GatewayClient {
  const recorder = new Recorder();
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  socket.once('open', () => recorder.opened.resolve());
  socket.on('error', (error) => {
    if (!recorder.opened.settled) recorder.opened.reject(error);
  });
  socket.on('message', (raw: Buffer) => {
    const { event, data } = JSON.parse(raw.toString()) as { event: string; data: unknown };
    recorder.push(event, data);
  });
  socket.once('close', (code: number, reason: Buffer) =>
    recorder.closed.resolve({ code, reason: reason.toString(), at: performance.now() }),
  );
  return {
    opened: recorder.opened.promise,
    closed: recorder.closed.promise,
    events: recorder.events,
    send: (event, data) => socket.send(JSON.stringify({ event, data })),
    next: (event) => recorder.next(event),
    async dispose() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.terminate();
      await recorder.closed.promise;
    },
  };
}

interface DisconnectDetails {
  context?: { code?: number; reason?: string | Buffer };
}

function socketIoClient(port: number): GatewayClient {
  const recorder = new Recorder();
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
  socket.on('connect', () => recorder.opened.resolve());
  socket.on('connect_error', (error) => {
    if (!recorder.opened.settled) recorder.opened.reject(error);
  });
  socket.onAny((event: string, data: unknown) => recorder.push(event, data));
  socket.on('disconnect', (reason: string, details?: unknown) => {
    const context = (details as DisconnectDetails | undefined)?.context;
    recorder.closed.resolve({
      code: context?.code ?? 0,
      reason: context?.reason?.toString() ?? '',
      at: performance.now(),
      disconnectReason: reason,
    });
  });
  return {
    opened: recorder.opened.promise,
    closed: recorder.closed.promise,
    events: recorder.events,
    send: (event, data) => socket.emit(event, data),
    next: (event) => recorder.next(event),
    async dispose() {
      if (socket.connected) {
        socket.disconnect();
        await recorder.closed.promise;
      }
      socket.io.engine?.close();
    },
  };
}
