import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whenLines } from '../campaign/child-lines.js';
import { startScript, type ChildRun } from '../support/child-process.js';

/*
 * "Nothing lost, shown" (issue #9): sample/06-checkpoint-worker is killed with SIGTERM at seeded
 * random moments — as soon as it is up, after the n-th job accepted, after the n-th job done —
 * while two producers keep submitting jobs over HTTP; each time it restarts on the same data
 * directory. A job is accepted when the producer got its 202; one refused (503, refused or reset
 * connection) is submitted again to the next instance. At the end every accepted job is in the
 * done log exactly once: none lost, none duplicated. The moments are read from the lines the
 * worker prints, never from a sleep. CHECKPOINT_CYCLES and CHECKPOINT_SEED widen or replay it.
 */

const SAMPLE = 'sample/06-checkpoint-worker/main.js';
const CYCLES = Number(process.env.CHECKPOINT_CYCLES ?? 6);
const SEED = Number(process.env.CHECKPOINT_SEED ?? 20261201);
// Per cycle: a Nest app's start on a busy machine, a short run, a shutdown of a few ms.
const CYCLE_MS = 15_000;

interface KillMoment {
  after: 'ready' | 'accepted' | 'done';
  count: number;
}

const killMoment: fc.Arbitrary<KillMoment> = fc.record(
  { after: fc.constantFrom('ready', 'accepted', 'done'), count: fc.integer({ min: 1, max: 25 }) },
  { noNullPrototype: true },
);

/** POSTs one job on a fresh connection: the status, or the error code of a failed exchange. */
function submit(port: number, job: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: `/jobs/${job}`, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end();
  });
}

/** The jobs of the whole test: what was accepted, what must be submitted again. */
class Producer {
  readonly accepted = new Set<string>();
  private readonly retry: string[] = [];
  private next = 1;
  private acceptedThisCycle = 0;
  private readonly onAccepted: (() => void)[] = [];

  /** Submits until the instance stops taking jobs (or `stop` says so); `fresh`: new jobs too. */
  async feed(port: number, fresh: boolean, stop: () => boolean): Promise<void> {
    this.acceptedThisCycle = 0;
    for (;;) {
      if (stop()) return;
      const job = this.retry.shift() ?? (fresh ? `job-${this.next++}` : undefined);
      if (job === undefined) return;
      const status = await submit(port, job);
      if (status !== 202) {
        // Not accepted: the next instance gets it.
        this.retry.unshift(job);
        return;
      }
      this.accepted.add(job);
      this.acceptedThisCycle++;
      for (const listener of this.onAccepted) listener();
    }
  }

  /** Resolves once `count` jobs were accepted in this cycle, or `gaveUp` resolved. */
  acceptedAtLeast(count: number, gaveUp: Promise<unknown>): Promise<void> {
    return Promise.race([
      gaveUp.then(() => undefined),
      new Promise<void>((resolve) => {
        const listener = (): void => {
          if (this.acceptedThisCycle < count) return;
          this.onAccepted.splice(this.onAccepted.indexOf(listener), 1);
          resolve();
        };
        this.onAccepted.push(listener);
        listener();
      }),
    ]);
  }

  get pending(): number {
    return this.retry.length;
  }
}

/** `promise`, or `false` after `ms`; the timer is released either way. */
async function bounded(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function port(run: ChildRun): number {
  return Number(run.lines.find((l) => l.startsWith('READY '))?.slice('READY '.length));
}

function doneCount(lines: string[]): number {
  return lines.filter((l) => l.startsWith('DONE ')).length;
}

describe('sample 06: a checkpointing worker killed at random moments', () => {
  let run: ChildRun | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await run?.close();
    run = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it(
    `${CYCLES} SIGTERM/restart cycles (seed ${SEED}): every accepted job done exactly once`,
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'checkpoint-worker-'));
      const env = { DATA_DIR: dir, PORT: '0', WORK_MS: '10' };
      const producer = new Producer();
      const moments = fc.sample(killMoment, { seed: SEED, numRuns: CYCLES });
      let resumed = 0;
      let interrupted = 0;

      for (const moment of moments) {
        run = startScript(SAMPLE, env);
        const current = run;
        expect(await whenLines(current, (l) => l.some((x) => x.startsWith('READY ')))).toBe(true);
        let signalled = false;
        const exited = current.exited;
        const feeding = Promise.all([
          producer.feed(port(current), true, () => signalled),
          producer.feed(port(current), true, () => signalled),
        ]);
        if (moment.after === 'accepted') {
          await producer.acceptedAtLeast(moment.count, exited);
        } else if (moment.after === 'done') {
          await whenLines(current, (lines) => doneCount(lines) >= moment.count);
        }
        current.child.kill('SIGTERM');
        const { code } = await exited;
        signalled = true;
        await feeding;

        expect({ code, stderr: current.errorOutput }).toEqual({ code: 0, stderr: '' });
        expect(current.lines.filter((l) => l.startsWith('CHECKPOINT '))).toHaveLength(1);
        resumed += Number(
          current.lines.find((l) => l.startsWith('RESUMED '))?.split(' ')[1] ?? '0',
        );
        if (!current.lines.some((l) => l.startsWith('CHECKPOINT 0 '))) interrupted++;
      }

      // The last instance: the jobs refused by the previous one, then until all are done.
      run = startScript(SAMPLE, env);
      const last = run;
      expect(await whenLines(last, (l) => l.some((x) => x.startsWith('READY ')))).toBe(true);
      await producer.feed(port(last), false, () => false);
      expect(producer.pending).toBe(0);
      const doneLog = join(dir, 'done.log');
      const allDone = async (): Promise<boolean> => {
        const done = new Set((await readFile(doneLog, 'utf8')).split('\n'));
        return [...producer.accepted].every((job) => done.has(job));
      };
      // Each DONE line is printed after its job's line in the log: re-read at each one. A lost
      // job would never come: the wait for the next line is bounded (a failure, not an order).
      let complete = await allDone();
      while (!complete) {
        const seen = doneCount(last.lines);
        if (
          !(await bounded(
            whenLines(last, (lines) => doneCount(lines) > seen),
            5_000,
          ))
        )
          break;
        complete = await allDone();
      }
      last.child.kill('SIGTERM');
      expect((await last.exited).code).toBe(0);

      const done = (await readFile(doneLog, 'utf8')).split('\n').filter((l) => l !== '');
      const duplicated = done.filter((job, index) => done.indexOf(job) !== index);
      const lost = [...producer.accepted].filter((job) => !done.includes(job));
      const unknown = done.filter((job) => !producer.accepted.has(job));
      expect({ lost, duplicated, unknown }).toEqual({ lost: [], duplicated: [], unknown: [] });
      // The runs did cut jobs short and resume them: the test exercised the checkpoint.
      expect(producer.accepted.size).toBeGreaterThan(CYCLES);
      console.log(
        `checkpoint worker: ${CYCLES} cycles (seed ${SEED}), ${producer.accepted.size} jobs accepted, ` +
          `${done.length} done once each, ${resumed} resumed from checkpoints, ` +
          `${interrupted} shutdowns with jobs checkpointed`,
      );
    },
    CYCLE_MS * (CYCLES + 1),
  );
});
