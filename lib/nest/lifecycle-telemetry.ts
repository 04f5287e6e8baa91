import { describeError } from '../core/describe.js';
import { InvalidLifecycleOptionError } from '../core/invalid-option.error.js';
import type { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleEvent } from '../core/lifecycle-event.interface.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import { checkDuration, checkKeys, isPlainObject } from '../core/lifecycle-options.validator.js';
import { priorityName } from '../core/task-priority.enum.js';
import { TaskState } from '../core/task-state.enum.js';
import type { ShutdownReport } from '../core/shutdown-report.interface.js';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { guardedImport } from '../primitives/guarded-import.js';

/** Attribute values a span takes. */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/**
 * The part of an OpenTelemetry `Span` the module uses (an `@opentelemetry/api` span is one).
 *
 * @example
 * const span: TelemetrySpan = trace.getTracer('app').startSpan('x');
 */
export interface TelemetrySpan {
  addEvent(name: string, attributes?: TelemetryAttributes): unknown;
  setAttributes(attributes: TelemetryAttributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): unknown;
}

/**
 * The part of an OpenTelemetry `Tracer` the module uses (an `@opentelemetry/api` tracer is one).
 *
 * @example
 * AsyncLifecycleModule.forRoot({ telemetry: { tracer: trace.getTracer('orders') } });
 */
export interface TelemetryTracer {
  startSpan(name: string, options?: { attributes?: TelemetryAttributes }): TelemetrySpan;
}

/**
 * `telemetry` option: the shutdown as an OpenTelemetry span. `true` uses the global tracer of
 * `@opentelemetry/api` (an optional peer: install it); `flush` is called once the span has
 * ended, after every shutdown hook and after the server closed — the place to shut your SDK
 * down so that the shutdown's own span is exported.
 *
 * @example
 * const sdk = new NodeSDK({ traceExporter: new OTLPTraceExporter() });
 * sdk.start();
 * AsyncLifecycleModule.forRoot({ telemetry: { flush: () => sdk.shutdown() } });
 */
export interface TelemetryOptions {
  /** Default: `trace.getTracer('nestjs-async-lifecycle')` from `@opentelemetry/api`. */
  tracer?: TelemetryTracer;
  /** Events for at most this many task ends (and as many hook ends); the rest are counted. Default 100. */
  maxTaskEvents?: number;
  /** Called last (bounded by `flushTimeoutMs`): export what is buffered, shut the SDK down. */
  flush?: () => unknown;
  /** Default 5000. */
  flushTimeoutMs?: number;
}

/** `telemetry` resolved; `undefined` when off. */
export interface ResolvedTelemetryOptions {
  readonly tracer: TelemetryTracer | undefined;
  readonly maxTaskEvents: number;
  readonly flush: (() => unknown) | undefined;
  readonly flushTimeoutMs: number;
}

const TELEMETRY_KEYS = ['tracer', 'maxTaskEvents', 'flush', 'flushTimeoutMs'];
const SPAN_NAME = 'lifecycle.shutdown';
/** SpanStatusCode.ERROR in `@opentelemetry/api` (a stable value of the specification). */
const STATUS_ERROR = 2;
const TERMINAL = new Set<string>([
  TaskState.COMPLETED,
  TaskState.CANCELLED,
  TaskState.FAILED,
  TaskState.ABANDONED,
]);

/**
 * Validates `telemetry`.
 *
 * @example
 * resolveTelemetryOptions(true); // { tracer: undefined, maxTaskEvents: 100, flush: undefined, flushTimeoutMs: 5000 }
 */
export function resolveTelemetryOptions(value: unknown): ResolvedTelemetryOptions | undefined {
  if (value === undefined || value === false) return undefined;
  const given: Record<string, unknown> = value === true ? {} : (value as Record<string, unknown>);
  if (value !== true && !isPlainObject(value)) {
    throw InvalidLifecycleOptionError.invalid(
      'telemetry',
      value,
      'a boolean or { tracer?, maxTaskEvents?, flush?, flushTimeoutMs? }',
    );
  }
  checkKeys('telemetry.', given, TELEMETRY_KEYS);
  const tracer = given.tracer;
  if (
    tracer !== undefined &&
    (typeof tracer !== 'object' ||
      tracer === null ||
      typeof (tracer as { startSpan?: unknown }).startSpan !== 'function')
  ) {
    throw InvalidLifecycleOptionError.invalid(
      'telemetry.tracer',
      tracer,
      'an OpenTelemetry Tracer (with startSpan)',
    );
  }
  const max = given.maxTaskEvents;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 0)) {
    throw InvalidLifecycleOptionError.invalid('telemetry.maxTaskEvents', max, 'an integer >= 0');
  }
  if (given.flush !== undefined && typeof given.flush !== 'function') {
    throw InvalidLifecycleOptionError.invalid('telemetry.flush', given.flush, 'a function');
  }
  return {
    tracer: tracer as TelemetryTracer | undefined,
    maxTaskEvents: max ?? 100,
    flush: given.flush as (() => unknown) | undefined,
    flushTimeoutMs: checkDuration('telemetry.flushTimeoutMs', given.flushTimeoutMs, 5_000),
  };
}

/** The global tracer of `@opentelemetry/api`; a missing package fails bootstrap, naming it. */
async function globalTracer(): Promise<TelemetryTracer> {
  type Api = { trace: { getTracer(name: string): TelemetryTracer } };
  const api = await guardedImport<Api & { default?: Api }>('@opentelemetry/api', {
    required: true,
  });
  // Its ESM build has named exports; loaded as CommonJS it may only have a default.
  const trace = api.trace ?? api.default?.trace;
  if (trace === undefined) throw new Error('@opentelemetry/api has no `trace` export');
  return trace.getTracer('nestjs-async-lifecycle');
}

/**
 * The shutdown as one OpenTelemetry span, `lifecycle.shutdown`: it starts when the shutdown
 * begins, has an event per phase and per wave, one per task end and hook end up to
 * `maxTaskEvents` (beyond that, counted by state in `lifecycle.events.dropped.*`), and ends once
 * the report is complete, with its outcome, reason, phase reached, duration and counts as
 * attributes (status ERROR when something was abandoned). Nothing is observed before the
 * shutdown: no cost while the application runs.
 *
 * @example
 * const telemetry = await LifecycleTelemetry.start(coordinator, logger, resolveTelemetryOptions(true)!);
 * // … at the very end:
 * await telemetry.end(coordinator.getReport());
 */
export class LifecycleTelemetry {
  #span: TelemetrySpan | undefined;
  #release: (() => void) | undefined;
  #taskEvents = 0;
  #hookEvents = 0;
  readonly #dropped = new Map<string, number>();
  #ended = false;

  private constructor(
    private readonly tracer: TelemetryTracer,
    private readonly options: ResolvedTelemetryOptions,
    private readonly logger: LifecycleLogger,
  ) {}

  /** Loads the tracer (the global one when none is given) and waits for the shutdown. */
  static async start(
    coordinator: LifecycleCoordinator,
    logger: LifecycleLogger,
    options: ResolvedTelemetryOptions,
  ): Promise<LifecycleTelemetry> {
    const telemetry = new LifecycleTelemetry(
      options.tracer ?? (await globalTracer()),
      options,
      logger,
    );
    telemetry.#watch(coordinator);
    return telemetry;
  }

  #watch(coordinator: LifecycleCoordinator): void {
    const signal = coordinator.shutdownSignal;
    const begin = (): void => {
      signal.removeEventListener('abort', begin);
      this.#span = this.#guard(() => this.tracer.startSpan(SPAN_NAME));
      // Subscribed only now: events$ builds events only while someone listens.
      const subscription = coordinator.events$.subscribe((event) => this.#record(event));
      this.#release = () => subscription.unsubscribe();
    };
    if (signal.aborted) begin();
    else {
      signal.addEventListener('abort', begin);
      this.#release = () => signal.removeEventListener('abort', begin);
    }
  }

  #record(event: LifecycleEvent): void {
    const span = this.#span;
    if (span === undefined) return;
    if (event.type === 'phase') {
      this.#guard(() => span.addEvent(`phase.${event.phase}`, { 'lifecycle.by': event.by }));
    } else if (event.type === 'wave') {
      this.#guard(() =>
        span.addEvent('wave', {
          'lifecycle.wave': event.wave,
          'lifecycle.phase': event.phase,
          'lifecycle.wave.tasks': event.tasks,
          'lifecycle.wave.hooks': event.hooks,
        }),
      );
    } else if (event.type === 'task' && TERMINAL.has(event.state)) {
      if (this.#taskEvents >= this.options.maxTaskEvents) {
        this.#drop(`task.${event.state}`);
        return;
      }
      this.#taskEvents++;
      this.#guard(() =>
        span.addEvent('task.end', {
          'lifecycle.task.name': event.name,
          'lifecycle.task.state': event.state,
          'lifecycle.task.priority': priorityName(event.priority),
        }),
      );
    } else if (event.type === 'hook' && event.outcome !== undefined) {
      if (this.#hookEvents >= this.options.maxTaskEvents) {
        this.#drop(`hook.${event.outcome}`);
        return;
      }
      this.#hookEvents++;
      const outcome = event.outcome;
      this.#guard(() =>
        span.addEvent('hook.end', {
          'lifecycle.hook.name': event.name,
          'lifecycle.hook.outcome': outcome,
          'lifecycle.hook.priority': priorityName(event.priority),
        }),
      );
    }
  }

  #drop(key: string): void {
    this.#dropped.set(key, (this.#dropped.get(key) ?? 0) + 1);
  }

  /** A tracer or span that throws loses its telemetry, never the shutdown. */
  #guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.logger.warn(LifecycleMessages.telemetryFailed(describeError(error)));
      return undefined;
    }
  }

  /**
   * Ends the span with the report's outcome (once), then runs `flush` — the last thing the
   * module does — bounded by `flushTimeoutMs`. Never throws.
   */
  async end(report: ShutdownReport | undefined): Promise<void> {
    this.endSpan(report);
    const flush = this.options.flush;
    if (flush === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.options.flushTimeoutMs);
      });
      const outcome = await Promise.race([Promise.resolve().then(flush), timedOut]);
      if (outcome === 'timeout') {
        this.logger.warn(LifecycleMessages.telemetryFlushTimedOut(this.options.flushTimeoutMs));
      }
    } catch (error) {
      this.logger.warn(LifecycleMessages.telemetryFlushFailed(describeError(error)));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the span (once) with the report's figures; synchronous, for the watchdog too. */
  endSpan(report: ShutdownReport | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#release?.();
    const span = this.#span;
    if (span === undefined) return;
    const attributes: TelemetryAttributes = {};
    if (report !== undefined) {
      Object.assign(attributes, {
        'lifecycle.shutdown.reason': report.reason,
        'lifecycle.shutdown.outcome': report.outcome,
        'lifecycle.shutdown.phase_reached': report.phaseReached,
        'lifecycle.shutdown.duration_ms': report.durationMs,
        'lifecycle.shutdown.drain_ms': report.drainMs,
        'lifecycle.tasks.total': report.total,
        'lifecycle.tasks.completed': report.completed,
        'lifecycle.tasks.cancelled': report.cancelled,
        'lifecycle.tasks.failed': report.failed,
        'lifecycle.tasks.abandoned': report.abandoned,
        'lifecycle.hooks.total': report.hooks.length,
        'lifecycle.hooks.not_ok': report.hooks.filter((hook) => hook.outcome !== 'ok').length,
        'lifecycle.late_failures': report.lateFailures.length,
      });
    }
    for (const [key, count] of this.#dropped) attributes[`lifecycle.events.dropped.${key}`] = count;
    this.#guard(() => span.setAttributes(attributes));
    if (report?.outcome === 'terminated') {
      this.#guard(() =>
        span.setStatus({ code: STATUS_ERROR, message: `${report.abandoned} abandoned` }),
      );
    }
    this.#guard(() => span.end());
  }

  /** The application closed without a shutdown of ours reaching the end: nothing stays subscribed. */
  dispose(): void {
    this.#release?.();
  }
}
