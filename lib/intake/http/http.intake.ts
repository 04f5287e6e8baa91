import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { safeText } from '../../core/describe.js';
import type { Intake, IntakeHandle } from '../../core/intake.interface.js';
import type { ResolvedHttpIntakeOptions } from './http-intake.options.js';
import type { HttpIntakeReport } from './http-intake.report.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const REFUSAL = 'Service Unavailable: the server is shutting down\n';

/**
 * At the final close, how long connections accepted just before the listener stopped get to
 * deliver their request (and receive its 503), and the most the close waits for them.
 */
const SETTLE_MS = 100;
const SETTLE_CAP_MS = 1000;

/**
 * After intake closed, a keep-alive connection is closed once it has been idle this long. Not
 * at once: under load, a connection that looks idle usually has its next request on the wire,
 * and destroying it would reset that request. Every response now says `Connection: close`, so
 * busy connections end by themselves.
 */
const IDLE_GRACE_MS = 100;

interface ConnectionState {
  /** Requests it is serving now. */
  active: number;
  /** When it last became idle (`performance.now()`). */
  idleSince: number;
}

/**
 * Zero-downtime draining of one HTTP server (Express or Fastify: it works on the Node server
 * underneath). Every request runs as a managed task of the configured priority — the server's
 * own request listeners run inside it, so `currentTask()` works in handlers and a long request
 * can follow its signal. When shutdown begins nothing changes for clients (readiness alone goes
 * down) until the drain delay ends; then intake closes — new connections are refused, idle
 * keep-alive connections closed after a short grace, responses carry `Connection: close` —
 * requests still arriving on open connections join the HTTP wave while it runs and get `503`
 * with `Connection: close` after it, and at FORCEFUL (or after `requestTimeoutMs`) the
 * connections of requests still running are destroyed. Connections used by probes (excluded
 * paths) stay open, so a keep-alive health poller sees the whole drain.
 */
export class HttpIntake implements Intake {
  readonly name = 'http';
  private listeners: RequestListener[] = [];
  /** Responses in flight, tracked or not. */
  private readonly inFlight = new Set<ServerResponse>();
  /** Open connections: how many requests each is serving now, and since when it is idle. */
  private readonly connections = new Map<Socket, ConnectionState>();
  private idleSweep: ReturnType<typeof setInterval> | undefined;
  private readonly counters: HttpIntakeReport = {
    inFlightAtStart: 0,
    admitted: 0,
    refused: 0,
    idleClosed: 0,
    destroyed: 0,
  };
  private draining = false;
  private closed = false;
  private seq = 0;
  private requestTimer: ReturnType<typeof setTimeout> | undefined;
  private handle: IntakeHandle | undefined;

  constructor(
    private readonly server: Server,
    private readonly options: ResolvedHttpIntakeOptions,
  ) {}

  /** Takes over the server's request listeners; `handle` is what `registerIntake` returned. */
  install(handle: IntakeHandle): void {
    this.handle = handle;
    // The framework's handler(s) now run inside a task per request.
    this.listeners = this.server.listeners('request') as RequestListener[];
    this.server.removeAllListeners('request');
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      this.onRequest(req, res),
    );
    const connectionEvent = this.server instanceof TlsServer ? 'secureConnection' : 'connection';
    this.server.on(connectionEvent, (socket: Socket) => {
      this.connections.set(socket, { active: 0, idleSince: performance.now() });
      socket.once('close', () => this.connections.delete(socket));
      this.handle?.noteArrival();
    });
    // An upgraded connection (a WebSocket) is the WebSocket intake's to close, never idle here.
    // Listened to only when the app handles upgrades: a listener changes how Node treats them.
    if (this.server.listenerCount('upgrade') > 0) {
      this.server.on('upgrade', (_req: IncomingMessage, socket: Socket) =>
        this.connections.delete(socket),
      );
    }
  }

  report(): HttpIntakeReport {
    return { ...this.counters };
  }

  shutdownStarted(): void {
    this.draining = true;
    this.counters.inFlightAtStart = this.inFlight.size;
    const timeout = this.options.requestTimeoutMs;
    if (timeout !== undefined)
      this.requestTimer = setTimeout(() => this.destroyInFlight(), timeout);
  }

  /** The drain is over: the load balancer has had its time to notice. */
  intakeClosed(): void {
    this.closeIntake();
  }

  forcefulStarted(): void {
    this.destroyInFlight();
  }

  shutdownEnded(): void {
    if (this.requestTimer !== undefined) clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const connection = this.connections.get(socket);
    if (connection === undefined) this.connections.set(socket, { active: 1, idleSince: 0 });
    else connection.active++;
    if (this.isExcluded(req.url)) {
      // Health probes and metrics: untracked, never refused, their connection left open, so a
      // poller keeps seeing the drain for as long as the server is up.
      res.once('close', () => this.ended(res, socket, false));
      this.forward(req, res);
      return;
    }
    this.inFlight.add(res);
    res.once('close', () => this.ended(res, socket, true));
    if (this.closed) res.setHeader('Connection', 'close');
    const task = this.handle?.admit(
      () => {
        this.forward(req, res);
        return new Promise<void>((resolve) => res.once('close', resolve));
      },
      {
        name: `${req.method ?? 'HTTP'} ${pathOf(req.url)}#${++this.seq}`,
        priority: this.options.priority,
      },
    );
    if (task === undefined) {
      this.refuse(res);
    } else if (this.draining) {
      this.counters.admitted++;
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    for (const listener of this.listeners) listener.call(this.server, req, res);
  }

  /** Too late: the HTTP wave has ended. Clients learn to reconnect elsewhere. */
  private refuse(res: ServerResponse): void {
    this.counters.refused++;
    res.writeHead(503, {
      Connection: 'close',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(REFUSAL),
      'Retry-After': '1',
    });
    res.end(REFUSAL);
  }

  private ended(res: ServerResponse, socket: Socket, tracked: boolean): void {
    this.inFlight.delete(res);
    const connection = this.connections.get(socket);
    if (connection === undefined) return;
    connection.active = Math.max(0, connection.active - 1);
    if (connection.active === 0) connection.idleSince = performance.now();
    // A tracked response whose headers left before intake closed kept its connection alive: the
    // idle sweep closes it after its grace. Probes' connections stay open for the next probe.
    if (!tracked) connection.idleSince = Number.POSITIVE_INFINITY;
  }

  private closeIntake(): void {
    if (this.closed) return;
    this.closed = true;
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.sweepIdle();
    // Unref'd: the sweep must not keep the process alive; the drain's end stops it.
    this.idleSweep = setInterval(() => this.sweepIdle(), IDLE_GRACE_MS / 2);
    this.idleSweep.unref();
    // No new connections: a client told `Connection: close` must reconnect elsewhere, not here
    // (where a final close would race its request). net's close, not http's: http's would
    // destroy idle connections at once, resetting requests already on the wire; the idle sweep
    // closes them after their grace, and probes keep their open connections.
    if (this.server.listening) NetServer.prototype.close.call(this.server);
  }

  /**
   * The last step, just before the adapter closes the server: intake is closed (if the shutdown
   * never ran, now), every connection finishes its exchange, then what is left idle — probes'
   * connections — is closed. Node's own `server.close()` would destroy idle connections at once,
   * resetting a request already on the wire.
   */
  async finish(): Promise<void> {
    this.closeIntake();
    const started = performance.now();
    for (;;) {
      const elapsed = performance.now() - started;
      const busy = [...this.connections.values()].some((connection) => connection.active > 0);
      if (elapsed >= SETTLE_CAP_MS || (!busy && elapsed >= SETTLE_MS)) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (this.idleSweep !== undefined) clearInterval(this.idleSweep);
    this.idleSweep = undefined;
    for (const [socket, connection] of this.connections) {
      if (connection.active === 0 && !socket.destroyed) socket.destroy();
    }
  }

  /** Closes the keep-alive connections idle for longer than the grace (never a probe's). */
  private sweepIdle(): void {
    const now = performance.now();
    for (const [socket, connection] of this.connections) {
      if (connection.active > 0 || socket.destroyed || now - connection.idleSince < IDLE_GRACE_MS)
        continue;
      this.counters.idleClosed++;
      socket.destroy();
    }
  }

  /** FORCEFUL or `requestTimeoutMs`: the requests still running lose their connection. */
  private destroyInFlight(): void {
    for (const res of this.inFlight) {
      if (res.writableEnded || res.socket === null || res.socket.destroyed) continue;
      this.counters.destroyed++;
      res.socket.destroy();
    }
  }

  private isExcluded(url: string | undefined): boolean {
    const path = pathOf(url);
    return this.options.exclude.some(
      (prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`),
    );
  }
}

/** The path of a request for its task name: short, and without bytes that could forge logs. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return safeText(query < 0 ? url : url.slice(0, query), 80);
}
