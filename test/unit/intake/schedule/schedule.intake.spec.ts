import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { MAX_NAME_LENGTH } from '../../../../lib/core/name-check.js';
import { ShutdownInProgressError } from '../../../../lib/core/shutdown-in-progress.error.js';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import {
  ScheduleIntake,
  type ScheduledJob,
} from '../../../../lib/intake/schedule/schedule.intake.js';
import { deferred, flushMicrotasks } from '../../../support/deferred.js';
import { RecordingLogger } from '../../../support/recording-logger.js';
import { hostileValues } from '../../primitives/support/hostile-values.js';

const EVERY_SECOND = '* * * * * *';
const POLL: ScheduledJob = { kind: 'interval', label: 'Jobs.poll', managed: false };

describe('ScheduleIntake', () => {
  let coordinator: LifecycleCoordinator;
  let registry: SchedulerRegistry;
  let intake: ScheduleIntake;
  let logger: RecordingLogger;
  let fired: string[];

  function install(priority = TaskPriority.HIGH, drainDelayMs = 0): void {
    coordinator = new LifecycleCoordinator({
      phases: { gracefulMs: 1000, forcefulMs: 300, terminateMs: 200 },
      drainDelayMs,
      progressIntervalMs: 0,
    });
    intake = new ScheduleIntake(registry, { priority }, logger);
    intake.install(coordinator.registerIntake(intake));
  }

  function cronJob(name: string, start = true, onComplete?: () => void): CronJob {
    const job = new CronJob(EVERY_SECOND, () => void fired.push(name), onComplete ?? null);
    registry.addCronJob(name, job);
    if (start) job.start();
    return job;
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    registry = new SchedulerRegistry();
    logger = new RecordingLogger();
    fired = [];
    install();
  });

  afterEach(() => {
    for (const name of registry.getCronJobs().keys()) registry.deleteCronJob(name);
    for (const name of registry.getIntervals()) registry.deleteInterval(name);
    for (const name of registry.getTimeouts()) registry.deleteTimeout(name);
  });

  describe('when the shutdown begins', () => {
    it('stops every cron job, interval and timeout of the registry: none fires again', async () => {
      cronJob('report');
      registry.addInterval(
        'poll',
        setInterval(() => fired.push('poll'), 100),
      );
      registry.addTimeout(
        'warm-up',
        setTimeout(() => fired.push('warm-up'), 1500),
      );
      await jest.advanceTimersByTimeAsync(1000);
      const before = [...fired];
      expect(before).toContain('report');
      expect(before).toContain('poll');

      const done = coordinator.shutdown();
      await jest.advanceTimersByTimeAsync(5000);
      await done;

      expect(fired).toEqual(before);
      expect(intake.report().stopped).toEqual({ cronJobs: 1, intervals: 1, timeouts: 1 });
    });

    it('keeps a stopped cron job stopped: a later start (an initialDelay ending, application code) does nothing and is counted once', async () => {
      const delayed = cronJob('delayed', false);
      await coordinator.shutdown();
      delayed.start();
      delayed.start();
      await jest.advanceTimersByTimeAsync(3000);

      expect(fired).toEqual([]);
      expect(delayed.isActive).toBe(false);
      expect(intake.report().stopped.cronJobs).toBe(1);
    });

    it('stops a cron job once: its onComplete runs once, though the scheduler stops it again at close', async () => {
      const completed: string[] = [];
      cronJob('with-complete', true, () => void completed.push('complete'));
      await coordinator.shutdown();
      await flushMicrotasks();
      registry.deleteCronJob('with-complete');
      await flushMicrotasks();

      expect(completed).toEqual(['complete']);
    });

    it('stops at once what is added to the registry during the shutdown', async () => {
      install(TaskPriority.HIGH, 500);
      const done = coordinator.shutdown();
      registry.addInterval(
        'late-poll',
        setInterval(() => fired.push('late-poll'), 100),
      );
      registry.addTimeout(
        'late-once',
        setTimeout(() => fired.push('late-once'), 100),
      );
      cronJob('late-cron');
      await jest.advanceTimersByTimeAsync(3000);
      await done;

      expect(fired).toEqual([]);
      expect(intake.report()).toMatchObject({
        stopped: { cronJobs: 0, intervals: 0, timeouts: 0 },
        stoppedLate: 3,
      });
    });

    it('leaves additions before the shutdown alone: the registry still refuses a duplicate name', () => {
      registry.addInterval(
        'poll',
        setInterval(() => fired.push('poll'), 100),
      );
      expect(() => registry.addInterval('poll', 0)).toThrow('Interval with the given name');
    });

    it.each(hostileValues)(
      'a cron job whose stop throws %s is logged, described; the rest still stops',
      async (_label, makeThrown) => {
        const hostile = new CronJob(EVERY_SECOND, () => void fired.push('hostile'));
        hostile.stop = () => {
          throw makeThrown();
        };
        registry.addCronJob('hostile', hostile);
        registry.addInterval(
          'poll',
          setInterval(() => fired.push('poll'), 100),
        );
        await coordinator.shutdown();
        await jest.advanceTimersByTimeAsync(500);

        expect(fired).toEqual([]);
        expect(logger.messages('warn')).toEqual([
          expect.stringMatching(
            /^Could not stop cron job "hostile" at the start of the shutdown: /,
          ),
        ]);
        expect(intake.report().stopped.intervals).toBe(1);
      },
    );
  });

  describe('runTick', () => {
    it('runs a tick as a managed task in stop mode drain, named after the job, at the configured priority', async () => {
      install(TaskPriority.LOW);
      const gate = deferred<string>();
      const result = intake.runTick(POLL, () => gate.promise);

      expect(coordinator.tasks()).toEqual([
        expect.objectContaining({
          name: 'interval Jobs.poll#1',
          priority: TaskPriority.LOW,
          stop: 'drain',
        }),
      ]);
      gate.resolve('done');
      await expect(result).resolves.toBe('done');
    });

    it('keeps a synchronous method synchronous', () => {
      expect(intake.runTick(POLL, () => 42)).toBe(42);
      const failure = new Error('sync failure');
      expect(() =>
        intake.runTick(POLL, () => {
          throw failure;
        }),
      ).toThrow(failure);
      // The caller has the failure; the coordinator does not log it a second time.
      expect(logger.messages('error')).toEqual([]);
    });

    it('drains a tick in flight at the start of the shutdown, and counts it', async () => {
      const gate = deferred();
      const tick = intake.runTick(POLL, () => gate.promise);
      const done = coordinator.shutdown();
      expect(intake.report()).toMatchObject({ inFlightAtStart: 1, running: 1 });
      gate.resolve();
      await tick;
      const report = await done;

      expect(report.tasks).toEqual([
        expect.objectContaining({ name: 'interval Jobs.poll#1', state: 'completed' }),
      ]);
      expect(report.intakes.schedule).toMatchObject({ inFlightAtStart: 1, drained: 1, running: 0 });
    });

    it('admits a run called by work in flight while its wave is open, and runs one after it ended untracked', async () => {
      const gate = deferred();
      const holder = intake.runTick({ ...POLL, label: 'holder' }, async () => {
        await gate.promise;
        // Called by a tick still running: joins the wave stopping now.
        await intake.runTick(POLL, () => 'nested');
      });
      const done = coordinator.shutdown();
      gate.resolve();
      await holder;
      await done;

      expect(intake.runTick(POLL, () => 'late')).toBe('late');
      expect(intake.report()).toMatchObject({
        inFlightAtStart: 1,
        admitted: 1,
        drained: 2,
        untracked: 1,
      });
    });

    it('leaves a @ManagedTask call to make its own task: counted, no second task', async () => {
      const gate = deferred();
      const call = coordinator.createTask(() => gate.promise, {
        name: 'Jobs.report#1',
        stop: 'drain',
      });
      const result = intake.runTick({ ...POLL, managed: true }, () => Promise.resolve(call));
      const done = coordinator.shutdown();
      expect(coordinator.tasks().map((task) => task.name)).toEqual(['Jobs.report#1']);
      gate.resolve();
      await result;
      await done;

      expect(intake.report()).toMatchObject({ inFlightAtStart: 1, drained: 1 });
    });

    it('does not count a @ManagedTask call refused after its wave: it never ran', async () => {
      await coordinator.shutdown();
      const refused = intake.runTick({ ...POLL, managed: true }, () =>
        Promise.reject(new ShutdownInProgressError()),
      );
      await expect(refused).rejects.toBeInstanceOf(ShutdownInProgressError);
      await flushMicrotasks();

      expect(intake.report()).toMatchObject({ admitted: 0, failed: 0, running: 0 });
    });

    it('runs a tick as a task even when a task of the application holds its name', async () => {
      const gate = deferred();
      coordinator.createTask(() => gate.promise, { name: 'interval Jobs.poll#1' });
      const tick = deferred<string>();
      const ran = intake.runTick(POLL, () => tick.promise);
      expect(coordinator.tasks().map((task) => task.name)).toEqual([
        'interval Jobs.poll#1',
        'interval Jobs.poll#1',
      ]);
      tick.resolve('ran');
      await expect(ran).resolves.toBe('ran');
      expect(logger.messages('warn')).toEqual([]);
      gate.resolve();
      await coordinator.shutdown();
    });

    it('runs a tick untracked, with a warning, when its task cannot be made (a name too long)', async () => {
      const job: ScheduledJob = { ...POLL, label: 'x'.repeat(MAX_NAME_LENGTH) };
      expect(intake.runTick(job, () => 'ran')).toBe('ran');
      expect(coordinator.tasks()).toEqual([]);
      expect(logger.messages('warn')).toEqual([
        expect.stringMatching(/could not become a managed task; it runs untracked: /),
      ]);
      await coordinator.shutdown();
    });
  });
});
