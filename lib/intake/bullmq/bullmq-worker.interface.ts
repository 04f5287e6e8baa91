/**
 * What the library needs of a BullMQ `Worker` you hand it with `manageBullmqWorker`. Written out
 * rather than imported, so that the library's types do not require `bullmq` to be installed; a
 * `Worker` of bullmq 5 or 6 fits.
 *
 * @example
 * const worker: BullmqWorkerLike = new Worker('emails', processor, { connection });
 */
export interface BullmqWorkerLike {
  /** The queue's name. */
  readonly name: string;
  pause(doNotWaitActive?: boolean): Promise<void>;
  isPaused(): boolean;
}

/** The part of a BullMQ `Job` the intake uses. */
export interface BullmqJob {
  readonly id?: string;
  /** Moves the job from active back to wait (or prioritized), releasing the worker's lock. */
  moveToWait(token?: string): Promise<unknown>;
}

/** A processor call as BullMQ makes it: the job, its lock token, the processor's signal. */
export type ProcessJob = (
  job: BullmqJob,
  token: string | undefined,
  signal: AbortSignal | undefined,
) => Promise<unknown>;

/**
 * The seam the intake plugs into: `callProcessJob`, the protected method through which a BullMQ
 * worker runs its processor for each job (an extension point for subclasses). The intake wraps
 * it on the instance, so every job runs as a managed task.
 */
export interface PatchableWorker extends BullmqWorkerLike {
  callProcessJob: ProcessJob;
  /**
   * The worker's lock manager (protected in bullmq's types, present since 5.x): its public
   * `getTrackedJobIds()` lists the jobs the worker is processing, ours or not.
   */
  readonly lockManager?: unknown;
}

/**
 * The jobs `worker` is processing now, by id, as its lock manager tracks them; `undefined` when
 * this bullmq has no such method.
 */
export function trackedJobIds(worker: PatchableWorker): string[] | undefined {
  try {
    const manager = worker.lockManager as { getTrackedJobIds?: unknown } | undefined;
    if (typeof manager?.getTrackedJobIds !== 'function') return undefined;
    const ids: unknown = (manager.getTrackedJobIds as () => unknown).call(manager);
    return Array.isArray(ids) ? ids.map((id) => String(id)) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `value` is a BullMQ `Worker` (by shape: the app may load another copy of bullmq). */
export function isPatchableWorker(value: unknown): value is PatchableWorker {
  if (typeof value !== 'object' || value === null) return false;
  try {
    const candidate = value as Partial<Record<keyof PatchableWorker, unknown>>;
    return (
      typeof candidate.callProcessJob === 'function' &&
      typeof candidate.pause === 'function' &&
      typeof candidate.isPaused === 'function' &&
      typeof candidate.name === 'string'
    );
  } catch {
    // A provider whose property reads throw (a Proxy) is not a worker.
    return false;
  }
}
