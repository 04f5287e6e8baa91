import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Cron,
  CronExpression,
  Interval,
  ScheduleModule,
  SchedulerRegistry,
  Timeout,
} from '@nestjs/schedule';
import { CronJob } from 'cron';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  LifecycleState,
  ManagedTask,
  ShutdownPhase,
  TaskPriority,
  TaskState,
  currentTask,
  describeError,
  type AsyncLifecycleOptions,
  type ScheduleIntakeReport,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { draining, phaseEntered } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';

const FAST = {
  phases: { gracefulMs: 5000, forcefulMs: 300, terminateMs: 200 },
  progressIntervalMs: 0,
};

/** Every line Nest's logger (and through it the scheduler and this module) writes. */
class NestLog implements LoggerService {
  readonly lines: { level: string; text: string }[] = [];
  log = this.record('log');
  warn = this.record('warn');
  error = this.record('error');
  fatal = this.record('fatal');
  debug = this.record('debug');
  verbose = this.record('verbose');

  /** The error and fatal lines: the scheduler logs a failed tick there, with its stack. */
  errors(): string[] {
    return this.lines.filter((l) => l.level === 'error' || l.level === 'fatal').map((l) => l.text);
  }

  private record(level: string) {
    return (message: unknown, ...rest: unknown[]): void => {
      const parts = [message, ...rest].filter((part) => part !== undefined);
      this.lines.push({ level, text: parts.map((part) => describeError(part)).join(' ') });
    };
  }
}

/** The state of the application at each start of a tick: `running` for every one that started before the shutdown. */
type TickLog = { what: string; state: LifecycleState }[];

function noTickDuringShutdown(ticks: TickLog): TickLog {
  return ticks.filter((tick) => tick.state !== LifecycleState.RUNNING);
}

/** Resolves when `signal` aborts: the shutdown began. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function scheduleReport(coordinator: LifecycleCoordinator): ScheduleIntakeReport | undefined {
  return coordinator.getReport()?.intakes.schedule;
}

function workerModule(
  options: AsyncLifecycleOptions,
  providers: (new (...args: never[]) => unknown)[],
) {
  @Module({
    imports: [ScheduleModule.forRoot(), AsyncLifecycleModule.forRoot({ ...FAST, ...options })],
    providers,
  })
  class WorkerModule {}
  return WorkerModule;
}

describe('@nestjs/schedule: no tick starts once the shutdown began; the ticks in flight are drained', () => {
  const apps = new OpenApps();
  afterEach(() => apps.closeAll());

  it('@Interval: stopped at the start of the shutdown, its tick in flight a managed task, drained, reported; nothing logged as an error', async () => {
    @Injectable()
    class Ticker {
      readonly ticks: TickLog = [];
      readonly log: string[] = [];
      readonly firstStarted = deferred();
      readonly release = deferred();
      constructor(
        @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
      ) {}

      @Interval(10)
      async tick(): Promise<void> {
        this.ticks.push({ what: 'tick', state: this.coordinator.state });
        if (this.ticks.length > 1) return;
        this.log.push(`tick 1 started in ${currentTask()?.name}`);
        this.firstStarted.resolve();
        await this.release.promise;
        this.log.push('tick 1 finished');
      }
    }
    const nestLog = new NestLog();
    const app = apps.track(
      await NestFactory.createApplicationContext(workerModule({ drainDelayMs: 50 }, [Ticker]), {
        logger: nestLog,
      }),
    );
    const ticker = app.get(Ticker);
    const coordinator = app.get(LifecycleCoordinator);
    await ticker.firstStarted.promise;

    const began = draining(coordinator);
    const drainOver = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closed = app.close().then(() => ticker.log.push('app closed'));
    await began;
    // The 50 ms drain: five periods of the interval.
    await drainOver;
    ticker.release.resolve();
    await closed;

    expect(noTickDuringShutdown(ticker.ticks)).toEqual([]);
    expect(ticker.log).toEqual([
      'tick 1 started in interval Ticker.tick#1',
      'tick 1 finished',
      'app closed',
    ]);
    const report = coordinator.getReport();
    expect(report?.tasks).toEqual([
      expect.objectContaining({
        name: 'interval Ticker.tick#1',
        priority: TaskPriority.HIGH,
        state: TaskState.COMPLETED,
        endedIn: ShutdownPhase.GRACEFUL,
      }),
    ]);
    expect(report?.outcome).toBe('clean');
    expect(report?.intakes.schedule).toEqual({
      stopped: { cronJobs: 0, intervals: 1, timeouts: 0 },
      stoppedLate: 0,
      inFlightAtStart: 1,
      admitted: 0,
      drained: 1,
      failed: 0,
      cancelled: 0,
      running: 0,
      untracked: 0,
    });
    expect(nestLog.errors()).toEqual([]);
  });

  it('@Cron with @ManagedTask({ start: "call" }): one task per tick, with the decorator\'s name and priority, and no ShutdownInProgressError logged', async () => {
    @Injectable()
    class Reports {
      readonly ticks: TickLog = [];
      readonly log: string[] = [];
      readonly firstStarted = deferred();
      readonly release = deferred();
      constructor(
        @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
      ) {}

      @Cron(CronExpression.EVERY_SECOND)
      @ManagedTask({ start: 'call', priority: TaskPriority.LOW })
      async compile(): Promise<void> {
        this.ticks.push({ what: 'compile', state: this.coordinator.state });
        if (this.ticks.length > 1) return;
        this.log.push(`tick 1 started in ${currentTask()?.name}`);
        this.firstStarted.resolve();
        await this.release.promise;
        this.log.push('tick 1 finished');
      }
    }
    const nestLog = new NestLog();
    // An HTTP application: its shutdown runs from the adapter's beforeClose.
    const app = apps.track(
      await NestFactory.create(workerModule({ drainDelayMs: 1100 }, [Reports]), {
        logger: nestLog,
      }),
    );
    await app.listen(0, '127.0.0.1');
    const reports = app.get(Reports);
    const coordinator = app.get(LifecycleCoordinator);
    await reports.firstStarted.promise;

    const drainOver = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closed = app.close().then(() => reports.log.push('app closed'));
    // The 1.1 s drain holds at least one second of the cron expression.
    await drainOver;
    reports.release.resolve();
    await closed;

    expect(nestLog.errors()).toEqual([]);
    expect(noTickDuringShutdown(reports.ticks)).toEqual([]);
    expect(reports.log).toEqual([
      'tick 1 started in Reports.compile#1',
      'tick 1 finished',
      'app closed',
    ]);
    const report = coordinator.getReport();
    // The HTTP intake's requests aside, one task: the tick, as the decorator's call.
    expect(report?.tasks).toEqual([
      expect.objectContaining({
        name: 'Reports.compile#1',
        priority: TaskPriority.LOW,
        state: TaskState.COMPLETED,
      }),
    ]);
    expect(scheduleReport(coordinator)).toMatchObject({
      stopped: { cronJobs: 1, intervals: 0, timeouts: 0 },
      inFlightAtStart: 1,
      drained: 1,
      running: 0,
    });
  });

  it('@Timeout, @Cron and the jobs added to SchedulerRegistry at run time — during the shutdown too — never start once it began', async () => {
    @Injectable()
    class Schedules {
      readonly ticks: TickLog = [];
      readonly holding = deferred();
      readonly release = deferred();
      constructor(
        @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
        @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
      ) {}

      private record(what: string): void {
        this.ticks.push({ what, state: this.coordinator.state });
      }

      /** Its first tick holds the shutdown open, and adds jobs once the shutdown began. */
      @Interval(10)
      async hold(): Promise<void> {
        this.record('@Interval');
        if (this.ticks.filter((tick) => tick.what === '@Interval').length > 1) return;
        this.holding.resolve();
        await aborted(this.coordinator.shutdownSignal);
        this.addJobs('late');
        await this.release.promise;
      }

      @Cron(CronExpression.EVERY_SECOND)
      cron(): void {
        this.record('@Cron');
      }

      // Due in the middle of the drain.
      @Timeout(100)
      timeout(): void {
        this.record('@Timeout');
      }

      addJobs(prefix: string): void {
        const interval = `${prefix} interval`;
        const timeout = `${prefix} timeout`;
        const cron = `${prefix} cron`;
        this.registry.addInterval(
          interval,
          setInterval(() => this.record(interval), 10),
        );
        this.registry.addTimeout(
          timeout,
          setTimeout(() => this.record(timeout), 100),
        );
        const job = new CronJob(CronExpression.EVERY_SECOND, () => this.record(cron));
        this.registry.addCronJob(cron, job);
        job.start();
      }
    }
    const nestLog = new NestLog();
    const app = apps.track(
      await NestFactory.createApplicationContext(
        workerModule({ drainDelayMs: 1100 }, [Schedules]),
        {
          logger: nestLog,
        },
      ),
    );
    const schedules = app.get(Schedules);
    const coordinator = app.get(LifecycleCoordinator);
    await schedules.holding.promise;
    schedules.addJobs('early');

    const drainOver = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closed = app.close();
    // 1.1 s: every interval, timeout and cron expression above was due at least once.
    await drainOver;
    schedules.release.resolve();
    await closed;

    expect(noTickDuringShutdown(schedules.ticks)).toEqual([]);
    expect(scheduleReport(coordinator)).toEqual({
      stopped: { cronJobs: 2, intervals: 2, timeouts: 2 },
      stoppedLate: 3,
      inFlightAtStart: 1,
      admitted: 0,
      drained: 1,
      failed: 0,
      cancelled: 0,
      running: 0,
      untracked: 0,
    });
    expect(nestLog.errors()).toEqual([]);
  });
  it('the ticks of jobs added to SchedulerRegistry at run time — before bootstrap or after — are managed tasks too, named by the job, drained in their wave', async () => {
    const whats = ['cron', 'interval', 'timeout'] as const;
    type What = (typeof whats)[number];
    @Injectable()
    class DynamicJobs {
      readonly entered = { cron: deferred(), interval: deferred(), timeout: deferred() };
      readonly release = deferred();
      readonly taskNames: Partial<Record<What, string>> = {};
      readonly finished: What[] = [];
      constructor(@Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry) {}

      /**
       * Its first run is held until released (a tick in flight); the later ones end at once.
       * An async callback, as users write them: its promise is what the tick's task waits for.
       */
      private tick(what: What): () => Promise<void> {
        return async () => {
          if (this.taskNames[what] !== undefined) return;
          this.taskNames[what] = currentTask()?.name ?? 'no task';
          this.entered[what].resolve();
          await this.release.promise;
          this.finished.push(what);
        };
      }

      // Before the intake is installed (at bootstrap).
      onModuleInit(): void {
        // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async timer callback, as users write them
        this.registry.addInterval('poll inbox', setInterval(this.tick('interval'), 20));
      }

      // After it.
      addMore(): void {
        // eslint-disable-next-line @typescript-eslint/no-misused-promises -- as above
        this.registry.addTimeout('retry upload', setTimeout(this.tick('timeout'), 20));
        const job = new CronJob(CronExpression.EVERY_SECOND, this.tick('cron'));
        this.registry.addCronJob('nightly export', job);
        job.start();
      }
    }
    const nestLog = new NestLog();
    const app = apps.track(
      await NestFactory.createApplicationContext(workerModule({}, [DynamicJobs]), {
        logger: nestLog,
      }),
    );
    const jobs = app.get(DynamicJobs);
    const coordinator = app.get(LifecycleCoordinator);
    jobs.addMore();
    await Promise.all(whats.map((what) => jobs.entered[what].promise));

    const graceful = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closed = app.close();
    await graceful;
    // The three ticks hold the shutdown open: nothing finished yet.
    expect(jobs.finished).toEqual([]);
    jobs.release.resolve();
    await closed;

    expect(jobs.taskNames).toEqual({
      interval: 'interval poll inbox#1',
      timeout: 'timeout retry upload#1',
      cron: 'cron nightly export#1',
    });
    expect([...jobs.finished].sort()).toEqual([...whats]);
    const report = coordinator.getReport();
    expect(
      report?.tasks
        .filter((task) => task.name.includes('#1'))
        .map((task) => [task.name, task.state])
        .sort(),
    ).toEqual([
      ['cron nightly export#1', TaskState.COMPLETED],
      ['interval poll inbox#1', TaskState.COMPLETED],
      ['timeout retry upload#1', TaskState.COMPLETED],
    ]);
    expect(scheduleReport(coordinator)).toMatchObject({
      stopped: { cronJobs: 1, intervals: 1, timeouts: 1 },
      inFlightAtStart: 3,
      drained: 3,
      failed: 0,
      cancelled: 0,
      running: 0,
      untracked: 0,
    });
    expect(nestLog.errors()).toEqual([]);
  });
});

describe('@nestjs/schedule: options, failures and FORCEFUL', () => {
  const apps = new OpenApps();
  afterEach(() => apps.closeAll());

  it("schedule.priority sets the tick tasks' priority; a named job gives its name to its ticks", async () => {
    @Injectable()
    class Poller {
      runs = 0;
      readonly started = deferred();
      readonly release = deferred();

      @Interval('poll', 10)
      async poll(): Promise<void> {
        if (++this.runs > 1) return;
        this.started.resolve();
        await this.release.promise;
      }
    }
    const app = apps.track(
      await NestFactory.createApplicationContext(
        workerModule({ schedule: { priority: TaskPriority.LOW } }, [Poller]),
        { logger: false },
      ),
    );
    const poller = app.get(Poller);
    const coordinator = app.get(LifecycleCoordinator);
    await poller.started.promise;
    const began = draining(coordinator);
    const closed = app.close();
    await began;
    poller.release.resolve();
    await closed;

    expect(coordinator.getReport()?.tasks).toEqual([
      expect.objectContaining({
        name: 'interval poll#1',
        priority: TaskPriority.LOW,
        state: TaskState.COMPLETED,
      }),
    ]);
  });

  it('schedule: false leaves @nestjs/schedule alone: no section, the tick is no task', async () => {
    @Injectable()
    class Poller {
      runs = 0;
      readonly started = deferred();
      readonly release = deferred();

      @Interval(10)
      async poll(): Promise<void> {
        if (++this.runs > 1) return;
        this.started.resolve();
        await this.release.promise;
      }
    }
    const app = apps.track(
      await NestFactory.createApplicationContext(workerModule({ schedule: false }, [Poller]), {
        logger: false,
      }),
    );
    const poller = app.get(Poller);
    const coordinator = app.get(LifecycleCoordinator);
    await poller.started.promise;
    try {
      await app.close();
    } finally {
      poller.release.resolve();
    }

    const report = coordinator.getReport();
    expect(report?.total).toBe(0);
    expect(report?.intakes).not.toHaveProperty('schedule');
  });

  it('an application without ScheduleModule boots and stops as before: no section, nothing logged about it', async () => {
    @Injectable()
    class NotScheduled {
      calls = 0;
      // Decorated, but no ScheduleModule: nothing schedules it.
      @Interval(10)
      poll(): void {
        this.calls++;
      }
    }
    const nestLog = new NestLog();
    @Module({ imports: [AsyncLifecycleModule.forRoot(FAST)], providers: [NotScheduled] })
    class PlainModule {}
    const app = apps.track(
      await NestFactory.createApplicationContext(PlainModule, { logger: nestLog }),
    );
    const coordinator = app.get(LifecycleCoordinator);
    await app.close();

    expect(coordinator.getReport()?.intakes).toEqual({});
    expect(app.get(NotScheduled).calls).toBe(0);
    expect(nestLog.lines.filter((line) => line.level === 'warn' || line.level === 'error')).toEqual(
      [],
    );
  });

  it('a scheduled method of a useFactory provider: its schedule stops all the same; a warning says its ticks are not tasks', async () => {
    class FactoryJobs {
      readonly ticks: TickLog = [];
      constructor(private readonly coordinator: LifecycleCoordinator) {}

      @Interval(10)
      poll(): void {
        this.ticks.push({ what: 'poll', state: this.coordinator.state });
      }
    }
    const nestLog = new NestLog();
    @Module({
      imports: [
        ScheduleModule.forRoot(),
        AsyncLifecycleModule.forRoot({ ...FAST, drainDelayMs: 50 }),
      ],
      providers: [
        {
          provide: 'FACTORY_JOBS',
          inject: [LifecycleCoordinator],
          useFactory: (coordinator: LifecycleCoordinator) => new FactoryJobs(coordinator),
        },
      ],
    })
    class FactoryModule {}
    const app = apps.track(
      await NestFactory.createApplicationContext(FactoryModule, { logger: nestLog }),
    );
    const coordinator = app.get(LifecycleCoordinator);
    const drainOver = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closed = app.close();
    // The 50 ms drain: five periods of the interval.
    await drainOver;
    await closed;

    expect(noTickDuringShutdown(app.get<FactoryJobs>('FACTORY_JOBS').ticks)).toEqual([]);
    expect(scheduleReport(coordinator)?.stopped.intervals).toBe(1);
    expect(nestLog.lines.filter((line) => line.level === 'warn').map((line) => line.text)).toEqual([
      expect.stringContaining(
        'FactoryJobs.poll is scheduled, but its ticks cannot be managed tasks',
      ),
    ]);
  });

  it('a tick that fails during the shutdown is counted failed and logged once (by the scheduler); one still running at FORCEFUL is aborted and counted cancelled', async () => {
    @Injectable()
    class Jobs {
      readonly runs = new Map<string, number>();
      readonly failing = deferred();
      readonly stubborn = deferred();
      constructor(
        @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
      ) {}

      private first(job: string): boolean {
        const runs = (this.runs.get(job) ?? 0) + 1;
        this.runs.set(job, runs);
        return runs === 1;
      }

      @Interval('export', 10)
      async export(): Promise<void> {
        if (!this.first('export')) return;
        this.failing.resolve();
        await aborted(this.coordinator.shutdownSignal);
        throw new Error('disk full');
      }

      // A tick that only stops when its signal aborts: FORCEFUL, in stop mode drain.
      @Interval('sync', 10)
      async sync(): Promise<void> {
        if (!this.first('sync')) return;
        this.stubborn.resolve();
        await untilAborted(currentTask()!.signal);
      }
    }
    const nestLog = new NestLog();
    const app = apps.track(
      await NestFactory.createApplicationContext(
        workerModule({ phases: { gracefulMs: 100, forcefulMs: 1000, terminateMs: 200 } }, [Jobs]),
        { logger: nestLog },
      ),
    );
    const jobs = app.get(Jobs);
    const coordinator = app.get(LifecycleCoordinator);
    await Promise.all([jobs.failing.promise, jobs.stubborn.promise]);
    await app.close();

    const report = coordinator.getReport();
    const tasks = report?.tasks.map((task) => [task.name, task.state, task.endedIn]);
    expect(tasks?.sort()).toEqual([
      ['interval export#1', TaskState.FAILED, ShutdownPhase.GRACEFUL],
      ['interval sync#1', TaskState.CANCELLED, ShutdownPhase.FORCEFUL],
    ]);
    expect(report?.outcome).toBe('forced');
    expect(report?.intakes.schedule).toMatchObject({
      inFlightAtStart: 2,
      drained: 0,
      failed: 1,
      cancelled: 1,
      running: 0,
    });
    expect(nestLog.errors().filter((line) => line.includes('disk full'))).toHaveLength(1);
  });
});
