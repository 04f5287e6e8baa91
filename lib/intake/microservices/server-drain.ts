import { isObservable, Observable, of, type Subscriber } from 'rxjs';
import { isCancellation } from '../../core/cancellation.js';
import { describeError, safeText } from '../../core/describe.js';
import type { IntakeHandle } from '../../core/intake.interface.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import type { TaskPriority } from '../../core/task-priority.enum.js';
import type { TaskContext } from '../../core/task.interface.js';
import { InFlightMessage, messageKindOf } from './in-flight-message.js';
import type { MicroserviceTransportReport } from './microservices-intake.report.js';
import { retryableRpcError } from './retryable-rpc-error.js';
import type { RpcMessageHandler, RpcServer } from './rpc-server.interface.js';
import { nextLoopTurn, type TransportDriver } from './transport-driver.interface.js';

/** What a server's drain needs from the intake that owns it. */
export interface DrainHost {
  readonly handle: IntakeHandle;
  readonly priority: TaskPriority;
  readonly logger: LifecycleLogger;
  /** Names its tasks: `tcp#1`, `rmq#2` … for the servers of one application. */
  readonly label: string;
  /** Runs before Nest closes the transport (the phased shutdown of a standalone microservice). */
  beforeClose(): Promise<unknown>;
}

/** The counts a server keeps; `servers` and `unfinished` are added when reporting. */
type DrainCounters = Omit<MicroserviceTransportReport, 'servers'>;

function isShutdownRefusal(error: unknown): boolean {
  if (isCancellation(error)) return true;
  try {
    return (error as { isShutdownInProgressError?: unknown })?.isShutdownInProgressError === true;
  } catch {
    return false;
  }
}

/**
 * The drain of one microservice server. Every handler the transport looks up is wrapped, so that
 * each message runs as a managed task (stop mode `drain`) of the intake's priority, and whatever
 * the transport sends back goes through the intake: a message the shutdown will not take is
 * refused the transport's way, one still running at FORCEFUL is handed back, and a cancellation
 * that reaches the transport becomes an error the client can retry.
 */
export class ServerDrain {
  private readonly live = new Set<InFlightMessage>();
  private readonly counters: DrainCounters = {
    inFlightAtStart: 0,
    admitted: 0,
    drained: 0,
    handedBack: 0,
    refused: 0,
    dropped: 0,
    unfinished: 0,
  };
  private started = false;
  private seq = 0;

  constructor(
    private readonly server: RpcServer,
    readonly driver: TransportDriver,
    private readonly host: DrainHost,
  ) {}

  /** Wraps the server's handler lookup and its close. */
  attach(): void {
    const server = this.server;
    const lookup = server.getHandlerByPattern;
    // Every transport looks the handler up per message, through `this`: an own property wins,
    // and handlers registered at any time (before or after listen) are covered.
    server.getHandlerByPattern = (pattern: string) => {
      const handler = lookup.call(server, pattern);
      return handler == null ? handler : this.wrap(handler, pattern);
    };
    const close = server.close;
    server.close = async (...args: unknown[]) => {
      await this.host.beforeClose();
      return close.apply(server, args);
    };
  }

  shutdownStarted(): void {
    this.started = true;
    for (const message of this.live) message.partOfShutdown = true;
    this.counters.inFlightAtStart = this.live.size;
    let stopped: Promise<void> | void;
    try {
      stopped = this.driver.stopIntake();
    } catch (error) {
      this.warnStop(error);
      return;
    }
    if (stopped === undefined) return;
    const confirmed = stopped.catch((error: unknown) => this.warnStop(error));
    // The intake's wave must not end before the broker confirmed that nothing more comes: a
    // message it delivered just before would find its wave closed. Bounded by GRACEFUL: at
    // FORCEFUL the wait ends (the broker is unreachable; nothing comes from it either).
    this.host.handle.admit((ctx) => untilAborted(confirmed, ctx), {
      name: `${this.host.label} stop taking messages`,
      priority: this.host.priority,
    });
  }

  /** FORCEFUL: what is still running is handed back where the transport allows it. */
  forcefulStarted(): number {
    let handed = 0;
    for (const message of this.live) {
      if (message.settled) continue;
      const how = this.driver.handBack(message);
      if (how === 'none') {
        // Its signal aborts now; unless it still completes, what it did not do is lost.
        message.forced = true;
        continue;
      }
      message.handedBack = true;
      this.counters.handedBack++;
      handed++;
      if (how === 'answer') message.answer(retryableRpcError('handed-back'));
      else message.giveUp();
      this.release(message);
    }
    return handed;
  }

  shutdownEnded(): void {
    this.driver.dispose();
  }

  report(): Omit<MicroserviceTransportReport, 'servers'> {
    let running = 0;
    for (const message of this.live) {
      if (message.partOfShutdown && !message.handedBack) running++;
    }
    return { ...this.counters, unfinished: this.counters.unfinished + running };
  }

  private wrap(handler: RpcMessageHandler, pattern: string): RpcMessageHandler {
    const kind = messageKindOf(handler);
    // An Observable, so that the message is admitted when the transport subscribes to its reply
    // stream and ends when that stream ends (with interceptors, the handler runs only then).
    const wrapped: RpcMessageHandler = (data: unknown, context?: unknown) =>
      new Observable<unknown>((subscriber) =>
        this.dispatch(handler, kind, pattern, data, context, subscriber),
      );
    wrapped.isEventHandler = handler.isEventHandler;
    wrapped.extras = handler.extras;
    wrapped.next = handler.next;
    return wrapped;
  }

  private dispatch(
    handler: RpcMessageHandler,
    kind: 'request' | 'event',
    pattern: string,
    data: unknown,
    context: unknown,
    subscriber: Subscriber<unknown>,
  ): () => void {
    const message = new InFlightMessage(kind, pattern, context, subscriber);
    this.driver.received(message);
    if (this.started && !this.driver.takesLate(message)) {
      this.refuse(message);
      return () => undefined;
    }
    this.live.add(message);
    const task = this.host.handle.admit(() => this.run(message, handler, data), {
      name: `${this.host.label} ${safeText(pattern, 80)}#${++this.seq}`,
      priority: this.host.priority,
    });
    if (task === undefined) {
      this.live.delete(message);
      this.refuse(message);
      return () => undefined;
    }
    if (this.started) {
      message.partOfShutdown = true;
      this.counters.admitted++;
    }
    return () => {
      // Runs after the stream ended too, or after the intake answered for the message — then
      // the handler keeps its task until it ends. Only an outside unsubscribe (Nest never does)
      // ends the handler's stream here.
      if (message.settled || message.done) return;
      message.inner?.unsubscribe();
      this.ended(message);
    };
  }

  private async run(
    message: InFlightMessage,
    handler: RpcMessageHandler,
    data: unknown,
  ): Promise<void> {
    try {
      const result: unknown = await handler(data, message.handlerContext);
      const stream = isObservable(result) ? result : of(result);
      message.inner = stream.subscribe({
        next: (value) => message.forward(value),
        error: (error: unknown) => this.ended(message, { error }),
        complete: () => this.ended(message),
      });
    } catch (error) {
      // Nest's handlers answer failures themselves; a bare handler may still throw.
      this.ended(message, { error });
    }
    await message.whenEnded();
    if (message.kind === 'request') {
      // Nest sends the reply — or the intake's answer at FORCEFUL — on the next tick; the task
      // (and the wave) ends once the transport has it: a standalone microservice closes its
      // transport right after the shutdown.
      await nextLoopTurn();
      await this.driver.replied(message);
    }
  }

  /** The handler's stream ended: its outcome goes to the client, unless already answered for. */
  private ended(message: InFlightMessage, failure?: { error: unknown }): void {
    if (message.done) return;
    this.live.delete(message);
    if (!message.settled && message.partOfShutdown) {
      if (message.forced && failure !== undefined) this.counters.unfinished++;
      else this.counters.drained++;
    }
    // A cancellation is never "Internal server error": the client may send it again.
    const outcome =
      failure !== undefined && isShutdownRefusal(failure.error)
        ? { error: retryableRpcError('handed-back') }
        : failure;
    message.end(outcome);
    this.release(message);
    this.driver.ended(message);
  }

  /** A message the shutdown does not take: given back the transport's way, at once. */
  private refuse(message: InFlightMessage): void {
    const how = this.driver.handBack(message);
    if (how === 'none') {
      this.counters.dropped++;
      this.host.logger.warn(
        `${this.host.label}: event "${safeText(message.pattern, 80)}" arrived after its wave ended and cannot be redelivered: dropped`,
      );
      message.giveUp();
    } else {
      this.counters.refused++;
      if (how === 'answer') message.answer(retryableRpcError('refused'));
      else message.giveUp();
    }
    message.end();
    this.release(message);
    this.driver.ended(message);
  }

  private release(message: InFlightMessage): void {
    if (message.released) return;
    message.released = true;
    this.driver.released(message);
  }

  private warnStop(error: unknown): void {
    this.host.logger.warn(
      `${this.host.label}: could not stop taking messages: ${describeError(error)}`,
    );
  }
}

/** Waits for `promise`, or until the task's signal aborts (FORCEFUL), whichever comes first. */
async function untilAborted(promise: Promise<unknown>, ctx: TaskContext): Promise<void> {
  const signal = ctx.signal;
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<void>((resolve) => {
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
