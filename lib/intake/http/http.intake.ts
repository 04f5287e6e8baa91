import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Observable, Subscription } from 'rxjs';
import { safeText } from '../../core/describe.js';
import type { Intake, IntakeHandle } from '../../core/intake.interface.js';
import type { LifecycleEvent } from '../../core/lifecycle-event.interface.js';
import { DEFAULT_DRAIN } from '../../core/lifecycle-options.validator.js';
import { AfterPoll } from './after-poll.js';
import { HttpConnection } from './http-connection.js';
import type { ResolvedHttpIntakeOptions } from './http-intake.options.js';
import type { HttpIntakeReport } from './http-intake.report.js';
import { refuseResponse, refuseSocket } from './http-refusal.js';
import { socketsReceiving } from './receiving-sockets.js';
import { watchWaveEnd } from './wave-end.watch.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Where a tracked response keeps its connection, for the intake's one shared `close` handler. */
const kConnection = Symbol('httpIntake.connection');
type TrackedResponse = ServerResponse & { [kConnection]?: HttpConnection };

/** What `safeText` would escape in a path: the task name takes the path as is without it. */
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** The longest path a task name keeps (longer ones are cut, with an ellipsis). */
const NAME_PATH_MAX = 80;

/** How often connections are looked at once intake closed. */
const SWEEP_MS = 100;
/**
 * At the final close, how long a connection accepted just before gets to start its request,
 * and the most the close waits for requests still being received or answered.
 */
const SETTLE_MS = 100;
const SETTLE_CAP_MS = 1000;
const SETTLE_POLL_MS = 10;
/** The most turns of the event loop the listener's close waits for its accept queue to empty. */
const LISTENER_CLOSE_TURNS = 100;

/** What the intake needs from the coordinator beyond its handle. */
export interface HttpIntakeContext {
  /** `coordinator.events$`: tells the intake when the HTTP wave has ended. */
  readonly events?: Observable<LifecycleEvent>;
  /**
   * How long no request may have arrived — on any connection — before an idle keep-alive
   * connection is closed: the drain's `quietMs`, or 1000 ms with a fixed drain.
   */
  readonly quietMs?: number;
  /**
   * How long after intake closed new connections are still accepted (while the HTTP wave runs):
   * half the graceful budget, so that what is accepted last still has the other half to finish.
   * Default 15 s.
   */
  readonly acceptAfterCloseMs?: number;
  /**
   * The coordinator's `asyncContext`: handlers run inside their request's task, so that
   * `currentTask()` works there. Default `true`. When `false`, nothing in a handler can reach
   * its task: a request that arrives before the shutdown is only counted on its connection,
   * and the shutdown makes a task of each one still in flight when it begins — the drain waits
   * for it as for any other.
   */
  readonly asyncContext?: boolean;
}

/** `acceptAfterCloseMs` when the coordinator does not say: half of GRACEFUL's default 30 s. */
const DEFAULT_ACCEPT_AFTER_CLOSE_MS = 15_000;

/** A socket after an upgrade: Node freed its HTTP parser and handed it to the app. */
function isUpgraded(socket: Socket): boolean {
  return !socket.destroyed && (socket as { parser?: unknown }).parser == null;
}

/**
 * Zero-downtime draining of one HTTP or HTTPS server (Express or Fastify: it works on the Node
 * server underneath). Every request runs as a managed task of the configured priority, in stop
 * mode `drain`; the server's own request listeners run inside it, so `currentTask()` works in
 * handlers. Without async context (`asyncContext: false`) no handler can see its task, so a
 * request that arrives before the shutdown is only counted on its connection — the cheapest
 * tracking — and becomes a task if a shutdown begins while it is in flight.
 *
 * During a shutdown: nothing changes for clients while the drain lasts (readiness alone goes
 * down; every request admitted counts as an arrival for the measured drain). When intake closes,
 * the connections open then are told to go — the last response queued on each says `Connection:
 * close` — but the server keeps accepting while the HTTP wave runs: a load balancer that noticed
 * late still has its requests served, on connections that are kept, and a request still
 * arriving holds that wave open. Idle keep-alive connections are closed (a FIN) only once no
 * request has arrived for `quietMs`. When the HTTP wave has ended — or `acceptAfterCloseMs`
 * after intake closed, for traffic that never stops — the listener closes (new connections are
 * refused, which a load balancer retries elsewhere) and, a moment later — time for a successor on
 * the same port to bind it —, every connection is told to go; after the
 * wave, a request on a connection still open gets `503` with `Connection: close`. At FORCEFUL (or
 * `requestTimeoutMs`) the connections of requests still running are destroyed. Upgraded
 * connections (WebSockets) are never touched: they belong to their own intake. A probe's
 * connection (excluded paths) stays open until the final close.
 *
 * @example
 * const intake = new HttpIntake(server, resolveHttpIntakeOptions(true)!, {
 *   events: coordinator.events$,
 *   quietMs: coordinator.options.drain.quietMs,
 *   acceptAfterCloseMs: coordinator.options.gracefulMs / 2,
 * });
 * intake.install(coordinator.registerIntake(intake));
 * // the adapter's close, before the server closes:
 * await intake.finish();
 */
export class HttpIntake implements Intake {
  readonly name = 'http';
  private listeners: RequestListener[] = [];
  /** `exclude` split once: paths excluded as they are, and prefixes ending in `/`. */
  private readonly excludedPaths: readonly string[];
  private readonly excludedPrefixes: readonly string[];
  /**
   * The one `close` listener of every response (`this` is the response): a prebuilt function
   * rather than a closure and a `once` wrapper per request.
   */
  private readonly responseClosed: (this: TrackedResponse) => void;
  private readonly connections = new Map<Socket, HttpConnection>();
  /** TLS: raw sockets whose handshake has not completed (no HTTP byte read yet). */
  private readonly handshaking = new Set<Socket>();
  private readonly released = new WeakSet<Socket>();
  private readonly counters: HttpIntakeReport = {
    inFlightAtStart: 0,
    admitted: 0,
    admittedDuringDrain: 0,
    admittedAfterIntakeClosed: 0,
    refused: 0,
    ignoredAfterClose: 0,
    idleClosed: 0,
    closedWithResponse: 0,
    closedByClient: 0,
    destroyed: 0,
    reset: 0,
    upgraded: 0,
  };
  private readonly quietMs: number;
  /** Requests before the shutdown run inside a task of their own (`context.asyncContext`). */
  private readonly taskPerRequest: boolean;
  private readonly acceptAfterCloseMs: number;
  private draining = false;
  /** When intake closed (`performance.now()`). */
  private closedAt: number | undefined;
  /** The listener is closed: new connections are refused, every connection is told to go. */
  private acceptingEnded = false;
  /** The HTTP wave has ended: nothing more is admitted. */
  private admissionEnded = false;
  /** When the last request (not a probe's) arrived. */
  private lastArrivalAt = performance.now();
  private seq = 0;
  private sweep: ReturnType<typeof setInterval> | undefined;
  /** The sweep itself: run only once the sockets have been read since the loop last stalled. */
  private readonly sweepCheck = new AfterPoll((now) => this.sweepConnections(now));
  /** The idle close at the end of the HTTP wave, likewise after the sockets have been read. */
  private readonly idleCheck = new AfterPoll((now) =>
    this.closeIdle(socketsReceiving(this.server), 0, now),
  );
  /** Connections accepted so far (TCP, before any TLS handshake): the listener's close reads it. */
  private accepted = 0;
  /** A listener close asked for and waiting for the accept queue to be empty. */
  private listenerClose: NodeJS.Immediate | undefined;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  private handoverTimer: ReturnType<typeof setTimeout> | undefined;
  private requestTimer: ReturnType<typeof setTimeout> | undefined;
  private waveWatch: Subscription | undefined;
  /** Ends the task that holds the HTTP wave open while requests are still arriving. */
  private arrivalsHeld: (() => void) | undefined;
  private handle: IntakeHandle | undefined;

  constructor(
    private readonly server: Server,
    private readonly options: ResolvedHttpIntakeOptions,
    private readonly context: HttpIntakeContext = {},
  ) {
    this.quietMs = context.quietMs || DEFAULT_DRAIN.quietMs;
    this.acceptAfterCloseMs = context.acceptAfterCloseMs ?? DEFAULT_ACCEPT_AFTER_CLOSE_MS;
    this.taskPerRequest = context.asyncContext ?? true;
    this.excludedPaths = options.exclude;
    this.excludedPrefixes = options.exclude.map((prefix) =>
      prefix.endsWith('/') ? prefix : `${prefix}/`,
    );
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the listener's `this` is the response
    const intake = this;
    this.responseClosed = function (this: TrackedResponse): void {
      const connection = this[kConnection];
      if (connection !== undefined) intake.requestEnded(connection, this);
    };
  }

  /** Takes over the server's request listeners; `handle` is what `registerIntake` returned. */
  install(handle: IntakeHandle): void {
    this.handle = handle;
    // The framework's handler(s) now run inside a task per request.
    this.listeners = this.server.listeners('request') as RequestListener[];
    this.server.removeAllListeners('request');
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      this.onRequest(req, res),
    );
    if (this.server instanceof TlsServer) {
      this.server.on('connection', (raw: Socket) => {
        this.accepted++;
        this.onRawTlsConnection(raw);
      });
      this.server.on('secureConnection', (socket: TLSSocket) => this.onConnection(socket));
    } else {
      this.server.on('connection', (socket: Socket) => {
        this.accepted++;
        this.onConnection(socket);
      });
    }
  }

  report(): HttpIntakeReport {
    return { ...this.counters };
  }

  shutdownStarted(): void {
    this.draining = true;
    let inFlight = 0;
    for (const connection of this.connections.values()) {
      inFlight += connection.trackedCount;
      // Counted only on their connection so far: from now on the drain waits for each of them.
      for (const res of connection.untasked()) this.admitInFlight(connection, res);
    }
    this.counters.inFlightAtStart = inFlight;
    const timeout = this.options.requestTimeoutMs;
    if (timeout !== undefined) {
      this.requestTimer = setTimeout(() => this.destroyInFlight(), timeout);
    }
    const events = this.context.events;
    if (events !== undefined) {
      // The moment the HTTP wave has ended is the moment to stop accepting connections.
      this.waveWatch = watchWaveEnd(events, this.options.priority, () => this.endAdmission());
    }
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
    // Nothing can be admitted any more.
    this.endAdmission();
  }

  /**
   * The last step, just before the adapter closes the server: intake and the listener are
   * closed (if the shutdown never got there, now). Then every connection is ended politely: an
   * idle one gets a FIN — probes' too — and is gone once its client closed its side; one with a
   * request still being received or answered is ended once that is done. What is left after a
   * short while is ended at once: a request still arriving is answered `503`, one still running
   * is cut. Node's own `server.close()` would destroy idle connections without looking at what
   * they are receiving, and wait without end for busy ones. Upgraded connections are left to
   * their owner.
   */
  async finish(): Promise<void> {
    this.closeIntake();
    this.endAdmission();
    // The server is closing: a response still to come is the connection's last.
    this.endHandover();
    // The loop below closes the idle connections itself.
    this.idleCheck.cancel();
    const started = performance.now();
    try {
      for (;;) {
        const now = performance.now();
        this.closeIdle(socketsReceiving(this.server), 0, now, true);
        if (now - started >= SETTLE_CAP_MS || this.connections.size === 0) break;
        await new Promise<void>((resolve) => {
          this.settleTimer = setTimeout(resolve, SETTLE_POLL_MS);
        });
      }
    } finally {
      if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
      this.settleTimer = undefined;
    }
    this.endAll();
  }

  // Connections

  private onRawTlsConnection(raw: Socket): void {
    this.handshaking.add(raw);
    raw.once('close', () => this.handshaking.delete(raw));
  }

  private onConnection(socket: Socket): void {
    // TLS: the raw socket under it has finished its handshake.
    const raw = (socket as { _parent?: unknown })._parent;
    if (raw instanceof Socket) this.handshaking.delete(raw);
    this.connectionOf(socket);
  }

  private connectionOf(socket: Socket): HttpConnection {
    let connection = this.connections.get(socket);
    if (connection === undefined) {
      const created = new HttpConnection(socket, performance.now());
      connection = created;
      this.connections.set(socket, created);
      socket.once('close', () => this.connectionClosed(created));
    }
    return connection;
  }

  private connectionClosed(connection: HttpConnection): void {
    this.connections.delete(connection.socket);
    connection.closed();
    if (this.arrivalsHeld !== undefined) this.checkArrivals(socketsReceiving(this.server), false);
    if (!this.draining || this.released.has(connection.socket)) return;
    const end = connection.endedBy ?? (connection.lastAnnouncedClose ? 'response' : 'client');
    switch (end) {
      case 'idle':
        this.counters.idleClosed++;
        break;
      case 'response':
        this.counters.closedWithResponse++;
        break;
      case 'forceful':
        this.counters.destroyed++;
        break;
      case 'reset':
        this.counters.reset++;
        break;
      case 'client':
        this.counters.closedByClient++;
        break;
    }
  }

  /** An upgraded connection is its new owner's (a WebSocket gateway): forgotten here. */
  private release(connection: HttpConnection): void {
    this.connections.delete(connection.socket);
    this.released.add(connection.socket);
    connection.closed();
    if (this.draining) this.counters.upgraded++;
  }

  // Requests

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.connectionOf(req.socket);
    if (connection.closeCommitted || connection.endedBy === 'idle') {
      // Pipelined behind a response that already said `Connection: close`, or sent as the
      // intake closed the idle connection: no response can go out on it any more, so it is not
      // run — the client, whose connection closes unanswered, retries it.
      this.counters.ignoredAfterClose++;
      return;
    }
    // Once per request: the exclusion check and the task's name share it.
    const path = pathOf(req.url);
    const excluded = this.isExcluded(path);
    // The previous response gives up closing the connection: this one comes after it.
    connection.requestStarted(res, excluded);
    // Close is emitted once per response; `on`, not `once`: no wrapper made per request.
    (res as TrackedResponse)[kConnection] = connection;
    res.on('close', this.responseClosed);
    if (excluded) {
      // Health probes and metrics: untracked, never refused, their connection left open, so a
      // poller keeps seeing the drain for as long as the server is up.
      if (this.arrivalsHeld !== undefined) this.checkArrivals(socketsReceiving(this.server), false);
      this.forward(req, res);
      return;
    }
    this.lastArrivalAt = performance.now();
    // Decided before the app runs: it may answer synchronously (a 404).
    if (connection.toldToGo) connection.closeAfter(res);
    if (!this.taskPerRequest && !this.draining) {
      // No handler can see a task (no async context), and no shutdown needs one yet: the
      // request is counted on its connection, and becomes a task only if a shutdown begins
      // while it is in flight. What a request costs is then a Map entry and a listener.
      // Counted before the app runs: a handler may begin the shutdown synchronously.
      connection.markUntasked(res);
      try {
        this.forward(req, res);
      } catch (error) {
        // As a listener that throws inside its task: the task fails, and is logged as such.
        connection.unmarkUntasked(res);
        this.handle?.admit(
          () => {
            throw error;
          },
          { name: this.nameOf(req.method, path), priority: this.options.priority },
        );
      }
      return;
    }
    const task = this.handle?.admit(
      () => {
        this.forward(req, res);
        return connection.whenDone(res);
      },
      { name: this.nameOf(req.method, path), priority: this.options.priority },
    );
    if (task === undefined) {
      // Too late: the HTTP wave has ended. The client learns to retry elsewhere.
      this.counters.refused++;
      connection.closeAfter(res, true);
      refuseResponse(res);
      this.endAdmission();
      return;
    }
    // Its own task holds the wave now; the hold may end if nothing else is arriving.
    if (this.arrivalsHeld !== undefined) this.checkArrivals(socketsReceiving(this.server), false);
    if (!this.draining) return;
    this.counters.admitted++;
    // A request the load balancer routed here (never a probe: excluded paths return above)
    // keeps the measured drain open; a bare connection does not, it may be a health check.
    this.handle?.noteArrival();
    if (this.closedAt === undefined) this.counters.admittedDuringDrain++;
    else this.counters.admittedAfterIntakeClosed++;
  }

  /** The task name of a request: `GET /orders#12`. */
  private nameOf(method: string | undefined, path: string): string {
    return `${method ?? 'HTTP'} ${path}#${++this.seq}`;
  }

  /**
   * The shutdown began while `res`'s request, counted only on its connection, is in flight: it
   * becomes a task that ends when its response closes, admitted like the requests of the drain.
   */
  private admitInFlight(connection: HttpConnection, res: ServerResponse): void {
    const req = (res as { req?: IncomingMessage }).req;
    this.handle?.admit(() => connection.whenDone(res), {
      name: this.nameOf(req?.method, pathOf(req?.url)),
      priority: this.options.priority,
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    for (const listener of this.listeners) listener.call(this.server, req, res);
  }

  private requestEnded(connection: HttpConnection, res: ServerResponse): void {
    connection.requestEnded(res, performance.now());
    // Before the request's task ends: a connection its client may use again holds the wave.
    if (this.closedAt !== undefined) this.checkArrivals(socketsReceiving(this.server), false);
  }

  // The steps of a shutdown

  private closeIntake(): void {
    if (this.closedAt !== undefined) return;
    this.closedAt = performance.now();
    // The clients connected now go elsewhere: a load balancer that noticed routes them away.
    // Connections accepted from now on are kept until the listener closes: a client that comes
    // back here would only come back again, and a stream of reconnections would put connections
    // in the accept queue just when the listener closes — the kernel resets those.
    for (const connection of this.connections.values()) connection.tellToGo();
    // Now, before the first wave starts: a wave with nothing in it would end at once. The
    // wave is held until a sweep has looked at the connections after reading their sockets.
    this.checkArrivals(socketsReceiving(this.server), false);
    // Unref'd: the sweep must not keep the process alive; the HTTP wave's end stops it.
    this.sweep = setInterval(() => this.onSweepTimer(), SWEEP_MS);
    this.sweep.unref();
  }

  private onSweepTimer(): void {
    // Traffic that never stops (a load balancer that never notices, clients straight to the
    // server) would keep the HTTP wave open until FORCEFUL cut what it admitted last: past this
    // point new connections are refused, which a client can retry, and the wave drains. A
    // matter of time only, so decided on the timer (a busy loop must not put it off); the close
    // itself follows the next poll phase, which accepts what queued up while the loop stalled.
    const now = performance.now();
    if (now - (this.closedAt ?? now) >= this.acceptAfterCloseMs) this.closeListenerSoon();
    this.sweepCheck.request();
  }

  /**
   * Runs after a poll phase (`AfterPoll`): a timer that fires after the event loop stalled
   * longer than `quietMs` would otherwise take the requests still unread in the sockets for
   * silence, and close their connections under them.
   */
  private sweepConnections(now: number): void {
    const receiving = socketsReceiving(this.server);
    this.checkArrivals(receiving, true);
    // Only once the load balancer has gone quiet: an idle connection it still pools may carry
    // its next request at any moment, and a close crossing that request loses it.
    if (now - this.lastArrivalAt >= this.quietMs) this.closeIdle(receiving, this.quietMs, now);
  }

  /**
   * While a request is still arriving on some connection — its headers not complete, so no task
   * of its own yet —, or a kept-alive connection was used less than `quietMs` ago, a task holds
   * the HTTP wave open: the wave would otherwise end under it, and the request, once complete,
   * could only be refused. It ends when neither is true any more (each request has become a
   * task, each connection closed or has been idle `quietMs`), or at FORCEFUL.
   *
   * Only a `settled` check — the sweep, after a poll phase read the sockets — may end the hold.
   * Any other (intake closed, a request began or ended, a connection closed: from a timer that
   * may follow a stall, or in the middle of a poll phase) cannot tell an idle connection from
   * one whose request is still unread: it holds the wave while any connection is idle, and
   * asks for a sweep to decide.
   */
  private checkArrivals(receiving: ReadonlySet<Socket> | undefined, settled: boolean): void {
    if (this.admissionEnded || this.handle === undefined) return;
    if (!settled) this.sweepCheck.request();
    let arriving = false;
    const now = performance.now();
    for (const connection of this.connections.values()) {
      const socket = connection.socket;
      if (socket.destroyed || isUpgraded(socket)) continue;
      // A connection with a request in progress is held by that request's task.
      if (connection.active > 0) continue;
      // Idle as far as the server has read: only a sweep after a poll phase can tell.
      if (!settled && !connection.probe && !socket.writableEnded) {
        arriving = true;
        break;
      }
      if (connection.isReceiving(receiving)) {
        arriving = true;
        break;
      }
      // Idle, but its client was last told it may send again (keep-alive) and did so less than
      // `quietMs` ago: a proxy's pool may pick it at any instant. Closing it now would cross
      // that request (nginx: `recv() failed (104)`), and a request after the wave could only be
      // refused; so the wave waits until it has been idle `quietMs` — then the close is a FIN
      // on a connection its client no longer uses — or it closed.
      if (
        !connection.probe &&
        !socket.writableEnded &&
        !connection.lastAnnouncedClose &&
        now - connection.idleSince < this.quietMs
      ) {
        arriving = true;
        break;
      }
    }
    if (arriving) this.holdArrivals();
    else if (settled) this.arrivalsHeld?.();
  }

  /** Starts the task that holds the HTTP wave open, unless it runs already. */
  private holdArrivals(): void {
    if (this.arrivalsHeld !== undefined || this.handle === undefined) return;
    // `undefined` when it is too late to hold anything: the wave has ended.
    this.handle.admit(
      ({ signal }) =>
        new Promise<void>((resolve) => {
          const end = (): void => {
            signal.removeEventListener('abort', end);
            if (this.arrivalsHeld === end) this.arrivalsHeld = undefined;
            resolve();
          };
          // FORCEFUL: the wave stops waiting for what is still on the wire — also when it
          // began before this hold did.
          if (signal.aborted) {
            resolve();
            return;
          }
          this.arrivalsHeld = end;
          signal.addEventListener('abort', end, { once: true });
        }),
      { name: 'HTTP requests arriving', priority: this.options.priority },
    );
  }

  /**
   * The HTTP wave has ended (or the shutdown): no new connections — a load balancer retries a
   * refused connection elsewhere, not a `503` — and idle connections other than probes' are
   * closed now, so that their clients reconnect elsewhere too.
   */
  private endAdmission(): void {
    if (this.admissionEnded) return;
    this.admissionEnded = true;
    this.waveWatch?.unsubscribe();
    this.waveWatch = undefined;
    this.closeIntake();
    if (this.sweep !== undefined) clearInterval(this.sweep);
    this.sweep = undefined;
    this.sweepCheck.cancel();
    this.arrivalsHeld?.();
    // At once, unlike the close at half the graceful budget: the wave ends after a sweep that
    // follows a poll phase, so nothing is queued from a stall, and a connection accepted from
    // now on could only be answered 503.
    this.stopAccepting();
    // Not in this tick: the wave may have ended in the middle of a poll phase, or after a
    // stall, with requests still unread in the sockets of connections that look idle.
    this.idleCheck.request();
  }

  /**
   * Half the graceful budget after intake closed, with the HTTP wave still running (traffic
   * that never stops): closes the listener once the kernel's accept queue is empty — what is
   * accepted meanwhile is admitted and served. Closing it at once resets every
   * connection still queued (handshake done, not accepted yet) — a request its client already
   * sent is lost, not refused. A timer that fires after the event loop stalled runs before the
   * poll phase that accepts what queued up meanwhile, and a poll phase accepts only one or two
   * connections (libuv, measured on Node 20 and 24). So the close waits, in the check phase
   * after each poll phase, for a turn of the loop that accepted nothing; under a flood of
   * connections, at most `LISTENER_CLOSE_TURNS` turns.
   */
  private closeListenerSoon(): void {
    if (this.acceptingEnded || this.listenerClose !== undefined) return;
    let turns = 0;
    // Asked for in the middle of a poll phase, the first check follows only part of one: it
    // only starts the count. Each later check follows a whole poll phase.
    let seen: number | undefined;
    const check = (): void => {
      this.listenerClose = undefined;
      if (this.acceptingEnded) return;
      if (this.accepted !== seen && ++turns < LISTENER_CLOSE_TURNS) {
        seen = this.accepted;
        this.listenerClose = setImmediate(check);
        return;
      }
      this.stopAccepting();
    };
    this.listenerClose = setImmediate(check);
  }

  /**
   * Closes the listener — new connections are refused from now on — then, `handoverMs` later,
   * tells every connection to go. In that order: no client is reconnecting because of us when
   * the listener closes, and a successor on the same port is listening when they do.
   */
  private stopAccepting(): void {
    if (this.acceptingEnded) return;
    this.acceptingEnded = true;
    if (this.listenerClose !== undefined) clearImmediate(this.listenerClose);
    this.listenerClose = undefined;
    // net's close, not http's: http's would destroy idle connections without looking at what
    // they are receiving, and probes keep their connections.
    if (this.server.listening) NetServer.prototype.close.call(this.server);
    // Not at once: a successor on the same port binds it in the meantime, and the clients told
    // to go reconnect to it rather than to a closed port. Unref'd: it must not keep the process
    // alive; `finish` ends it.
    this.handoverTimer = setTimeout(() => this.endHandover(), this.options.handoverMs);
    this.handoverTimer.unref();
  }

  /** The listener closed `handoverMs` ago, or the server is closing: every connection goes. */
  private endHandover(): void {
    if (this.handoverTimer !== undefined) clearTimeout(this.handoverTimer);
    this.handoverTimer = undefined;
    for (const connection of this.connections.values()) connection.tellToGo();
  }

  /**
   * Ends the connections quiet for `graceMs` since they became idle: a FIN, never a reset — a
   * request already on its way is read and not run, and the client sees the connection close
   * unanswered rather than reset. One accepted a moment ago first gets the time to send its
   * request. `final`: the server is closing — probes' connections go too.
   */
  private closeIdle(
    receiving: ReadonlySet<Socket> | undefined,
    graceMs: number,
    now: number,
    final = false,
  ): void {
    for (const connection of [...this.connections.values()]) {
      const socket = connection.socket;
      // Already ending (after a `Connection: close` response, or closed idle).
      if (socket.destroyed || socket.writableEnded) continue;
      if (isUpgraded(socket)) {
        this.release(connection);
        continue;
      }
      if (connection.probe && !final) continue;
      if (!connection.isQuiet(receiving) || socket.writableLength > 0) continue;
      if (now - connection.idleSince < graceMs) continue;
      // Accepted a moment ago: its first request is most likely on its way.
      if (socket.bytesRead === 0 && now - connection.idleSince < SETTLE_MS) continue;
      connection.endedBy = 'idle';
      socket.end();
    }
  }

  /**
   * FORCEFUL or `requestTimeoutMs`: the requests still running lose their connection, and the
   * wave stops waiting for requests still arriving (the final close answers them `503`).
   */
  private destroyInFlight(): void {
    this.arrivalsHeld?.();
    for (const connection of [...this.connections.values()]) {
      const socket = connection.socket;
      if (socket.destroyed || !connection.runningTracked) continue;
      connection.endedBy = 'forceful';
      socket.destroy();
    }
  }

  private endAll(): void {
    const receiving = socketsReceiving(this.server);
    for (const connection of [...this.connections.values()]) {
      const socket = connection.socket;
      if (socket.destroyed) continue;
      if (isUpgraded(socket)) {
        this.release(connection);
        continue;
      }
      if (socket.writableEnded || connection.isQuiet(receiving)) {
        // Ending already, or idle: nothing on it is lost.
        if (connection.endedBy === undefined && !socket.writableEnded) connection.endedBy = 'idle';
        socket.destroy();
      } else if (connection.active === 0) {
        // A request still arriving, too slowly to finish within the budgets: answered 503.
        this.counters.refused++;
        connection.endedBy = 'response';
        refuseSocket(socket);
      } else {
        // A request still running: an excluded path that hangs, or one the shutdown gave up on.
        connection.endedBy = 'reset';
        socket.destroy();
      }
    }
    for (const raw of this.handshaking) raw.destroy();
    this.handshaking.clear();
  }

  private isExcluded(path: string): boolean {
    // Loops rather than `some`: no closure made per request.
    const paths = this.excludedPaths;
    const prefixes = this.excludedPrefixes;
    for (let i = 0; i < paths.length; i++) {
      if (path === paths[i] || path.startsWith(prefixes[i])) return true;
    }
    return false;
  }
}

/** The path of a request for its task name: short, and without bytes that could forge logs. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  // The common case — a short path of printable characters — is kept as it is: a test, where
  // `safeText` makes a new string.
  return path.length <= NAME_PATH_MAX && !UNSAFE_IN_NAME.test(path)
    ? path
    : safeText(path, NAME_PATH_MAX);
}
