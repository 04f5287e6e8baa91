import { isCancellation } from '../../core/cancellation.js';
import { describeError } from '../../core/describe.js';
import type { ManagedTask } from '../../core/task.interface.js';
import type { BullmqJob, BullmqWorkerLike, ProcessJob } from './bullmq-worker.interface.js';

/**
 * What becomes of a job, decided the moment its processor settles — before its task ends, so
 * that the report built as the shutdown ends already counts it.
 */
export type JobOutcome =
  /** Its processor returned: BullMQ completes it. */
  | 'completed'
  /** The shutdown stopped it: back to its queue. */
  | 'handed-back'
  /** Its own error: BullMQ fails or retries it. */
  | 'failed'
  /** Its processor moved it itself (`DelayedError`, `WaitingError`, …): BullMQ leaves it. */
  | 'moved';

/** What one job's run needs from its intake. */
export interface JobRunHost {
  /** Admits the job's processor as a managed task; `undefined`: too late (refuse it). */
  admit(
    fn: (signal: AbortSignal) => Promise<unknown>,
    label: string,
  ): ManagedTask<unknown> | undefined;
  /** Whether the shutdown has begun. */
  isStopping(): boolean;
  /** Counts an outcome decided while the shutdown runs. */
  decided(outcome: JobOutcome, label: string, why: string | undefined): void;
  /** Moves the job back to its queue, then rejects with BullMQ's `WaitingError`. */
  handBack(job: BullmqJob, token: string | undefined, label: string): Promise<never>;
  /** The engine would not take the job (a name clash, …): it runs unmanaged. */
  notManaged(label: string, error: unknown): void;
  started(run: BullmqJobRun): void;
  ended(run: BullmqJobRun): void;
}

/** BullMQ's own "I moved this job myself" errors: the worker must neither fail nor complete it. */
const BULLMQ_MOVES: ReadonlySet<unknown> = new Set([
  'DelayedError',
  'WaitingError',
  'WaitingChildrenError',
  'RateLimitError',
]);
const RATE_LIMIT_MESSAGE = 'bullmq:rateLimitExceeded';

/** Reads `key` of a thrown value; a throwing getter or Proxy trap reads as `undefined`. */
function read(error: unknown, key: string): unknown {
  if (typeof error !== 'object' || error === null) return undefined;
  try {
    return (error as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function isBullmqMove(error: unknown): boolean {
  return BULLMQ_MOVES.has(read(error, 'name')) || read(error, 'message') === RATE_LIMIT_MESSAGE;
}

/**
 * One job through the BullMQ intake: its processor runs as a managed task (stop mode `drain`)
 * whose signal is the one the processor receives; BullMQ's own signal for the job
 * (`worker.cancelJob`) cancels that task. How the processor settles decides what BullMQ does:
 * - it returned → BullMQ completes the job, even after the shutdown signalled it: a processor
 *   that returns says its work is done (throw — `signal.throwIfAborted()` — to be handed back);
 * - it failed because of the shutdown (its signal aborted at FORCEFUL, a cancellation or a
 *   `ShutdownInProgressError` once the shutdown began) — or the shutdown abandoned it at the end
 *   of TERMINATE → the job is moved back to its queue (`job.moveToWait`) and BullMQ hears
 *   `WaitingError`: never failed, `attemptsMade` unchanged, taken by another worker at once;
 * - any other error → BullMQ fails or retries the job as usual.
 */
export class BullmqJobRun {
  private signal: AbortSignal | undefined;
  /** BullMQ's signal aborted (`worker.cancelJob`): the job's fate is what its processor says. */
  private cancelledByBullmq = false;
  private outcome: JobOutcome | undefined;
  private task: ManagedTask<unknown> | undefined;
  private readonly onBullmqAbort = (): void => {
    this.cancelledByBullmq = true;
    // Resolves once the task ended; it never rejects. The outcome is read in run().
    void this.task?.cancel(this.bullmqSignal?.reason);
  };

  constructor(
    private readonly host: JobRunHost,
    /** The worker processing the job. */
    readonly worker: BullmqWorkerLike,
    private readonly job: BullmqJob,
    private readonly token: string | undefined,
    private readonly bullmqSignal: AbortSignal | undefined,
    /** `queue#id`, for task names and logs. */
    readonly label: string,
  ) {}

  async run(processJob: ProcessJob): Promise<unknown> {
    let task: ManagedTask<unknown> | undefined;
    try {
      task = this.host.admit((signal) => this.process(processJob, signal), this.label);
    } catch (error) {
      // Whatever the engine refuses, the job is not lost: it runs as BullMQ would run it.
      this.host.notManaged(this.label, error);
      return processJob(this.job, this.token, this.bullmqSignal);
    }
    if (task === undefined) {
      this.decide('handed-back', 'too late to join the shutdown');
      return this.host.handBack(this.job, this.token, this.label);
    }
    this.task = task;
    this.bullmqSignal?.addEventListener('abort', this.onBullmqAbort, { once: true });
    this.host.started(this);
    try {
      return await task;
    } catch (error) {
      // Decided already when the processor failed (the first decision stands); otherwise the
      // task was abandoned: its handle rejected while the processor still runs.
      this.decide(this.classify(error), error);
      if (this.outcome === 'handed-back') {
        return await this.host.handBack(this.job, this.token, this.label);
      }
      throw error;
    } finally {
      this.bullmqSignal?.removeEventListener('abort', this.onBullmqAbort);
      this.host.ended(this);
    }
  }

  get jobId(): string | undefined {
    return this.job.id;
  }

  /** The shutdown gives up on this job while its processor still runs: it goes back. */
  abandoned(): void {
    this.decide('handed-back', 'abandoned at the end of TERMINATE');
  }

  /** The task's body: the processor, with the outcome decided as it settles. */
  private process(processJob: ProcessJob, signal: AbortSignal): Promise<unknown> {
    this.signal = signal;
    // The executor turns a processor that throws synchronously into a rejection.
    return new Promise<unknown>((resolve) =>
      resolve(processJob(this.job, this.token, signal)),
    ).then(
      (value) => {
        this.decide('completed', undefined);
        return value;
      },
      (error: unknown) => {
        this.decide(this.classify(error), error);
        throw error;
      },
    );
  }

  /** The first decision stands: an abandoned processor that returns later changes nothing. */
  private decide(outcome: JobOutcome, why: unknown): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    if (!this.host.isStopping()) return;
    this.host.decided(
      outcome,
      this.label,
      why === undefined ? undefined : typeof why === 'string' ? why : describeError(why),
    );
  }

  /**
   * Whether the job stopped because of the shutdown rather than because of its own error: once
   * the shutdown began, its signal aborted, or a cancellation or `ShutdownInProgressError` —
   * unless BullMQ cancelled it (then the processor's error is the job's, as BullMQ documents).
   */
  private classify(error: unknown): JobOutcome {
    if (isBullmqMove(error)) return 'moved';
    if (!this.host.isStopping() || this.cancelledByBullmq) return 'failed';
    return this.signal?.aborted === true ||
      isCancellation(error) ||
      read(error, 'isShutdownInProgressError') === true
      ? 'handed-back'
      : 'failed';
  }
}
