import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { ShutdownInProgressError } from '../../../../lib/core/shutdown-in-progress.error.js';
import { currentTask } from '../../../../lib/core/task-context.storage.js';
import { TaskState } from '../../../../lib/core/task-state.enum.js';
import type { TaskContext } from '../../../../lib/core/task.interface.js';
import type { BullmqIntakeReport } from '../../../../lib/intake/bullmq/bullmq-intake.report.js';
import { manageBullmqWorker } from '../../../../lib/intake/bullmq/manage-bullmq-worker.js';
import { deferred, untilAborted, type TestDeferred } from '../../../support/deferred.js';
import { RecordingLogger } from '../../../support/recording-logger.js';

type Processor = (
  job: FakeJob,
  token: string | undefined,
  signal?: AbortSignal,
) => Promise<unknown>;

/** The part of a bullmq Job the intake uses; records where it was moved. */
class FakeJob {
  moves: string[] = [];
  moveToWait: (token?: string) => Promise<number> = (token) => {
    this.moves.push(`wait:${token}`);
    return Promise.resolve(0);
  };
  constructor(readonly id: string) {}
}

/** Shaped like a bullmq Worker: BullMQ calls callProcessJob once per job. */
class FakeWorker {
  paused = false;
  pauses = 0;
  pauseResult: Promise<void> = Promise.resolve();
  readonly lockManager = { getTrackedJobIds: (): string[] => [...this.active] };
  readonly active = new Set<string>();
  constructor(
    readonly name: string,
    private readonly processor: Processor,
  ) {}
  callProcessJob(job: FakeJob, token: string, signal?: AbortSignal): Promise<unknown> {
    return this.processor(job, token, signal);
  }
  pause(): Promise<void> {
    this.paused = true;
    this.pauses++;
    return this.pauseResult;
  }
  isPaused(): boolean {
    return this.paused;
  }
  /** What BullMQ's processJob does: the job is tracked while its processor runs. */
  async run(job: FakeJob, signal?: AbortSignal): Promise<unknown> {
    this.active.add(job.id);
    try {
      return await this.callProcessJob(job, `token-${job.id}`, signal);
    } finally {
      this.active.delete(job.id);
    }
  }
}

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

/** What BullMQ's worker would receive from callProcessJob: a value, or the error it threw. */
function outcome(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

describe('the BullMQ intake, with a worker shaped like bullmq’s', () => {
  let coordinator: LifecycleCoordinator;
  let logger: RecordingLogger;
  let held: TestDeferred<string>[];
  let contexts: (TaskContext | undefined)[];
  let signals: (AbortSignal | undefined)[];

  /** Holds each job until the test releases it, honouring its signal. */
  const holding: Processor = (_job, _token, signal) => {
    const gate = deferred<string>();
    held.push(gate);
    contexts.push(currentTask());
    signals.push(signal);
    return signal === undefined ? gate.promise : Promise.race([gate.promise, untilAborted(signal)]);
  };

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    logger = new RecordingLogger();
    coordinator = new LifecycleCoordinator({
      phases: { gracefulMs: 100, forcefulMs: 100, terminateMs: 100 },
      progressIntervalMs: 0,
      logger,
    });
    held = [];
    contexts = [];
    signals = [];
  });

  afterEach(async () => {
    for (const gate of held) if (!gate.settled) gate.resolve('released');
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(1_000);
    await done;
  });

  it('runs each job as a managed task in stop mode drain; its signal is the processor’s', async () => {
    const worker = new FakeWorker('emails', holding);
    manageBullmqWorker(coordinator, worker);
    const running = worker.run(new FakeJob('1'));

    expect(coordinator.tasks()).toMatchObject([{ name: 'bullmq emails#1', stop: 'drain' }]);
    expect(signals[0]).toBe(contexts[0]?.signal);
    held[0].resolve('sent');
    await expect(running).resolves.toBe('sent');
  });

  it('a job whose processor returns after the shutdown signalled it is completed, not handed back', async () => {
    const job = new FakeJob('1');
    const worker = new FakeWorker('emails', async (_job, _token, signal) => {
      await untilAborted(signal as AbortSignal).catch(() => undefined);
      return 'stopped early, but done';
    });
    manageBullmqWorker(coordinator, worker);
    const result = outcome(worker.run(job));
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(100); // GRACEFUL over: the signal aborts

    expect(await result).toEqual({ value: 'stopped early, but done' });
    expect(job.moves).toEqual([]);
    expect((await done).intakes?.bullmq).toEqual(section({ inFlightAtStart: 1, completed: 1 }));
  });

  it('a hand-back Redis refuses is counted and logged; BullMQ still hears WaitingError, never a failure', async () => {
    const job = new FakeJob('1');
    job.moveToWait = () => Promise.reject(new Error('Missing lock for job 1. moveToWait'));
    const worker = new FakeWorker('emails', holding);
    manageBullmqWorker(coordinator, worker);
    const result = outcome(worker.run(job));
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(100);

    expect((await result).error).toMatchObject({ name: 'WaitingError' });
    await done;
    // Known once Redis answered, after the job's task ended: in the reports built from then on.
    expect(coordinator.getReport()?.intakes?.bullmq).toEqual(
      section({ inFlightAtStart: 1, handedBack: 1, handBackFailed: 1 }),
    );
    expect(logger.messages('warn')).toContainEqual(
      expect.stringContaining('job emails#1 could not be handed back (Error: Missing lock'),
    );
  });

  it('a hostile value a processor throws during the drain is its own failure, rethrown unchanged', async () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    const gate = deferred();
    const worker = new FakeWorker('emails', async () => {
      await gate.promise;
      throw hostile;
    });
    manageBullmqWorker(coordinator, worker);
    const result = outcome(worker.run(new FakeJob('1')));
    const done = coordinator.shutdown();
    gate.resolve();

    expect((await result).error).toBe(hostile);
    expect((await done).intakes?.bullmq).toEqual(section({ inFlightAtStart: 1, failed: 1 }));
  });

  it.each(['DelayedError', 'WaitingError', 'WaitingChildrenError'])(
    'a job its processor moved itself (%s) is left to BullMQ, even while stopping',
    async (name) => {
      const gate = deferred();
      const worker = new FakeWorker('emails', async () => {
        await gate.promise;
        throw Object.assign(new Error('moved'), { name });
      });
      const job = new FakeJob('1');
      manageBullmqWorker(coordinator, worker);
      const result = outcome(worker.run(job));
      const done = coordinator.shutdown();
      gate.resolve();

      expect((await result).error).toMatchObject({ name });
      expect(job.moves).toEqual([]);
      expect((await done).intakes?.bullmq).toEqual(section({ inFlightAtStart: 1 }));
    },
  );

  it('a cancellation or ShutdownInProgressError while stopping sends the job back', async () => {
    const gates = [deferred(), deferred()];
    const errors = [new ShutdownInProgressError(), new CancelledError('stopping early')];
    let n = 0;
    const worker = new FakeWorker('emails', async () => {
      const i = n++;
      await gates[i].promise;
      throw errors[i];
    });
    const jobs = [new FakeJob('1'), new FakeJob('2')];
    manageBullmqWorker(coordinator, worker);
    const results = jobs.map((job) => outcome(worker.run(job)));
    const done = coordinator.shutdown();
    for (const gate of gates) gate.resolve();

    for (const result of results) {
      expect((await result).error).toMatchObject({ name: 'WaitingError' });
    }
    expect(jobs.map((job) => job.moves)).toEqual([['wait:token-1'], ['wait:token-2']]);
    expect((await done).intakes?.bullmq).toEqual(section({ inFlightAtStart: 2, handedBack: 2 }));
  });

  it('a processor that throws synchronously fails its job as BullMQ would', async () => {
    const worker = new FakeWorker('emails', () => {
      throw new TypeError('bad data');
    });
    manageBullmqWorker(coordinator, worker);
    expect(await outcome(worker.run(new FakeJob('1')))).toEqual({
      error: new TypeError('bad data'),
    });
  });

  it('BullMQ’s own signal (worker.cancelJob) cancels the job’s task', async () => {
    const worker = new FakeWorker('emails', holding);
    manageBullmqWorker(coordinator, worker);
    const bullmq = new AbortController();
    const result = outcome(worker.run(new FakeJob('1'), bullmq.signal));

    bullmq.abort('user asked');

    expect(await result).toEqual({ error: 'user asked' });
    expect(contexts[0]?.signal.reason).toBe('user asked');
  });

  it('a job delivered after the shutdown began goes back unprocessed; a resumed worker is paused again', async () => {
    const worker = new FakeWorker('emails', holding);
    manageBullmqWorker(coordinator, worker);
    const done = coordinator.shutdown();
    expect(worker.pauses).toBe(1);
    worker.paused = false; // someone resumed it

    const job = new FakeJob('7');
    expect((await outcome(worker.run(job))).error).toMatchObject({ name: 'WaitingError' });
    expect(job.moves).toEqual(['wait:token-7']);
    expect(worker.pauses).toBe(2);
    expect(held).toEqual([]);
    expect((await done).intakes?.bullmq).toEqual(section({ refused: 1 }));
  });

  it('a pause that fails is a warning, never an unhandled rejection', async () => {
    const worker = new FakeWorker('emails', holding);
    worker.pauseResult = Promise.reject(new Error('connection lost'));
    manageBullmqWorker(coordinator, worker);
    await coordinator.shutdown();
    expect(logger.messages('warn')).toContainEqual(
      'BullMQ: the worker of queue "emails" could not be paused: Error: connection lost',
    );
  });

  it('the same job twice at once (a stalled job taken again) gets two task names', async () => {
    const worker = new FakeWorker('emails', holding);
    manageBullmqWorker(coordinator, worker);
    const first = worker.callProcessJob(new FakeJob('1'), 'a');
    const second = worker.callProcessJob(new FakeJob('1'), 'b');
    expect(coordinator.tasks().map((task) => task.name)).toEqual([
      'bullmq emails#1',
      'bullmq emails#1 (1)',
    ]);
    for (const gate of held) gate.resolve('ok');
    await Promise.all([first, second]);
  });

  it('names the jobs in flight that started before the intake attached', async () => {
    const worker = new FakeWorker('emails', holding);
    worker.active.add('early');
    manageBullmqWorker(coordinator, worker);
    const report = await coordinator.shutdown();
    expect(report.intakes?.bullmq).toEqual(section({ notManagedAtStart: 1 }));
    expect(logger.messages('warn')).toEqual([
      expect.stringContaining('1 job(s) of queue "emails" started before the intake attached'),
    ]);
  });

  it('refuses what is not a worker, and a worker once the shutdown began', async () => {
    expect(() => manageBullmqWorker(coordinator, { name: 'x' } as never)).toThrow(
      'Invalid option manageBullmqWorker(coordinator, worker) = {"name":"x"}: expected a BullMQ Worker',
    );
    manageBullmqWorker(coordinator, new FakeWorker('first', holding));
    const done = coordinator.shutdown();
    expect(() => manageBullmqWorker(coordinator, new FakeWorker('late', holding))).toThrow(
      ShutdownInProgressError,
    );
    await done;
  });

  it('a worker another application’s coordinator drains is left to it', async () => {
    const other = new LifecycleCoordinator({ progressIntervalMs: 0, logger: false });
    const worker = new FakeWorker('shared', holding);
    manageBullmqWorker(other, worker);
    manageBullmqWorker(coordinator, worker);
    expect(logger.messages('warn')).toEqual([
      `BullMQ: the worker of queue "shared" is already drained by another application's coordinator; left to it`,
    ]);
    const running = worker.run(new FakeJob('1'));
    expect(other.tasks().map((task) => task.state)).toEqual([TaskState.RUNNING]);
    expect(coordinator.tasks()).toEqual([]);
    held[0].resolve('ok');
    await running;
    await other.shutdown();
  });
});
