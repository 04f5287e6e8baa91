import { Injectable } from '@nestjs/common';
import {
  ManagedTask,
  TaskPriority,
  abortableDelay,
  type CleanupInfo,
  type TaskContext,
} from 'nestjs-async-lifecycle';
import { JobQueue } from './job-queue.js';

/** How long one job takes (ms). */
const WORK_MS = Number(process.env.WORK_MS ?? 20);

/**
 * Takes jobs from the queue one at a time. CRITICAL: lower priorities stop first, so the worker
 * stops after the HTTP wave (HIGH) — no job can be accepted after its checkpoint.
 *
 * @example
 * // providers: [JobQueue, JobWorker] — started at bootstrap, checkpointed at shutdown
 */
@Injectable()
export class JobWorker {
  constructor(private readonly queue: JobQueue) {}

  @ManagedTask({ priority: TaskPriority.CRITICAL, cleanup: 'checkpoint', name: 'job-worker' })
  async run({ signal }: TaskContext): Promise<void> {
    for (;;) {
      const job = await this.queue.take(signal);
      // Cancelled mid-job: the job stays in progress, so the checkpoint keeps it.
      await abortableDelay(WORK_MS, signal);
      this.queue.complete(job);
      console.log(`DONE ${job}`);
    }
  }

  /** Runs exactly once when the worker ends, shielded from its cancellation. */
  async checkpoint(info: CleanupInfo): Promise<void> {
    const count = await this.queue.checkpoint();
    console.log(`CHECKPOINT ${count} (worker ${info.state})`);
  }
}
