import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { lastValueFrom } from 'rxjs';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import '../../lib/intake/bullmq/bullmq-intake.report.js';
import '../../lib/intake/microservices/microservices-intake.report.js';
import '../../lib/intake/schedule/schedule-intake.report.js';
import { startScript, type ChildRun } from '../support/child-process.js';
import { describeWithBroker, startRedis } from '../support/servers/brokers.js';
import type { RunningServer } from '../support/servers/server-process.js';

const SAMPLE = 'sample/04-queues-and-cron/main.js';
const QUEUE = 'reports'; // the sample's queue
const PHASES = { gracefulMs: 2_500, forcefulMs: 2_000, terminateMs: 1_000 };
// Sweeps start every 300 ms and run 1.2 s: one is always in flight once the first started.
const SWEEP_EVERY_MS = 300;
const SWEEP_MS = 1_200;
// Longer than GRACEFUL even when it started a sweep interval before the SIGTERM: handed back.
const LONG_JOB_MS = 4_200;
// An order outlives the moment the test signals by far, and ends within GRACEFUL.
const ORDER_MS = 1_200;
const SHORT_JOBS = ['daily-1', 'daily-2', 'daily-3', 'daily-4'];
// Every job: the long one, the short ones, and the invoice the order event queues.
const ALL_JOBS = ['long', ...SHORT_JOBS, 'invoice-O-1'].sort();
// Nest's boot, the budgets, the long job on the restart, and a margin for a loaded machine.
const TEST_TIMEOUT_MS = 40_000;

/** Its exit, once every line it printed has been read: 'exit' may come before the last ones. */
async function exitOf(run: ChildRun): Promise<number | null> {
  const { code } = await run.exited;
  const stdout = run.child.stdout;
  if (stdout !== null && !stdout.readableEnded) await once(stdout, 'end');
  return code;
}

/** Lines Nest's logger printed at level ERROR. */
function errorLines(run: ChildRun): string[] {
  return run.lines.filter((line) => /\sERROR\s/.test(line));
}

/** How many times each job's processor ran to its end (`job <id> done`) in these runs. */
function doneCounts(runs: ChildRun[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of runs.flatMap((run) => run.lines)) {
    const id = /\[ReportsProcessor\] job (\S+) done$/.exec(line)?.[1];
    if (id !== undefined) counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

describeWithBroker('redis')('sample/04-queues-and-cron, real Redis, real SIGTERM', () => {
  let redis: RunningServer & { url: string };
  const runs: ChildRun[] = [];
  let queue: Queue | undefined;
  let client: ClientProxy | undefined;
  let probe: Redis | undefined;

  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map((run) => run.close()));
    await client?.close();
    probe?.disconnect();
    if (queue !== undefined) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    [queue, client, probe] = [undefined, undefined, undefined];
  });

  function startSample(): ChildRun {
    const run = startScript(SAMPLE, {
      NO_COLOR: '1',
      REDIS_URL: redis.url,
      PRINT_REPORT: '1',
      CONCURRENCY: '2',
      SWEEP_EVERY_MS: String(SWEEP_EVERY_MS),
      SWEEP_MS: String(SWEEP_MS),
      LIFECYCLE_OPTIONS: JSON.stringify({ phases: PHASES, progressIntervalMs: 0 }),
    });
    runs.push(run);
    return run;
  }

  /**
   * Until Redis counts the sample's subscriber: Nest subscribes after its `listen()` resolved,
   * and Redis announces no subscription, so it is asked (a bounded wait, not an ordering sleep).
   */
  async function subscribed(channel: string): Promise<void> {
    probe ??= new Redis(redis.url);
    const deadline = performance.now() + 10_000;
    while (((await probe.pubsub('NUMSUB', channel)) as [string, number])[1] < 1) {
      if (performance.now() > deadline) throw new Error(`nobody subscribed to ${channel}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it(
    'SIGTERM with jobs, a tick and a message in flight: exit 0, no error, every job completed or back in wait; a restart completes each exactly once',
    async () => {
      const port = Number(new URL(redis.url).port);
      queue = new Queue(QUEUE, { connection: { host: '127.0.0.1', port } });
      client = ClientProxyFactory.create({
        transport: Transport.REDIS,
        options: { host: '127.0.0.1', port },
      });
      await client.connect();

      const first = startSample();
      await first.waitFor(/^READY /, 15_000);
      await subscribed('order.created');
      await queue.add('report', { ms: LONG_JOB_MS }, { jobId: 'long' });
      await queue.addBulk(
        SHORT_JOBS.map((jobId) => ({ name: 'report', data: { ms: 200 }, opts: { jobId } })),
      );
      await first.waitFor(/\[ReportsProcessor\] job long \(report, \d+ ms\) started/);
      // The next sweep tick: in flight from now on, for longer than the test takes to signal.
      const sweeps = first.lines.filter((line) => /sweep \d+ started/.test(line)).length;
      await first.waitFor(new RegExp(`\\[HousekeepingService\\] sweep ${sweeps + 1} started`));
      await lastValueFrom(client.emit('order.created', { id: 'O-1', ms: ORDER_MS }));
      await first.waitFor(/\[OrdersController\] order O-1 received/);
      first.child.kill('SIGTERM');

      const code = await exitOf(first);
      const report = first.jsonAfter<ShutdownReport>('REPORT ');
      const waiting = (await queue.getJobs(['wait'])).map((job) => job.id);
      const completed = (await queue.getJobs(['completed'])).map((job) => job.id);
      expect({
        code,
        errors: errorLines(first),
        stderr: first.errorOutput,
        counts: await queue.getJobCounts('active', 'failed', 'delayed'),
        // Nothing lost: each job completed or back in wait, none twice.
        jobs: [...waiting, ...completed].sort(),
        longJobWaits: waiting.includes('long'),
        orderHandled: first.lines.some((line) => line.includes('order O-1 handled')),
      }).toEqual({
        code: 0,
        errors: [],
        stderr: '',
        counts: { active: 0, failed: 0, delayed: 0 },
        jobs: ALL_JOBS,
        longJobWaits: true,
        orderHandled: true,
      });
      expect(report.outcome).toBe('forced'); // the long job was stopped at FORCEFUL
      const { schedule, bullmq, microservices } = report.intakes ?? {};
      // The tick in flight at SIGTERM drained in its wave; no tick started after.
      expect(schedule).toMatchObject({
        stopped: { cronJobs: 1, intervals: 1, timeouts: 0 },
        admitted: 0,
        failed: 0,
        cancelled: 0,
        running: 0,
      });
      expect(schedule?.inFlightAtStart).toBeGreaterThanOrEqual(1);
      expect(schedule?.drained).toBe(schedule?.inFlightAtStart);
      // The worker stopped fetching; the long job went back to its queue, nothing failed.
      expect(bullmq).toMatchObject({
        workers: 1,
        workersPaused: 1,
        notManagedAtStart: 0,
        handedBack: 1,
        failed: 0,
        handBackFailed: 0,
      });
      expect(bullmq?.inFlightAtStart).toBeGreaterThanOrEqual(1);
      // The order in flight drained, its invoice queued.
      expect(microservices?.redis).toMatchObject({
        servers: 1,
        inFlightAtStart: 1,
        drained: 1,
        handedBack: 0,
        dropped: 0,
        unfinished: 0,
      });

      // The restart takes what waits, the long job from its start.
      const second = startSample();
      await second.waitFor(/^READY /, 15_000);
      await Promise.all(
        waiting.map((id) =>
          second.waitFor(new RegExp(`\\[ReportsProcessor\\] job ${id} completed$`), 15_000),
        ),
      );
      second.child.kill('SIGTERM');
      const secondCode = await exitOf(second);
      expect({
        code: secondCode,
        outcome: second.jsonAfter<ShutdownReport>('REPORT ').outcome,
        errors: errorLines(second),
        stderr: second.errorOutput,
        counts: await queue.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed'),
        done: doneCounts([first, second]),
      }).toEqual({
        code: 0,
        outcome: 'clean',
        errors: [],
        stderr: '',
        counts: { wait: 0, active: 0, completed: ALL_JOBS.length, failed: 0, delayed: 0 },
        done: Object.fromEntries(ALL_JOBS.map((id) => [id, 1])),
      });
    },
    TEST_TIMEOUT_MS,
  );
});
