import { isCancellation } from '../../core/cancellation.js';
import { describeError, safeText } from '../../core/describe.js';
import type { Intake, IntakeHandle } from '../../core/intake.interface.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import { ShutdownInProgressError } from '../../core/shutdown-in-progress.error.js';
import type { ManagedTask } from '../../core/task.interface.js';
import { isThenable } from '../../core/thenable.js';
import type { ResolvedScheduleIntakeOptions } from './schedule-intake.options.js';
import { ScheduleMessages } from './schedule-intake.messages.js';
import type { ScheduleIntakeReport } from './schedule-intake.report.js';
import type { ScheduleKind } from './schedule-tick.layer.js';
import type { CronJobLike, SchedulerRegistryLike } from './scheduler-registry.interface.js';

/** A scheduled method of one instance, as its ticks are named and run. */
export interface ScheduledJob {
  readonly kind: ScheduleKind;
  /** The job's name in `SchedulerRegistry` when it was given one, else `Class.method`. */
  readonly label: string;
  /** The method also has `@ManagedTask({ start: 'call' })`: that decorator makes each run a task. */
  readonly managed: boolean;
}

/** Longest job label in a tick's task name. */
export const MAX_LABEL = 150;

type Outcome = 'drained' | 'failed' | 'cancelled' | 'refused';

// How a tick ended inside its task, when it ended synchronously.
const PENDING = 0;
const RETURNED = 1;
const THREW = 2;

function noop(): void {}

function outcomeOf(error: unknown): Outcome {
  if (error instanceof ShutdownInProgressError) return 'refused';
  return isCancellation(error) ? 'cancelled' : 'failed';
}

/**
 * Cron jobs, intervals and timeouts of `@nestjs/schedule` (DESIGN §4 "Intakes"): at the first
 * instant of shutdown every schedule in `SchedulerRegistry` is stopped — those added later
 * during the shutdown at once — so no tick starts any more, rather than starting and being
 * refused. Every tick runs as a managed task in stop mode `drain` (one task per tick: a method
 * with `@ManagedTask({ start: 'call' })` keeps that decorator's task), so the ticks in flight are
 * drained in their wave and reported.
 */
export class ScheduleIntake implements Intake {
  readonly name = 'schedule';
  #handle: IntakeHandle | undefined;
  #stopping = false;
  #inFlight = 0;
  readonly #seq = new Map<string, number>();
  /** Cron jobs this intake stopped: stopped once, never started again. */
  readonly #stoppedJobs = new WeakSet<CronJobLike>();
  readonly #counters: ScheduleIntakeReport = {
    stopped: { cronJobs: 0, intervals: 0, timeouts: 0 },
    stoppedLate: 0,
    inFlightAtStart: 0,
    admitted: 0,
    drained: 0,
    failed: 0,
    cancelled: 0,
    running: 0,
    untracked: 0,
  };

  /** Callbacks this intake wrapped: never wrapped twice. */
  readonly #wrapped = new WeakSet<object>();

  constructor(
    private readonly registry: SchedulerRegistryLike,
    private readonly options: ResolvedScheduleIntakeOptions,
    private readonly logger: LifecycleLogger,
    /**
     * The functions `@nestjs/schedule` runs for the `@Cron`, `@Interval` and `@Timeout` methods
     * (their ticks are tasks through the methods' layers already), so that every other callback
     * in the registry — a job added at run time — is made a task here; `undefined` when they
     * could not be known: the callbacks of jobs added at run time are then left as they are.
     */
    private readonly decorated?: ReadonlySet<unknown>,
  ) {}

  /**
   * `handle` is what `registerIntake` returned; from now on additions to the registry are
   * watched, and the ticks of jobs added at run time are managed tasks too.
   */
  install(handle: IntakeHandle): void {
    this.#handle = handle;
    this.#watchAdditions();
    const registry = this.registry;
    for (const [name, job] of registry.getCronJobs()) this.#manageCronJob(name, job);
    for (const name of registry.getIntervals()) this.#manageTimer('interval', name);
    for (const name of registry.getTimeouts()) this.#manageTimer('timeout', name);
  }

  shutdownStarted(): void {
    // Synchronous, in the turn that began the shutdown: no timer callback can run before every
    // schedule is stopped.
    this.#stopping = true;
    this.#counters.inFlightAtStart = this.#inFlight;
    const registry = this.registry;
    for (const [name, job] of registry.getCronJobs()) this.#stopCronJob(name, job, false);
    for (const name of registry.getIntervals()) {
      if (this.#clear('interval', name)) this.#counters.stopped.intervals++;
    }
    for (const name of registry.getTimeouts()) {
      if (this.#clear('timeout', name)) this.#counters.stopped.timeouts++;
    }
  }

  report(): ScheduleIntakeReport {
    return {
      ...this.#counters,
      stopped: { ...this.#counters.stopped },
      running: this.#stopping ? this.#inFlight : 0,
    };
  }

  /**
   * Runs one tick of `job` — `call` runs the method — as a managed task of the configured
   * priority, named `<kind> <label>#<n>`. A synchronous method stays synchronous. During the
   * shutdown a run (called by work in flight: every timer is stopped) joins its wave while it
   * is open, and runs untracked after that rather than failing.
   */
  runTick(job: ScheduledJob, call: () => unknown): unknown {
    if (job.managed) {
      // `@ManagedTask({ start: 'call' })` underneath makes this run its task: counted here, so
      // that a tick is one task, with that decorator's name, priority and dependencies. Counted
      // once its promise settles, a few microtasks after its task ended.
      const value = call();
      if (isThenable(value)) {
        const duringShutdown = this.#started();
        // Both handlers: the caller has its own view of the outcome; this chain never rejects.
        Promise.resolve(value).then(
          () => this.#ended('drained', duringShutdown),
          (error: unknown) => this.#ended(outcomeOf(error), duringShutdown),
        );
      }
      return value;
    }
    let ended = PENDING as number;
    let result: unknown;
    let task: ManagedTask<unknown> | undefined;
    try {
      task = this.#handle?.admit(
        () => {
          // Counted inside the task, so that the count changes before the task ends: a report
          // built at the moment the last task ends has it.
          const duringShutdown = this.#started();
          let value: unknown;
          try {
            value = call();
          } catch (error) {
            ended = THREW;
            result = error;
            this.#ended(outcomeOf(error), duringShutdown);
            throw error;
          }
          if (isThenable(value)) return this.#counted(value, duringShutdown);
          ended = RETURNED;
          result = value;
          this.#ended('drained', duringShutdown);
          return value;
        },
        // The caller — the scheduler, which logs a failed tick — receives the failure: logging
        // it here too would report it twice.
        { name: this.#taskName(job), priority: this.options.priority, onError: noop },
      );
    } catch (error) {
      // Defensive: labels are cleaned and capped (MAX_LABEL), so the name is valid and a taken
      // one no longer refuses; should the task still not be made, the tick runs untracked.
      this.logger.warn(`${ScheduleMessages.untracked(job.label)}: ${describeError(error)}`);
    }
    if (task === undefined) {
      if (this.#stopping) this.#counters.untracked++;
      return call();
    }
    if (ended === THREW) throw result;
    if (ended === RETURNED) return result;
    return Promise.resolve(task);
  }

  /** A run begins: in flight until it settles. Whether the shutdown had begun. */
  #started(): boolean {
    this.#inFlight++;
    if (this.#stopping) this.#counters.admitted++;
    return this.#stopping;
  }

  /** `run`, counted when it settles; it settles the same way. */
  #counted<T>(run: PromiseLike<T>, duringShutdown: boolean): Promise<T> {
    return Promise.resolve(run).then(
      (value) => {
        this.#ended('drained', duringShutdown);
        return value;
      },
      (error: unknown) => {
        this.#ended(outcomeOf(error), duringShutdown);
        throw error;
      },
    );
  }

  #ended(outcome: Outcome, duringShutdown: boolean): void {
    this.#inFlight--;
    if (outcome === 'refused') {
      // A `@ManagedTask` call made after its wave ended never ran: not a tick of the shutdown.
      if (duringShutdown) this.#counters.admitted--;
      return;
    }
    if (this.#stopping) this.#counters[outcome]++;
  }

  #taskName(job: ScheduledJob): string {
    const n = (this.#seq.get(job.label) ?? 0) + 1;
    this.#seq.set(job.label, n);
    return `${job.kind} ${job.label}#${n}`;
  }

  /**
   * Stops a cron job once and keeps it stopped: neither the scheduler's `initialDelay` timer nor
   * application code starts it again, and a later `stop()` (the scheduler's own, when the
   * application closes) does not run its `onComplete` a second time.
   */
  #stopCronJob(name: string, job: CronJobLike, late: boolean): void {
    if (this.#stoppedJobs.has(job)) return;
    this.#stoppedJobs.add(job);
    let counted = false;
    const count = (): void => {
      if (counted) return;
      counted = true;
      if (late) this.#counters.stoppedLate++;
      else this.#counters.stopped.cronJobs++;
    };
    let stopped: unknown;
    try {
      if (late || job.isActive) count();
      stopped = job.stop();
      // A `waitForCompletion` job's stop waits for its tick: its failure is logged, never unhandled.
      if (isThenable(stopped)) {
        Promise.resolve(stopped).then(undefined, (error: unknown) =>
          this.#stopFailed('cron job', name, error),
        );
      }
    } catch (error) {
      this.#stopFailed('cron job', name, error);
    }
    try {
      Object.defineProperties(job, {
        start: { value: count, configurable: true, writable: true },
        stop: { value: () => stopped, configurable: true, writable: true },
      });
    } catch (error) {
      this.#stopFailed('cron job', name, error);
    }
  }

  /** Clears a registered interval or timeout; whether it could. */
  #clear(kind: 'interval' | 'timeout', name: string): boolean {
    try {
      if (kind === 'interval') {
        clearInterval(this.registry.getInterval(name) as Parameters<typeof clearInterval>[0]);
      } else {
        clearTimeout(this.registry.getTimeout(name) as Parameters<typeof clearTimeout>[0]);
      }
      return true;
    } catch (error) {
      this.#stopFailed(kind, name, error);
      return false;
    }
  }

  #stopFailed(what: string, name: string, error: unknown): void {
    this.logger.warn(
      `${ScheduleMessages.stopFailed(what, safeText(name))}: ${describeError(error)}`,
    );
  }

  /**
   * A callback of the registry, run from now on as `runTick` runs a scheduled method's tick; the
   * function itself when it is a decorated method's (already a task), not a function, or wrapped.
   */
  #managed(kind: ScheduleKind, name: string, callback: unknown): unknown {
    if (
      this.decorated === undefined ||
      typeof callback !== 'function' ||
      this.decorated.has(callback) ||
      this.#wrapped.has(callback)
    ) {
      return callback;
    }
    const job: ScheduledJob = { kind, label: safeText(name, MAX_LABEL), managed: false };
    const original = callback as (...args: unknown[]) => unknown;
    const run = (self: unknown, args: unknown[]): unknown =>
      this.runTick(job, () => original.apply(self, args));
    // A plain function, so that the caller's `this` (a cron job's context) reaches the callback.
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const value = run(this, args);
      if (kind === 'cron' || !isThenable(value)) return value;
      // Node drops what a timer's callback returns: a tick the shutdown cancelled at FORCEFUL
      // (the report counts it) must not become an unhandled rejection. Any other failure stays
      // the callback's own, unhandled as it was.
      return Promise.resolve(value).catch((error: unknown) => {
        if (!isCancellation(error)) throw error;
      });
    };
    this.#wrapped.add(wrapped);
    return wrapped;
  }

  /**
   * A cron job added at run time: its callbacks (`cron`'s `_callbacks`, which `fireOnTick()`
   * calls on each tick; `@nestjs/schedule` pins `cron`, and a test checks the field) run as tick
   * tasks. Left alone when the job does not have them.
   */
  #manageCronJob(name: string, job: CronJobLike): void {
    const callbacks: unknown = (job as { _callbacks?: unknown })._callbacks;
    if (!Array.isArray(callbacks)) return;
    for (let i = 0; i < callbacks.length; i++) {
      callbacks[i] = this.#managed('cron', name, callbacks[i]);
    }
  }

  /**
   * An interval or timeout added at run time: the function Node calls on each expiry (the
   * `_onTimeout` of the `Timeout` object `setInterval`/`setTimeout` return, which Node reads on
   * every call; a test checks it) runs as a tick task. Left alone when it is not such an object.
   */
  #manageTimer(kind: 'interval' | 'timeout', name: string): void {
    try {
      const timer: unknown =
        kind === 'interval' ? this.registry.getInterval(name) : this.registry.getTimeout(name);
      if (typeof timer !== 'object' || timer === null) return;
      const holder = timer as { _onTimeout?: unknown };
      if (typeof holder._onTimeout === 'function') {
        holder._onTimeout = this.#managed(kind, name, holder._onTimeout);
      }
    } catch (error) {
      this.logger.warn(`${ScheduleMessages.untracked(safeText(name))}: ${describeError(error)}`);
    }
  }

  /**
   * Work in flight may add schedules during the shutdown (a dynamic job, a retry timer): the
   * registry's own methods stay in charge, then what was added is stopped at once. Own
   * properties of this application's registry instance; `SchedulerRegistry` itself is untouched.
   */
  #watchAdditions(): void {
    const registry = this.registry;
    const addCronJob = registry.addCronJob.bind(registry);
    const addInterval = registry.addInterval.bind(registry);
    const addTimeout = registry.addTimeout.bind(registry);
    Object.defineProperties(registry, {
      addCronJob: {
        configurable: true,
        writable: true,
        value: (name: string, job: CronJobLike): void => {
          addCronJob(name, job);
          if (this.#stopping) this.#stopCronJob(name, job, true);
          else this.#manageCronJob(name, job);
        },
      },
      addInterval: {
        configurable: true,
        writable: true,
        value: (name: string, intervalId: unknown): void => {
          addInterval(name, intervalId);
          if (!this.#stopping) this.#manageTimer('interval', name);
          else if (this.#clear('interval', name)) this.#counters.stoppedLate++;
        },
      },
      addTimeout: {
        configurable: true,
        writable: true,
        value: (name: string, timeoutId: unknown): void => {
          addTimeout(name, timeoutId);
          if (!this.#stopping) this.#manageTimer('timeout', name);
          else if (this.#clear('timeout', name)) this.#counters.stoppedLate++;
        },
      },
    });
  }
}
