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

  constructor(
    private readonly registry: SchedulerRegistryLike,
    private readonly options: ResolvedScheduleIntakeOptions,
    private readonly logger: LifecycleLogger,
  ) {}

  /** `handle` is what `registerIntake` returned; from now on additions to the registry are watched. */
  install(handle: IntakeHandle): void {
    this.#handle = handle;
    this.#watchAdditions();
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
      // The task could not be made (its name is taken by a task of the application's own): the
      // tick still runs.
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
        },
      },
      addInterval: {
        configurable: true,
        writable: true,
        value: (name: string, intervalId: unknown): void => {
          addInterval(name, intervalId);
          if (this.#stopping && this.#clear('interval', name)) this.#counters.stoppedLate++;
        },
      },
      addTimeout: {
        configurable: true,
        writable: true,
        value: (name: string, timeoutId: unknown): void => {
          addTimeout(name, timeoutId);
          if (this.#stopping && this.#clear('timeout', name)) this.#counters.stoppedLate++;
        },
      },
    });
  }
}
