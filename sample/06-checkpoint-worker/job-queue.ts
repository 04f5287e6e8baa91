import { Injectable, type OnModuleInit } from '@nestjs/common';
import { appendFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from 'nestjs-async-lifecycle';

/** Where the queue keeps what must survive a restart. */
export const DATA_DIR = process.env.DATA_DIR ?? join(process.cwd(), '.checkpoint-worker');
/** Accepted jobs not yet done when the last process stopped (written by `checkpoint`). */
export const CHECKPOINT_FILE = join(DATA_DIR, 'checkpoint.json');
/** One line per job done: appending its line is what "done" means. */
export const DONE_LOG = join(DATA_DIR, 'done.log');

/**
 * An in-memory job queue that loses nothing across restarts: jobs accepted but not done are
 * checkpointed at shutdown with `writeJsonAtomic` (a reader sees the old file or the new one,
 * never a torn one) and resumed at the next boot. Job ids are idempotency keys: a job already
 * queued or done is not queued again (a producer that retries after a lost response).
 *
 * @example
 * queue.accept('order-42'); // true: queued; false: already queued or done
 * const job = await queue.take(signal);
 * queue.complete(job);
 */
@Injectable()
export class JobQueue implements OnModuleInit {
  private readonly waiting: string[] = [];
  private readonly known = new Set<string>();
  private readonly inProgress = new Set<string>();
  private wake: (() => void) | undefined;

  /** Resumes the checkpoint of the previous process, once; remembers what was done. */
  async onModuleInit(): Promise<void> {
    for (const line of (await readFile(DONE_LOG, 'utf8').catch(() => '')).split('\n')) {
      if (line !== '') this.known.add(line);
    }
    const text = await readFile(CHECKPOINT_FILE, 'utf8').catch(() => undefined);
    if (text === undefined) return;
    const { jobs } = JSON.parse(text) as { jobs: string[] };
    for (const job of jobs) this.accept(job);
    console.log(`RESUMED ${jobs.length} ${jobs.join(',')}`);
    // Resumed jobs are in memory now, and checkpointed again at the next shutdown.
    await rm(CHECKPOINT_FILE, { force: true });
  }

  /** Queues a job; `false` when it is already queued, in progress or done. */
  accept(job: string): boolean {
    if (this.known.has(job)) return false;
    this.known.add(job);
    this.waiting.push(job);
    this.wake?.();
    return true;
  }

  /** The next job, waiting for one; rejects when `signal` aborts. */
  async take(signal: AbortSignal): Promise<string> {
    while (this.waiting.length === 0) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    const job = this.waiting.shift() as string;
    this.inProgress.add(job);
    return job;
  }

  /** The job is done: its line in the done log is the commit (synchronous: all or nothing). */
  complete(job: string): void {
    appendFileSync(DONE_LOG, `${job}\n`);
    this.inProgress.delete(job);
  }

  /** Everything accepted and not done — in progress first — written atomically. */
  async checkpoint(): Promise<number> {
    const jobs = [...this.inProgress, ...this.waiting];
    await writeJsonAtomic(CHECKPOINT_FILE, { jobs });
    return jobs.length;
  }
}
