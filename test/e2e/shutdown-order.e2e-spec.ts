import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AsyncLifecycleModule,
  CancellationSafe,
  LifecycleCoordinator,
  ManagedTask,
  OnShutdown,
  ShutdownInProgressError,
  TaskPriority,
  TaskState,
  currentTask,
  type TaskContext,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { abortableDelay } from '../../lib/primitives/abortable-delay.js';
import { draining } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import { RecordingLogger } from '../support/recording-logger.js';

const LOG = Symbol('LOG');
type Log = string[];

const FAST = {
  phases: { gracefulMs: 1000, forcefulMs: 300, terminateMs: 200 },
  progressIntervalMs: 0,
};

/** Every loop has run its first query: the test may start the shutdown. */
const LOOPS = ['cache-warmer', 'consumer', 'config-watcher', 'metrics'];

@Injectable()
class DbPool implements OnModuleDestroy {
  closed = false;
  readonly queried = new Set<string>();
  readonly allQueried = deferred();
  constructor(@Inject(LOG) private readonly log: Log) {}

  query(what: string): void {
    if (this.closed) this.log.push(`USED AFTER CLOSE: ${what}`);
    this.queried.add(what);
    if (LOOPS.every((name) => this.queried.has(name))) this.allQueried.resolve();
  }

  @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'db-pool' })
  close(): void {
    this.log.push('hook db-pool');
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.log.push('db onModuleDestroy');
  }
}

@Injectable()
class Workers {
  constructor(
    @Inject(LOG) private readonly log: Log,
    private readonly db: DbPool,
  ) {}

  /**
   * A loop that queries the pool until its signal aborts, then finishes its last query a few
   * turns of the event loop later — after the rest of its wave was signalled.
   */
  private async loop(name: string, { signal }: TaskContext): Promise<void> {
    while (!signal.aborted) {
      this.db.query(name);
      await abortableDelay(5, signal).catch(() => undefined);
    }
    this.log.push(`stop ${name}`);
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    this.db.query(`${name} (last query)`);
  }

  @ManagedTask(TaskPriority.LOWEST)
  cacheWarmer(ctx: TaskContext) {
    return this.loop('cache-warmer', ctx);
  }

  @ManagedTask({
    priority: TaskPriority.NORMAL,
    name: 'consumer',
    dependsOn: ['db-pool'],
    cleanup: 'nackAll',
  })
  consume(ctx: TaskContext) {
    return this.loop('consumer', ctx);
  }

  nackAll(): void {
    this.log.push('cleanup consumer');
  }

  // LOWEST by priority, but the consumer needs it: it stops after the consumer.
  @ManagedTask({ priority: TaskPriority.LOWEST, name: 'config-watcher' })
  watchConfig(ctx: TaskContext) {
    return this.loop('config-watcher', ctx);
  }

  @ManagedTask({ priority: TaskPriority.HIGH, dependsOn: ['db-pool'] })
  flushMetrics(ctx: TaskContext) {
    return this.loop('metrics', ctx);
  }

  @OnShutdown(TaskPriority.LOW)
  stopIntake(): void {
    this.log.push('hook stop-intake');
  }
}

@Injectable()
class ConfigUser {
  constructor(@Inject(LOG) private readonly log: Log) {}
  @ManagedTask({ priority: TaskPriority.HIGH, dependsOn: ['config-watcher'] })
  reload(ctx: TaskContext) {
    return untilAborted(ctx.signal).catch(() => this.log.push('stop config-user'));
  }
}

function appModule(log: Log, logger = new RecordingLogger()) {
  @Module({
    imports: [AsyncLifecycleModule.forRoot({ ...FAST, logger })],
    providers: [{ provide: LOG, useValue: log }, DbPool, Workers, ConfigUser],
  })
  class AppModule {}
  return AppModule;
}

describe('phased shutdown in a Nest application context', () => {
  const apps = new OpenApps();
  let log: Log;

  beforeEach(() => {
    log = [];
  });
  afterEach(() => apps.closeAll());

  it('stops tasks by priority and dependency, hooks after the tasks of their wave, all before any onModuleDestroy', async () => {
    // A TestingModule is an application context: no HTTP adapter, only the destroy gate.
    const app = apps.track(await Test.createTestingModule({ imports: [appModule(log)] }).compile());
    await app.init();
    await app.get(DbPool).allQueried.promise;
    await app.close();

    const stops = log.filter((line) => !line.startsWith('USED'));
    expect(stops.slice(0, 4)).toEqual([
      'stop cache-warmer',
      'hook stop-intake',
      'stop consumer',
      'cleanup consumer',
    ]);
    // Wave 3 stops concurrently.
    expect(new Set(stops.slice(4, 6))).toEqual(new Set(['stop config-user', 'stop metrics']));
    expect(stops.slice(6)).toEqual(['stop config-watcher', 'hook db-pool', 'db onModuleDestroy']);
    expect(log.filter((line) => line.startsWith('USED'))).toEqual([]);

    const report = app.get(LifecycleCoordinator).getReport();
    expect(report?.tasks.map((t) => [t.name, t.wave, t.state, t.endedIn])).toEqual([
      ['Workers.cacheWarmer', 0, 'cancelled', 'graceful'],
      ['consumer', 2, 'cancelled', 'graceful'],
      ['Workers.flushMetrics', 3, 'cancelled', 'graceful'],
      ['ConfigUser.reload', 3, 'cancelled', 'graceful'],
      ['config-watcher', 4, 'cancelled', 'graceful'],
    ]);
    expect(report?.tasks[1].cleanup?.outcome).toBe('ok');
    expect(report?.hooks.map((h) => [h.name, h.wave, h.outcome])).toEqual([
      ['Workers.stopIntake', 1, 'ok'],
      ['db-pool', 4, 'ok'],
    ]);
    expect(report?.outcome).toBe('clean');
  });
});

describe("start: 'call'", () => {
  const apps = new OpenApps();
  afterEach(() => apps.closeAll());

  @Injectable()
  class Jobs {
    readonly log: string[] = [];
    readonly release = deferred();

    @ManagedTask({ start: 'call', priority: TaskPriority.HIGH, cleanup: 'afterJob' })
    async process(id: number): Promise<string> {
      this.log.push(`start ${id} in ${currentTask()?.name}`);
      await this.release.promise;
      await new Promise((resolve) => setImmediate(resolve));
      this.log.push(`end ${id} in ${currentTask()?.name}`);
      return `done ${id}`;
    }

    afterJob(): void {
      this.log.push('cleanup');
    }

    @ManagedTask({ start: 'call' })
    double(n: number): number {
      if (n < 0) throw new RangeError('negative');
      return n * 2;
    }

    @ManagedTask({ start: 'call' })
    @CancellationSafe('unlock')
    async locked(signalSeen: string[]): Promise<void> {
      signalSeen.push(currentTask()?.name ?? 'none');
      await untilAborted(currentTask()!.signal);
    }

    unlock(signalSeen: string[]): void {
      signalSeen.push('unlocked');
    }
  }

  @Module({
    imports: [AsyncLifecycleModule.forRoot({ ...FAST, logger: false })],
    providers: [Jobs],
  })
  class JobsModule {}

  async function start() {
    const moduleRef = await Test.createTestingModule({ imports: [JobsModule] }).compile();
    const app = apps.track(moduleRef.createNestApplication());
    await app.init();
    return { app, jobs: app.get(Jobs), coordinator: app.get(LifecycleCoordinator) };
  }

  it('runs every call as a task, awaits calls in flight at shutdown, and refuses calls after it began', async () => {
    const { app, jobs, coordinator } = await start();
    const first = jobs.process(1);
    const second = jobs.process(2);
    expect(coordinator.tasks().map((t) => [t.name, t.state])).toEqual([
      ['Jobs.process#1', TaskState.RUNNING],
      ['Jobs.process#2', TaskState.RUNNING],
    ]);
    const began = draining(coordinator);
    const closing = app.close();
    await began;
    await expect(jobs.process(3)).rejects.toBeInstanceOf(ShutdownInProgressError);
    expect(() => jobs.double(1)).toThrow(ShutdownInProgressError);
    jobs.release.resolve();
    await expect(first).resolves.toBe('done 1');
    await expect(second).resolves.toBe('done 2');
    await closing;
    expect(jobs.log).toEqual([
      'start 1 in Jobs.process#1',
      'start 2 in Jobs.process#2',
      'end 1 in Jobs.process#1',
      'cleanup',
      'end 2 in Jobs.process#2',
      'cleanup',
    ]);
    // Calls drain: the wave waits for them, their signal untouched, so they complete.
    const report = coordinator.getReport();
    expect(report?.tasks.map((t) => [t.name, t.state])).toEqual([
      ['Jobs.process#1', TaskState.COMPLETED],
      ['Jobs.process#2', TaskState.COMPLETED],
    ]);
  });

  it('keeps a synchronous method synchronous: returns or throws at once', async () => {
    const { jobs } = await start();
    expect(jobs.double(21)).toBe(42);
    expect(() => jobs.double(-1)).toThrow(RangeError);
  });

  it('runs a @CancellationSafe method inside the call task: its cleanup runs when the call is cancelled at FORCEFUL', async () => {
    const { app, jobs, coordinator } = await start();
    const seen: string[] = [];
    const call = jobs.locked(seen);
    const settled = call.then(
      () => 'resolved',
      (error: unknown) => (error as Error).name,
    );
    await app.close();
    expect(await settled).toBe('CancelledError');
    expect(seen).toEqual(['Jobs.locked#1', 'unlocked']);
    // A call drains through GRACEFUL; its signal aborts when FORCEFUL starts.
    expect(coordinator.getReport()?.tasks[0]).toMatchObject({
      name: 'Jobs.locked#1',
      state: TaskState.CANCELLED,
      endedIn: 'forceful',
    });
  });

  it('calls on an instance that was never bound run as plain methods', () => {
    const detached = new Jobs();
    expect(detached.double(2)).toBe(4);
  });
});
