import { describeError, safeText } from '../../core/describe.js';
import type { Intake, IntakeHandle } from '../../core/intake.interface.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import { ShutdownInProgressError } from '../../core/shutdown-in-progress.error.js';
import type { ManagedTask } from '../../core/task.interface.js';
import { asyncOnce } from '../../primitives/async-once.js';
import { guardedImport } from '../../primitives/guarded-import.js';
import { BullmqJobRun, type JobRunHost } from './bullmq-job.run.js';
import type { ResolvedBullmqIntakeOptions } from './bullmq-intake.options.js';
import type { BullmqIntakeReport } from './bullmq-intake.report.js';
import {
  trackedJobIds,
  type BullmqJob,
  type PatchableWorker,
  type ProcessJob,
} from './bullmq-worker.interface.js';
import { BullmqMessages } from './bullmq.messages.js';

/** The part of the `bullmq` module the intake uses. */
interface BullmqModule {
  WaitingError: new (message?: string) => Error;
}

// Shared by every intake of the process: bullmq is imported once, when a worker is drained.
const loadBullmq = asyncOnce(() => guardedImport<BullmqModule>('bullmq', { required: true }));

/** Which intake drains a worker: one application's coordinator, never two. */
const drainedBy = new WeakMap<PatchableWorker, BullmqIntake>();

type Counters = Omit<BullmqIntakeReport, 'workers' | 'workersPaused'>;

/**
 * Drains BullMQ workers (DESIGN §4 "Intakes"): each job a worker processes runs as a managed task
 * of the configured priority, in stop mode `drain` (see {@link BullmqJobRun}). When the shutdown
 * begins every worker stops fetching at once (`worker.pause(true)`), so Redis hands the queue's
 * next jobs to other instances; the jobs in flight finish in their wave during GRACEFUL; at
 * FORCEFUL their signal aborts, and those that stop — or are abandoned at the end of TERMINATE —
 * go back to their queue with `job.moveToWait(token)` + `WaitingError`, BullMQ's documented
 * manual move: never failed, taken by another worker at once rather than after the stalled-job
 * check. A job fetched after the shutdown began (a fetch already on its way) goes back
 * unprocessed.
 *
 * Closing the workers stays with their owner (`@nestjs/bullmq` closes its own in
 * `onApplicationShutdown`); by then they have nothing left in flight.
 */
export class BullmqIntake implements Intake {
  readonly name = 'bullmq';
  private readonly workers = new Set<PatchableWorker>();
  private readonly running = new Set<BullmqJobRun>();
  /** Workers paused by the shutdown. */
  private readonly paused = new Set<PatchableWorker>();
  private readonly counters: Counters = {
    inFlightAtStart: 0,
    notManagedAtStart: 0,
    completed: 0,
    handedBack: 0,
    refused: 0,
    failed: 0,
    handBackFailed: 0,
  };
  private readonly host: JobRunHost;
  private handle: IntakeHandle | undefined;

  constructor(
    private options: ResolvedBullmqIntakeOptions,
    private readonly logger: LifecycleLogger | undefined,
    /** Whether a task name is taken now (the coordinator's `isRegistered`). */
    private readonly nameTaken: (name: string) => boolean,
  ) {
    this.host = this.makeHost();
  }

  /** `handle` is what `registerIntake` returned. */
  install(handle: IntakeHandle): void {
    this.handle = handle;
  }

  /** The module's `bullmq` option, once bootstrap has read it (a worker may come before). */
  configure(options: ResolvedBullmqIntakeOptions): void {
    this.options = options;
  }

  /**
   * Runs every job of `worker` through this intake from now on. A worker already drained by this
   * intake is left as it is; one drained by another application's coordinator too (with a
   * warning). Throws `ShutdownInProgressError` once the shutdown began.
   */
  attach(worker: PatchableWorker): void {
    if (this.stopping) throw new ShutdownInProgressError('drain a BullMQ worker');
    const owner = drainedBy.get(worker);
    if (owner === this) return;
    if (owner !== undefined) {
      this.logger?.warn(BullmqMessages.otherApplication(safeText(worker.name, 80)));
      return;
    }
    drainedBy.set(worker, this);
    this.workers.add(worker);
    // Loaded now, while nothing waits for it; a failure is retried (and reported) at hand-back.
    loadBullmq().catch(() => undefined);
    // Bound now: the method BullMQ would have called (a subclass may override it).
    const processJob: ProcessJob = worker.callProcessJob.bind(worker);
    worker.callProcessJob = (job, token, signal) =>
      this.process(worker, processJob, job, token, signal);
  }

  get stopping(): boolean {
    return this.handle !== undefined && this.handle.state !== 'open';
  }

  shutdownStarted(): void {
    this.counters.inFlightAtStart = this.running.size;
    for (const worker of this.workers) {
      this.pause(worker);
      this.explainUnmanaged(worker);
    }
    if (this.workers.size > 0) {
      const queues = [...this.workers].map((worker) => safeText(worker.name, 40)).join(', ');
      this.logger?.log(BullmqMessages.paused(this.paused.size, queues, this.running.size));
    }
  }

  /** The runs still here were abandoned at the end of TERMINATE: their jobs go back. */
  shutdownEnded(): void {
    for (const run of this.running) run.abandoned();
  }

  report(): BullmqIntakeReport {
    return { workers: this.workers.size, workersPaused: this.paused.size, ...this.counters };
  }

  private process(
    worker: PatchableWorker,
    processJob: ProcessJob,
    job: BullmqJob,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const label = `${safeText(worker.name, 80)}#${safeText(String(job.id), 80)}`;
    if (this.stopping) return this.refuse(worker, job, token, label);
    return new BullmqJobRun(this.host, worker, job, token, signal, label).run(processJob);
  }

  /** A job fetched after the shutdown began: back to its queue before its processor runs. */
  private async refuse(
    worker: PatchableWorker,
    job: BullmqJob,
    token: string | undefined,
    label: string,
  ): Promise<never> {
    this.counters.refused++;
    // Someone resumed the worker during the shutdown: pause it again, or it would fetch, refuse
    // and fetch again in a loop.
    if (!worker.isPaused()) this.pause(worker);
    this.logger?.log(BullmqMessages.refused(label));
    await this.moveBack(job, token, label);
    throw await this.waitingError();
  }

  private pause(worker: PatchableWorker): void {
    try {
      // doNotWaitActive: fetching stops now and the jobs in flight drain as tasks. The waiting
      // form would also cut the blocking fetch in flight, but it reconnects that connection
      // when the jobs are done, racing the owner's close(); a job such a fetch still delivers
      // is refused and handed back at once.
      worker.pause(true).catch((error: unknown) => {
        this.logger?.warn(
          BullmqMessages.pauseFailed(safeText(worker.name, 80), describeError(error)),
        );
      });
    } catch (error) {
      this.logger?.warn(
        BullmqMessages.pauseFailed(safeText(worker.name, 80), describeError(error)),
      );
    }
    if (worker.isPaused()) this.paused.add(worker);
  }

  /** Names the jobs of `worker` in flight that started before the intake attached to it. */
  private explainUnmanaged(worker: PatchableWorker): void {
    const managed = new Set<string | undefined>();
    for (const run of this.running) if (run.worker === worker) managed.add(run.jobId);
    const unmanaged = (trackedJobIds(worker) ?? []).filter((id) => !managed.has(id));
    if (unmanaged.length === 0) return;
    this.counters.notManagedAtStart += unmanaged.length;
    this.logger?.warn(
      BullmqMessages.notManagedAtStart(
        safeText(worker.name, 80),
        unmanaged.map((id) => safeText(id, 40)),
      ),
    );
  }

  /** `job.moveToWait(token)`; a refusal by Redis is logged and counted, never thrown. */
  private async moveBack(job: BullmqJob, token: string | undefined, label: string): Promise<void> {
    try {
      await job.moveToWait(token);
    } catch (error) {
      this.counters.handBackFailed++;
      this.logger?.warn(BullmqMessages.handBackFailed(label, describeError(error)));
    }
  }

  private makeHost(): JobRunHost {
    let seq = 0;
    return {
      admit: (fn, label): ManagedTask<unknown> | undefined => {
        let name = `bullmq ${label}`;
        // The same job may run twice at once in one process (a stalled job taken again by a
        // second worker of its queue): task names must stay unique.
        if (this.nameTaken(name)) name = `${name} (${++seq})`;
        return this.handle?.admit(({ signal }) => fn(signal), {
          name,
          priority: this.options.priority,
        });
      },
      isStopping: () => this.stopping,
      decided: (outcome, label, why) => {
        // Counted when decided, before the job's task ends: the report built as the shutdown
        // ends includes it.
        if (outcome === 'completed') this.counters.completed++;
        else if (outcome === 'failed') this.counters.failed++;
        else if (outcome === 'handed-back') {
          this.counters.handedBack++;
          this.logger?.log(BullmqMessages.handedBack(label, why ?? 'stopped by the shutdown'));
        }
      },
      handBack: async (job, token, label) => {
        await this.moveBack(job, token, label);
        throw await this.waitingError();
      },
      notManaged: (label, error) =>
        this.logger?.warn(BullmqMessages.notManaged(label, describeError(error))),
      started: (run) => void this.running.add(run),
      ended: (run) => void this.running.delete(run),
    };
  }

  /**
   * BullMQ's `WaitingError`: the worker then neither completes nor fails the job, which was
   * moved back by hand. BullMQ also recognises it by its name — as it must when the application
   * loaded another copy of bullmq (its CommonJS build) than the one imported here — which is the
   * fallback should bullmq not be importable from this library.
   */
  private async waitingError(): Promise<Error> {
    try {
      const bullmq = await loadBullmq();
      return new bullmq.WaitingError();
    } catch (error) {
      this.logger?.warn(BullmqMessages.importFailed(describeError(error)));
      const named = new Error('bullmq:movedToWait');
      named.name = 'WaitingError';
      return named;
    }
  }
}
