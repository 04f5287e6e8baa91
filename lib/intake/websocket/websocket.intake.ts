import { createDeferred, type Deferred } from '../../core/deferred.js';
import { safeText } from '../../core/describe.js';
import type { Intake, IntakeHandle } from '../../core/intake.interface.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import { abortableDelay } from '../../primitives/abortable-delay.js';
import type { ClientConnection } from './client-connection.interface.js';
import { closeSchedule } from './close-schedule.js';
import type { ResolvedWebSocketIntakeOptions } from './websocket-intake.options.js';
import type { WebSocketIntakeReport } from './websocket-intake.report.js';
import { TrackedMessage } from './tracked-message.js';

/**
 * What `receive` returns for a message it refused: the adapter sends nothing for it.
 *
 * @example
 * if (intake.receive(connection, 'chat', run) === REFUSED) return EMPTY;
 */
export const REFUSED: unique symbol = Symbol('websocket message refused');

/**
 * After its close frame, how long a client gets to answer it before its connection is
 * destroyed: a peer that vanished (no FIN, no RST) must not hold the shutdown until FORCEFUL.
 */
const HANDSHAKE_GRACE_MS = 2000;
/** The same at FORCEFUL: the frame is sent, but the shutdown cannot wait for much. */
const FORCEFUL_GRACE_MS = 250;

/** How the intake closed a connection, for its report. */
type CloseKind = 'clean' | 'forceful' | 'late';

/**
 * One connection as the intake tracks it (handed to the adapter's wrapper by `connect`).
 *
 * @example
 * const tracked = intake.connect(client, clientConnectionOf(client));
 */
export interface TrackedConnection {
  readonly connection: ClientConnection;
  /** Messages being handled now. */
  inFlight: number;
  /** False once its turn came (or FORCEFUL): later messages are refused. */
  accepting: boolean;
  /** Its turn came while messages were in flight: the close frame follows the last reply. */
  closeWhenIdle: boolean;
  closeSent: boolean;
  gone: boolean;
  handshakeTimer: ReturnType<typeof setTimeout> | undefined;
}

type Stage = 'open' | 'draining' | 'closed' | 'forceful' | 'ended';

/**
 * The WebSocket gateways of a Nest application as one intake (DESIGN §4 "Intakes"). Each
 * message a gateway handles is a managed task in stop mode `drain` that lasts until its reply is
 * sent. During the drain, clients are served as usual. When intake closes, every connection gets
 * its turn, spread over the close window: from its turn on, it takes no new message, and once
 * the replies of the messages it has in flight have left, it is sent the close frame (`1001`,
 * "server shutting down" by default) — one task holds the intake's wave until every connection
 * is gone. At FORCEFUL, the connections still open are sent the close frame at once; a client
 * that does not answer its close frame in time has its connection destroyed.
 *
 * @example
 * const intake = new WebSocketIntake(resolveWebSocketIntakeOptions({})!, gracefulMs, logger);
 * intake.install(coordinator.registerIntake(intake));
 * trackGatewayMessages(adapter, intake); // every client and message now goes through it
 */
export class WebSocketIntake implements Intake {
  readonly name = 'websockets';
  private handle: IntakeHandle | undefined;
  /** Live connections, by key, in the order they opened (the order of their turns). */
  private readonly connections = new Map<object, TrackedConnection>();
  private readonly goneWaiters = new Set<Deferred<void>>();
  private readonly counters: WebSocketIntakeReport = {
    connectionsAtStart: 0,
    connectionsDuringDrain: 0,
    lateConnections: 0,
    closedCleanly: 0,
    closedAtForceful: 0,
    closedByClient: 0,
    terminated: 0,
    messagesAtStart: 0,
    messagesDrained: 0,
    messagesRefused: 0,
    messagesCutOff: 0,
    windowMs: 0,
  };
  private stage: Stage = 'open';
  private seq = 0;
  private warnedUnknownClient = false;

  /**
   * @param gracefulMs the GRACEFUL budget: the default close window is a share of it.
   */
  constructor(
    private readonly options: ResolvedWebSocketIntakeOptions,
    private readonly gracefulMs: number,
    private readonly logger?: LifecycleLogger,
  ) {}

  /** `handle` is what `registerIntake` returned. */
  install(handle: IntakeHandle): void {
    this.handle = handle;
  }

  /**
   * A gateway client connected (the adapter binds its handlers): its connection is tracked
   * until it is gone. Returns `undefined` for a client of an adapter the intake cannot close.
   */
  connect(
    client: unknown,
    connection: ClientConnection | undefined,
  ): TrackedConnection | undefined {
    if (connection === undefined) {
      this.warnUnknownClient(client);
      return undefined;
    }
    const known = this.connections.get(connection.key);
    if (known !== undefined) return known;
    const tracked: TrackedConnection = {
      connection,
      inFlight: 0,
      accepting: true,
      closeWhenIdle: false,
      closeSent: false,
      gone: false,
      handshakeTimer: undefined,
    };
    this.connections.set(connection.key, tracked);
    connection.onGone(() => this.gone(tracked));
    this.handle?.noteArrival();
    if (this.stage === 'draining') this.counters.connectionsDuringDrain++;
    else if (this.stage !== 'open') this.sendClose(tracked, 'late');
    return tracked;
  }

  /**
   * A message for the handler `message`: admitted as a managed task that calls `invoke` (the
   * handler) in its context, or refused — its connection is closing, or the intake's wave is
   * over — and then the handler is not called at all. Returns the `TrackedMessage` (the adapter
   * turns its `result` into the reply, then calls `finish`), or `REFUSED`.
   */
  receive(
    tracked: TrackedConnection | undefined,
    message: string,
    invoke: () => unknown,
  ): TrackedMessage | typeof REFUSED {
    if (tracked !== undefined && !tracked.accepting) {
      this.counters.messagesRefused++;
      return REFUSED;
    }
    const unit = new TrackedMessage((settled) => this.messageEnded(tracked, settled));
    // Counted before the task starts: a handler that throws at once ends it inside admit().
    if (tracked !== undefined) tracked.inFlight++;
    const task = this.handle?.admit(() => unit.run(invoke), {
      name: `WS ${safeText(message, 80)}#${++this.seq}`,
      priority: this.options.priority,
    });
    if (task === undefined) {
      if (tracked !== undefined) tracked.inFlight--;
      this.counters.messagesRefused++;
      // Too late for its wave: the connection has nothing left to wait for.
      if (tracked !== undefined) this.beginClose(tracked, this.stage === 'forceful');
      return REFUSED;
    }
    unit.rethrowSyncError();
    return unit;
  }

  report(): WebSocketIntakeReport {
    return { ...this.counters };
  }

  shutdownStarted(): void {
    this.stage = 'draining';
    this.counters.connectionsAtStart = this.connections.size;
    for (const tracked of this.connections.values()) {
      this.counters.messagesAtStart += tracked.inFlight;
    }
  }

  /** The drain is over: every connection gets its turn, spread over the close window. */
  intakeClosed(): void {
    if (this.stage === 'open' || this.stage === 'draining') this.stage = 'closed';
    const turns = [...this.connections.values()];
    if (turns.length === 0) return;
    const windowMs = this.options.closeWindowMs ?? this.options.closeWindow * this.gracefulMs;
    const offsets = closeSchedule(turns.length, windowMs, this.options.closeIntervalMs);
    this.counters.windowMs = Math.round(offsets[offsets.length - 1]);
    this.logger?.log(
      `Closing ${turns.length} WebSocket connection(s) over ${this.counters.windowMs} ms`,
    );
    const task = this.handle?.admit(({ signal }) => this.closeInTurn(turns, offsets, signal), {
      name: `WS close ${turns.length} connection(s)`,
      priority: this.options.priority,
    });
    // Not admitted (the shutdown went straight to its end): no window left to spread over.
    if (task === undefined) for (const tracked of turns) this.beginClose(tracked, true);
  }

  /** FORCEFUL: every connection still open is sent its close frame now, in flight or not. */
  forcefulStarted(): void {
    this.stage = 'forceful';
    const left = [...this.connections.values()].filter((tracked) => !tracked.closeSent);
    if (left.length > 0) {
      this.logger?.warn(`Closing ${left.length} WebSocket connection(s) at FORCEFUL`);
    }
    for (const tracked of this.connections.values()) {
      if (tracked.closeSent) this.armHandshakeTimer(tracked, FORCEFUL_GRACE_MS);
      else this.beginClose(tracked, true);
    }
  }

  /** The shutdown is over: nothing may stay open behind it. */
  shutdownEnded(): void {
    this.stage = 'ended';
    for (const tracked of [...this.connections.values()]) {
      if (tracked.handshakeTimer !== undefined) clearTimeout(tracked.handshakeTimer);
      tracked.handshakeTimer = undefined;
      this.counters.terminated++;
      tracked.connection.terminate();
    }
  }

  /** The closing task: each connection's turn at its offset, then until every one is gone. */
  private async closeInTurn(
    turns: readonly TrackedConnection[],
    offsets: readonly number[],
    signal: AbortSignal,
  ): Promise<void> {
    const started = performance.now();
    let next = 0;
    while (next < turns.length) {
      const wait = offsets[next] - (performance.now() - started);
      if (wait > 0) await abortableDelay(wait, signal);
      // Every turn that has come, together: a timer that fired late must not stretch the window.
      const elapsed = performance.now() - started;
      while (next < turns.length && offsets[next] <= elapsed) {
        this.beginClose(turns[next++], false);
      }
    }
    await this.allGone(signal);
  }

  /** Its turn: no new message; the close frame once its replies in flight have left. */
  private beginClose(tracked: TrackedConnection, forceful: boolean): void {
    if (tracked.gone || tracked.closeSent) return;
    tracked.accepting = false;
    if (!forceful && tracked.inFlight > 0) {
      tracked.closeWhenIdle = true;
      return;
    }
    this.sendClose(tracked, forceful ? 'forceful' : 'clean');
  }

  private sendClose(tracked: TrackedConnection, kind: CloseKind): void {
    if (tracked.gone || tracked.closeSent) return;
    tracked.accepting = false;
    tracked.closeSent = true;
    if (kind === 'clean') this.counters.closedCleanly++;
    else if (kind === 'forceful') this.counters.closedAtForceful++;
    else this.counters.lateConnections++;
    tracked.connection.close(this.options.closeCode, this.options.closeReason);
    this.armHandshakeTimer(
      tracked,
      this.stage === 'forceful' ? FORCEFUL_GRACE_MS : HANDSHAKE_GRACE_MS,
    );
  }

  private armHandshakeTimer(tracked: TrackedConnection, ms: number): void {
    if (tracked.handshakeTimer !== undefined) clearTimeout(tracked.handshakeTimer);
    tracked.handshakeTimer = setTimeout(() => {
      tracked.handshakeTimer = undefined;
      if (tracked.gone) return;
      this.counters.terminated++;
      tracked.connection.terminate();
    }, ms);
    // The connection itself holds the process while it is open; this timer must not.
    tracked.handshakeTimer.unref();
  }

  /**
   * Whether a shutdown has begun. The handle knows from its first instant: `shutdownSignal`
   * listeners (a stream a handler ends on it) run before intakes hear `shutdownStarted`.
   */
  private get shuttingDown(): boolean {
    return this.stage !== 'open' || (this.handle !== undefined && this.handle.state !== 'open');
  }

  private messageEnded(tracked: TrackedConnection | undefined, settled: boolean): void {
    if (tracked === undefined) {
      if (this.shuttingDown && settled) this.counters.messagesDrained++;
      return;
    }
    tracked.inFlight--;
    if (this.shuttingDown) {
      if (settled && !tracked.closeSent && !tracked.gone) this.counters.messagesDrained++;
      else this.counters.messagesCutOff++;
    }
    if (tracked.closeWhenIdle && tracked.inFlight === 0) this.sendClose(tracked, 'clean');
  }

  private gone(tracked: TrackedConnection): void {
    if (tracked.gone) return;
    tracked.gone = true;
    if (tracked.handshakeTimer !== undefined) clearTimeout(tracked.handshakeTimer);
    tracked.handshakeTimer = undefined;
    this.connections.delete(tracked.connection.key);
    if (!tracked.closeSent && this.stage !== 'open') this.counters.closedByClient++;
    if (this.connections.size === 0) for (const waiter of this.goneWaiters) waiter.resolve();
  }

  /** Resolves once no connection is left; rejects with the reason when `signal` aborts. */
  private async allGone(signal: AbortSignal): Promise<void> {
    if (this.connections.size === 0) return;
    const waiter = createDeferred<void>();
    const onAbort = (): void => waiter.reject(signal.reason);
    this.goneWaiters.add(waiter);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) onAbort();
      await waiter.promise;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.goneWaiters.delete(waiter);
    }
  }

  private warnUnknownClient(client: unknown): void {
    if (this.warnedUnknownClient) return;
    this.warnedUnknownClient = true;
    let kind: string = typeof client;
    try {
      kind = (client as { constructor?: { name?: string } })?.constructor?.name ?? kind;
    } catch {
      // A hostile client object: its kind stays its typeof.
    }
    this.logger?.warn(
      `WebSocket clients of kind ${safeText(String(kind), 80)} are neither ws nor socket.io: ` +
        'their messages are tracked, their connections are left to their adapter',
    );
  }
}
