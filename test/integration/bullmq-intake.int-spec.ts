import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import { LifecycleCoordinator } from '../../lib/core/lifecycle-coordinator.js';
import { ShutdownPhase } from '../../lib/core/shutdown-phase.enum.js';
import { TaskState } from '../../lib/core/task-state.enum.js';
import { manageBullmqWorker } from '../../lib/intake/bullmq/manage-bullmq-worker.js';
import type { BullmqIntakeReport } from '../../lib/intake/bullmq/bullmq-intake.report.js';
import { describeWithBroker, startRedis } from '../support/servers/brokers.js';
import type { RunningServer } from '../support/servers/server-process.js';
import { JobLedger, startWorkerApp, type WorkerApp } from './support/bullmq-fixture.js';

const TEST_TIMEOUT_MS = 20_000;

/** Everything zero but what is given: the whole section, so that a failure shows all of it. */
function section(counts: Partial<BullmqIntakeReport>): BullmqIntakeReport {
  return {
    workers: 1,
    workersPaused: 1,
    inFlightAtStart: 0,
    notManagedAtStart: 0,
    completed: 0,
    handedBack: 0,
    refused: 0,
    failed: 0,
    handBackFailed: 0,
    ...counts,
  };
}

describeWithBroker('redis')('BullMQ intake, real Redis', () => {
  let redis: RunningServer;
  let connection: { host: string; port: number };
  let queue: Queue;
  let queueName: string;
  let ledger: JobLedger;
  let started: WorkerApp | undefined;
  /** Workers a test made itself (a second instance, a plain worker): closed after it. */
  const closeAfter: { close(): Promise<void> }[] = [];
  let n = 0;

  beforeAll(async () => {
    redis = await startRedis();
    connection = { host: '127.0.0.1', port: redis.port };
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  beforeEach(() => {
    queueName = `jobs-${++n}`;
    queue = new Queue(queueName, { connection });
    ledger = new JobLedger();
  });

  afterEach(async () => {
    ledger.releaseAll();
    await started?.app.close();
    started = undefined;
    for (const closable of closeAfter.splice(0)) await closable.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  async function addJobs(count: number): Promise<Job[]> {
    return queue.addBulk(
      Array.from({ length: count }, (_, i) => ({
        name: 'work',
        data: { i },
        opts: { attempts: 1 },
      })),
    );
  }

  async function counts(): Promise<Record<string, number>> {
    return queue.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed');
  }

  it(
    'stops fetching the moment the shutdown begins, drains the jobs in flight, fails none',
    async () => {
      await addJobs(12);
      started = await startWorkerApp({
        queue: queueName,
        port: redis.port,
        ledger,
        concurrency: 2,
      });
      const { coordinator, worker, logger } = started;
      await ledger.entered(2);
      let fetchedAfterStart = 0;
      let shutdownBegan = false;
      worker.on('active', () => {
        if (shutdownBegan) fetchedAfterStart++;
      });

      shutdownBegan = true;
      const stopping = coordinator.shutdown({ reason: 'test' });
      ledger.releaseAll();
      const report = await stopping;
      await started.app.close();
      started = undefined;

      expect({ processed: ledger.entries.length, fetchedAfterStart }).toEqual({
        processed: 2,
        fetchedAfterStart: 0,
      });
      expect(await counts()).toEqual({ wait: 10, active: 0, completed: 2, failed: 0, delayed: 0 });
      expect(report.intakes?.bullmq).toEqual(section({ inFlightAtStart: 2, completed: 2 }));
      expect(report.tasks.map((t) => [t.name, t.state, t.endedIn])).toEqual([
        [`bullmq ${queueName}#1`, TaskState.COMPLETED, ShutdownPhase.GRACEFUL],
        [`bullmq ${queueName}#2`, TaskState.COMPLETED, ShutdownPhase.GRACEFUL],
      ]);
      expect(logger.messages('error')).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'with @ManagedTask({ start: "call" }) on the processor: no job refused with ShutdownInProgressError',
    async () => {
      await addJobs(12);
      started = await startWorkerApp({
        queue: queueName,
        port: redis.port,
        ledger,
        concurrency: 2,
        managedCall: true,
      });
      const { coordinator, logger } = started;
      await ledger.entered(2);

      const stopping = coordinator.shutdown({ reason: 'test' });
      ledger.releaseAll();
      const report = await stopping;
      await started.app.close();
      started = undefined;

      expect(ledger.entries.length).toBe(2);
      expect(await counts()).toEqual({ wait: 10, active: 0, completed: 2, failed: 0, delayed: 0 });
      expect(report.intakes?.bullmq).toEqual(section({ inFlightAtStart: 2, completed: 2 }));
      // Each job's task, and inside it the decorated call, both drained.
      expect(report.tasks.map((t) => t.state)).toEqual(Array(4).fill(TaskState.COMPLETED));
      expect(logger.messages('error')).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'hands the jobs still running at FORCEFUL back to the queue — not failed — and another worker takes them at once',
    async () => {
      await addJobs(2);
      ledger.behaviour = 'honours-signal';
      started = await startWorkerApp({
        queue: queueName,
        port: redis.port,
        ledger,
        concurrency: 2,
        lifecycle: { phases: { gracefulMs: 300, forcefulMs: 10_000, terminateMs: 1_000 } },
      });
      const { coordinator, logger } = started;
      await ledger.entered(2);

      const report = await coordinator.shutdown({ reason: 'test' });
      await started.app.close();
      started = undefined;

      for (const { signal, task } of ledger.entries) {
        // The processor's signal is its task's: aborted by FORCEFUL, not before.
        expect(signal).toBe(task?.signal);
        expect(signal?.reason).toMatchObject({ isCancelledError: true, phase: 'forceful' });
      }
      // Back in wait right away: not left active for the stalled-job check to find.
      expect(await counts()).toEqual({ wait: 2, active: 0, completed: 0, failed: 0, delayed: 0 });
      const jobs = await queue.getJobs(['wait']);
      expect(jobs.map((job) => job.attemptsMade)).toEqual([0, 0]);
      expect(report.intakes?.bullmq).toEqual(section({ inFlightAtStart: 2, handedBack: 2 }));
      expect(report.tasks.map((t) => [t.state, t.endedIn])).toEqual([
        [TaskState.CANCELLED, ShutdownPhase.FORCEFUL],
        [TaskState.CANCELLED, ShutdownPhase.FORCEFUL],
      ]);
      expect(logger.messages('log').filter((m) => m.includes('handed back'))).toHaveLength(2);
      expect(logger.messages('error')).toEqual([]);

      // Another instance takes them now.
      const completed = new Set<string>();
      const all = new Promise<void>((resolve) => {
        const other = new Worker(queueName, async () => 'done', { connection });
        closeAfter.push(other);
        other.on('completed', (job) => {
          completed.add(job.id ?? '');
          if (completed.size === 2) resolve();
        });
      });
      await all;
      expect(await counts()).toMatchObject({ wait: 0, active: 0, completed: 2, failed: 0 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'hands back a job whose processor ignores its signal when TERMINATE abandons it; its late result is dropped',
    async () => {
      await addJobs(1);
      started = await startWorkerApp({
        queue: queueName,
        port: redis.port,
        ledger,
        lifecycle: { phases: { gracefulMs: 50, forcefulMs: 50, terminateMs: 50 } },
      });
      const { coordinator } = started;
      await ledger.entered(1);

      const report = await coordinator.shutdown({ reason: 'test' });
      // app.close() waits for @nestjs/bullmq's worker.close(), hence for the hand-back.
      await started.app.close();
      started = undefined;
      expect(report.abandoned).toBe(1);
      expect(await counts()).toEqual({ wait: 1, active: 0, completed: 0, failed: 0, delayed: 0 });

      // The abandoned processor ends later: BullMQ no longer waits for it, nothing completes.
      const [entry] = ledger.entries;
      entry.release.resolve('late');
      await entry.finished;
      const [job] = await queue.getJobs(['wait']);
      expect(job.returnvalue).toBeNull();
      expect(await counts()).toEqual({ wait: 1, active: 0, completed: 0, failed: 0, delayed: 0 });
      expect(coordinator.getReport()?.intakes?.bullmq).toEqual(
        section({ inFlightAtStart: 1, handedBack: 1 }),
      );
      expect(coordinator.getReport()?.lateFailures).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a job that fails with its own error during the drain is failed by BullMQ, and counted',
    async () => {
      await addJobs(2);
      started = await startWorkerApp({
        queue: queueName,
        port: redis.port,
        ledger,
        concurrency: 2,
      });
      const { coordinator } = started;
      await ledger.entered(2);

      const stopping = coordinator.shutdown({ reason: 'test' });
      ledger.entries[0].release.reject(new Error('boom'));
      ledger.entries[1].release.resolve('ok');
      const report = await stopping;
      await started.app.close();
      started = undefined;

      expect(await counts()).toEqual({ wait: 0, active: 0, completed: 1, failed: 1, delayed: 0 });
      const [failed] = await queue.getJobs(['failed']);
      expect(failed.failedReason).toBe('boom');
      expect(report.intakes?.bullmq).toEqual(
        section({ inFlightAtStart: 2, completed: 1, failed: 1 }),
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "BullMQ's own cancellation (worker.cancelJob) cancels the job's task; outside a shutdown the job fails as BullMQ documents",
    async () => {
      const [added] = await addJobs(1);
      ledger.behaviour = 'honours-signal';
      started = await startWorkerApp({ queue: queueName, port: redis.port, ledger });
      const { worker } = started;
      await ledger.entered(1);
      const failed = new Promise<unknown>((resolve) =>
        worker.once('failed', (_job, error) => resolve(error)),
      );

      expect(worker.cancelJob(added.id ?? '', 'user asked')).toBe(true);

      // BullMQ gets what the processor threw: here the reason given to cancelJob.
      expect(await failed).toBe('user asked');
      const [entry] = ledger.entries;
      expect(entry.task?.signal.aborted).toBe(true);
      expect(entry.signal).toBe(entry.task?.signal);
      expect(await counts()).toMatchObject({ wait: 0, active: 0, failed: 1 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a job fetched after the shutdown began goes back to its queue unprocessed, never failed',
    async () => {
      started = await startWorkerApp({ queue: queueName, port: redis.port, ledger });
      const { coordinator, worker } = started;
      await coordinator.shutdown({ reason: 'test' });
      // What a fetch already on its way when the worker paused delivers: a job locked by this
      // worker's token, handed to its processJob.
      const [added] = await addJobs(1);
      const fetcher = new Worker(queueName, null, { connection, autorun: false });
      closeAfter.push(fetcher);
      const job = await fetcher.getNextJob('late-token');
      expect(job?.id).toBe(added.id);

      await worker.processJob(job as Job, 'late-token');

      expect(ledger.entries).toEqual([]);
      expect(await counts()).toEqual({ wait: 1, active: 0, completed: 0, failed: 0, delayed: 0 });
      expect(coordinator.getReport()?.intakes?.bullmq).toEqual(section({ refused: 1 }));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'drains a plain Worker handed over with manageBullmqWorker, and a Worker provider, the same way',
    async () => {
      const plainQueue = `${queueName}-plain`;
      const providedQueue = `${queueName}-provided`;
      const holding = new JobLedger();

      @Injectable()
      class PlainWorker implements OnApplicationShutdown {
        readonly worker = new Worker(
          plainQueue,
          (job, _token, signal) => holding.run(job, signal),
          {
            connection,
          },
        );
        constructor(coordinator: LifecycleCoordinator) {
          manageBullmqWorker(coordinator, this.worker);
        }
        onApplicationShutdown(): Promise<void> {
          return this.worker.close();
        }
      }
      let provided: Worker | undefined;
      const queues = [
        new Queue(plainQueue, { connection }),
        new Queue(providedQueue, { connection }),
      ];
      try {
        started = await startWorkerApp({
          queue: queueName,
          port: redis.port,
          ledger,
          providers: [
            PlainWorker,
            {
              provide: 'REPORTS_WORKER',
              useFactory: () =>
                (provided = new Worker(
                  providedQueue,
                  (job, _token, signal) => holding.run(job, signal),
                  {
                    connection,
                  },
                )),
            },
          ],
        });
        for (const q of queues)
          await q.addBulk([
            { name: 'a', data: {} },
            { name: 'b', data: {} },
          ]);
        await holding.entered(2);

        const stopping = started.coordinator.shutdown({ reason: 'test' });
        holding.releaseAll();
        const report = await stopping;
        await started.app.close();
        started = undefined;

        expect(report.intakes?.bullmq).toEqual(
          section({ workers: 3, workersPaused: 3, inFlightAtStart: 2, completed: 2 }),
        );
        for (const q of queues) {
          expect(await q.getJobCounts('wait', 'active', 'completed', 'failed')).toEqual({
            wait: 1,
            active: 0,
            completed: 1,
            failed: 0,
          });
        }
      } finally {
        holding.releaseAll();
        await provided?.close();
        for (const q of queues) {
          await q.obliterate({ force: true });
          await q.close();
        }
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'names the jobs a worker started before the intake attached to it (a slow onModuleInit elsewhere)',
    async () => {
      await addJobs(2);
      // Bootstrap goes on only once the worker, created by @nestjs/bullmq at module init, has
      // taken both jobs: they start before the intake exists.
      @Injectable()
      class SlowInit {
        onModuleInit(): Promise<void> {
          return ledger.entered(2);
        }
      }
      started = await startWorkerApp({
        queue: queueName,
        port: redis.port,
        ledger,
        concurrency: 2,
        providers: [SlowInit],
      });
      const { coordinator, logger } = started;

      const stopping = coordinator.shutdown({ reason: 'test' });
      ledger.releaseAll();
      const report = await stopping;
      await started.app.close();
      started = undefined;

      expect(ledger.entries.map((entry) => entry.task)).toEqual([undefined, undefined]);
      expect(report.intakes?.bullmq).toEqual(section({ notManagedAtStart: 2 }));
      expect(logger.messages('warn')).toEqual([
        expect.stringContaining(`2 job(s) of queue "${queueName}" started before the intake`),
      ]);
      // The worker's close() waited for them: completed, nothing lost.
      expect(await counts()).toEqual({ wait: 0, active: 0, completed: 2, failed: 0, delayed: 0 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a processor with autorun: false that runs its worker at bootstrap has every job managed, even then',
    async () => {
      await addJobs(2);
      @Injectable()
      class SlowInit {
        // I/O during module init: a worker started then would take jobs before the intake.
        async onModuleInit(): Promise<void> {
          await queue.getJobCounts();
        }
      }
      started = await startWorkerApp({
        queue: queueName,
        port: redis.port,
        ledger,
        concurrency: 2,
        runAtBootstrap: true,
        providers: [SlowInit],
      });
      await ledger.entered(2);
      const stopping = started.coordinator.shutdown({ reason: 'test' });
      ledger.releaseAll();
      const report = await stopping;

      expect(ledger.entries.map((entry) => entry.task?.name)).toEqual([
        `bullmq ${queueName}#1`,
        `bullmq ${queueName}#2`,
      ]);
      expect(report.intakes?.bullmq).toEqual(section({ inFlightAtStart: 2, completed: 2 }));
      expect(ledger.workerErrors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'with bullmq: false the workers are left alone: no intake, no report section',
    async () => {
      await addJobs(1);
      started = await startWorkerApp({
        queue: queueName,
        port: redis.port,
        ledger,
        lifecycle: { bullmq: false },
      });
      await ledger.entered(1);
      ledger.releaseAll();
      const report = await started.coordinator.shutdown({ reason: 'test' });
      expect(report.intakes?.bullmq).toBeUndefined();
      expect(report.tasks).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
