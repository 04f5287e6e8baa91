import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import type { BullmqIntakeReport } from '../../lib/intake/bullmq/bullmq-intake.report.js';
import { startScript, type ChildRun } from '../support/child-process.js';
import { describeWithBroker, startRedis } from '../support/servers/brokers.js';
import type { RunningServer } from '../support/servers/server-process.js';

const FIXTURE = 'test/process/fixtures/bullmq-worker.js';

/**
 * `BULLMQ_SOAK=1` runs the nothing-lost test long: more jobs, more signals. `BULLMQ_SEED` replays
 * a run (the seed is printed).
 */
const SOAK = process.env.BULLMQ_SOAK === '1';
const NOTHING_LOST = SOAK
  ? { jobs: 600, signals: 15, concurrency: 8, minMs: 20, maxMs: 800 }
  : { jobs: 60, signals: 4, concurrency: 4, minMs: 20, maxMs: 600 };
const SEED = Number(process.env.BULLMQ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Small budgets: jobs longer than GRACEFUL are stopped at FORCEFUL and handed back. */
const PHASES = { gracefulMs: 250, forcefulMs: 3_000, terminateMs: 1_000 };
// Start-up of a Nest process, the budgets, and a margin for a loaded CI machine.
const RUN_TIMEOUT_MS = 20_000;

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunResult {
  readonly code: number | null;
  readonly report: ShutdownReport;
  readonly bullmq: BullmqIntakeReport | undefined;
  readonly lines: string[];
  readonly stderr: string;
}

describeWithBroker('redis')('BullMQ workers in a real process, real SIGTERM, real Redis', () => {
  let redis: RunningServer;
  let queue: Queue | undefined;
  let run: ChildRun | undefined;
  let n = 0;

  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  afterEach(async () => {
    await run?.close();
    run = undefined;
    if (queue !== undefined) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    queue = undefined;
  });

  function openQueue(): Queue {
    queue = new Queue(`jobs-${++n}`, { connection: { host: '127.0.0.1', port: redis.port } });
    return queue;
  }

  function startWorker(q: Queue, env: Record<string, string>): ChildRun {
    run = startScript(FIXTURE, {
      REDIS_PORT: String(redis.port),
      QUEUE: q.name,
      PHASES: JSON.stringify(PHASES),
      ...env,
    });
    return run;
  }

  /** SIGTERM once `when` resolves, then the exit and what the process said. */
  async function stopAfter(child: ChildRun, when: Promise<unknown>): Promise<RunResult> {
    await when;
    child.child.kill('SIGTERM');
    const { code } = await child.exited;
    const report = child.jsonAfter<ShutdownReport>('REPORT ');
    return {
      code,
      report,
      bullmq: report.intakes?.bullmq as BullmqIntakeReport,
      lines: child.lines,
      stderr: child.errorOutput,
    };
  }

  /** How many times the job's log says `row`. */
  async function logged(q: Queue, id: string, row: string): Promise<number> {
    const { logs } = await q.getJobLogs(id);
    return logs.filter((line) => line === row).length;
  }

  it(
    `nothing lost: ${NOTHING_LOST.jobs} jobs, SIGTERM ${NOTHING_LOST.signals} times mid-run at seeded moments, restarts; every job completes exactly once`,
    async () => {
      const random = seeded(SEED);
      console.log(`bullmq nothing-lost: seed ${SEED} (replay with BULLMQ_SEED=${SEED})`);
      const q = openQueue();
      const { jobs, signals, concurrency, minMs, maxMs } = NOTHING_LOST;
      await q.addBulk(
        Array.from({ length: jobs }, (_, i) => ({
          name: 'work',
          data: { ms: Math.round(minMs + random() * (maxMs - minMs)) },
          opts: { jobId: `job-${i}`, attempts: 1, removeOnComplete: false },
        })),
      );

      const results: RunResult[] = [];
      const completedIds = new Set<string>();
      const env = { CONCURRENCY: String(concurrency), PROCESSOR: 'signal' };
      for (let signal = 0; signal < signals; signal++) {
        const child = startWorker(q, env);
        // A random moment defined by the work itself: after the k-th job this run started.
        const k = 1 + Math.floor(random() * concurrency * 3);
        let started = 0;
        const kth = new Promise<void>((resolve) => {
          child.child.stdout?.on('data', () => {
            started = child.lines.filter((line) => line.startsWith('STARTED ')).length;
            if (started >= k) resolve();
          });
        });
        results.push(await stopAfter(child, Promise.race([kth, child.exited])));
        for (const line of child.lines) {
          if (line.startsWith('COMPLETED ')) completedIds.add(line.slice('COMPLETED '.length));
        }
        // Nothing left active for the stalled-job check: whatever was running went back.
        expect(await q.getJobCounts('active', 'failed')).toEqual({ active: 0, failed: 0 });
        run = undefined;
      }
      // A last run finishes the queue, then stops cleanly.
      const last = startWorker(q, env);
      const remaining = jobs - completedIds.size;
      const allDone = new Promise<void>((resolve) => {
        let seen = 0;
        last.child.stdout?.on('data', () => {
          seen = last.lines.filter((line) => line.startsWith('COMPLETED ')).length;
          if (seen >= remaining) resolve();
        });
        if (remaining === 0) resolve();
      });
      results.push(await stopAfter(last, Promise.race([allDone, last.exited])));
      run = undefined;

      const counts = await q.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed');
      let duplicates = 0;
      let redeliveries = 0;
      let never = 0;
      for (let i = 0; i < jobs; i++) {
        const done = await logged(q, `job-${i}`, 'done');
        const starts = await logged(q, `job-${i}`, 'started');
        if (done > 1) duplicates++;
        if (done === 0) never++;
        redeliveries += Math.max(0, starts - 1);
      }
      const sum = (key: keyof BullmqIntakeReport): number =>
        results.reduce((total, result) => total + (result.bullmq?.[key] ?? 0), 0);
      const figures = {
        seed: SEED,
        runs: results.length,
        jobs,
        sigterms: results.length,
        handedBack: sum('handedBack'),
        refused: sum('refused'),
        redeliveries,
        completedDuringDrains: sum('completed'),
        notManaged: sum('notManagedAtStart'),
        duplicates,
        lost: never,
        failed: counts.failed,
      };
      console.log(`bullmq nothing-lost figures: ${JSON.stringify(figures)}`);

      expect({
        counts,
        duplicates,
        lost: never,
        // Every processor start beyond a job's first is a hand-back the reports counted.
        redeliveriesAreHandBacks: redeliveries === figures.handedBack,
        exitCodes: results.map((result) => result.code),
        errorLines: results.flatMap((result) => result.lines.filter((l) => l.startsWith('ERROR'))),
        stderr: results.map((result) => result.stderr).join(''),
        failedByShutdown: sum('failed') + sum('handBackFailed') + sum('notManagedAtStart'),
      }).toEqual({
        counts: { wait: 0, active: 0, completed: jobs, failed: 0, delayed: 0 },
        duplicates: 0,
        lost: 0,
        redeliveriesAreHandBacks: true,
        exitCodes: results.map(() => 0),
        errorLines: [],
        stderr: '',
        failedByShutdown: 0,
      });
      // The scenario happened: some shutdowns handed jobs back.
      expect(figures.handedBack).toBeGreaterThan(0);
    },
    RUN_TIMEOUT_MS * (NOTHING_LOST.signals + 2) * (SOAK ? 5 : 1),
  );

  it(
    "the docs' processor (no signal), jobs shorter than GRACEFUL: SIGTERM mid-run drains them, exit 0, no error logged",
    async () => {
      const q = openQueue();
      await q.addBulk(
        Array.from({ length: 8 }, (_, i) => ({
          name: 'work',
          data: { ms: 150 },
          opts: { jobId: `job-${i}` },
        })),
      );
      const child = startWorker(q, { CONCURRENCY: '2', PROCESSOR: 'docs' });
      const result = await stopAfter(child, child.waitFor(/^STARTED job-1$/, RUN_TIMEOUT_MS));
      run = undefined;

      // One comparison, so that a failure shows every fact at once.
      expect({
        code: result.code,
        counts: await q.getJobCounts('wait', 'active', 'completed', 'failed'),
        outcome: result.report.outcome,
        bullmq: result.bullmq,
        errorsAndWarnings: result.lines.filter((l) => /^(ERROR|WARN) /.test(l)),
        stderr: result.stderr,
      }).toEqual({
        code: 0,
        counts: { wait: 6, active: 0, completed: 2, failed: 0 },
        outcome: 'clean',
        bullmq: expect.objectContaining({
          inFlightAtStart: 2,
          completed: 2,
          handedBack: 0,
          failed: 0,
        }),
        errorsAndWarnings: [],
        stderr: '',
      });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "the docs' processor (no signal), jobs longer than every budget: abandoned and handed back, none left stalled; exit 1 says why",
    async () => {
      const q = openQueue();
      await q.addBulk([
        { name: 'long', data: { ms: 25_000 }, opts: { jobId: 'long-1' } },
        { name: 'long', data: { ms: 25_000 }, opts: { jobId: 'long-2' } },
      ]);
      const child = startWorker(q, {
        CONCURRENCY: '2',
        PROCESSOR: 'docs',
        PHASES: JSON.stringify({ gracefulMs: 200, forcefulMs: 200, terminateMs: 200 }),
      });
      const sentAt = performance.now();
      const result = await stopAfter(child, child.waitFor(/^STARTED long-2$/, RUN_TIMEOUT_MS));
      run = undefined;

      const elapsedMs = performance.now() - sentAt;
      expect({
        code: result.code,
        // Back in wait at once: another instance takes them now, not after the stalled-job check.
        counts: await q.getJobCounts('wait', 'active', 'completed', 'failed'),
        report: { outcome: result.report.outcome, abandoned: result.report.abandoned },
        bullmq: result.bullmq,
        abandonedLine: result.lines.some((l) => l.startsWith('WARN Abandoned after the terminate')),
        errors: result.lines.filter((l) => l.startsWith('ERROR')),
      }).toEqual({
        code: 1,
        counts: { wait: 2, active: 0, completed: 0, failed: 0 },
        report: { outcome: 'terminated', abandoned: 2 },
        bullmq: expect.objectContaining({ inFlightAtStart: 2, handedBack: 2, failed: 0 }),
        abandonedLine: true,
        errors: [],
      });
      // Within the budgets and the watchdog's allowance, long before the jobs would have ended.
      expect(elapsedMs).toBeLessThan(10_000);
    },
    RUN_TIMEOUT_MS,
  );
});
