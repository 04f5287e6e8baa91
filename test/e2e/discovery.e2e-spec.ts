import 'reflect-metadata';
import { COORDINATOR_OPTION_KEYS } from '../../lib/core/lifecycle-options.validator.js';
import { INTAKE_INSTALLERS } from '../../lib/intake/intake-installers.js';
import {
  Controller,
  Inject,
  Injectable,
  Module,
  Scope,
  type DynamicModule,
  type INestApplication,
  type LoggerService,
  type ModuleMetadata,
  type Type,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  AsyncLifecycleModule,
  CancellationSafe,
  DEFAULT_BUDGETS,
  InvalidLifecycleDeclarationError,
  InvalidLifecycleOptionError,
  LifecycleCoordinator,
  LifecycleState,
  ManagedTask,
  OnShutdown,
  TaskPriority,
  TaskState,
  currentTask,
  type AsyncLifecycleOptions,
  type TaskContext,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { OpenApps } from '../support/nest-app.js';
import { RecordingLogger } from '../support/recording-logger.js';

const FAST = { gracefulMs: 200, forcefulMs: 100, terminateMs: 100 } as const;

const apps = new OpenApps();
afterEach(() => apps.closeAll());

/** A Nest HTTP application (not listening) with the module and `metadata`, compiled, not initialised. */
async function createApp(
  metadata: ModuleMetadata,
  options: AsyncLifecycleOptions = {},
): Promise<{ app: INestApplication; logger: RecordingLogger; coordinator: LifecycleCoordinator }> {
  const logger = new RecordingLogger();
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [
      AsyncLifecycleModule.forRoot({ logger, phases: FAST, ...options }),
      ...(metadata.imports ?? []),
    ],
  }).compile();
  const app = apps.track(moduleRef.createNestApplication());
  return { app, logger, coordinator: app.get(LifecycleCoordinator) };
}

/** `promise` rejects with an instance of `type` whose message is exactly `message`. */
async function expectRejection(
  promise: Promise<unknown>,
  type: Type<Error>,
  message: string,
): Promise<void> {
  await expect(promise).rejects.toThrow(type);
  await expect(promise).rejects.toHaveProperty('message', message);
}

function declarationError(app: INestApplication, message: string): Promise<void> {
  return expectRejection(app.init(), InvalidLifecycleDeclarationError, message);
}

describe('discovery of decorated methods', () => {
  it('starts @ManagedTask methods of providers and controllers at bootstrap, named ClassName.method, with their TaskContext', async () => {
    const seen: { ctx: TaskContext; current: string | undefined }[] = [];

    @Injectable()
    class Poller {
      @ManagedTask()
      async loop(ctx: TaskContext) {
        seen.push({ ctx, current: currentTask()?.name });
        await untilAborted(ctx.signal);
      }
    }
    @Controller('status')
    class StatusController {
      @ManagedTask(TaskPriority.LOW)
      async watch(ctx: TaskContext) {
        seen.push({ ctx, current: currentTask()?.name });
        await untilAborted(ctx.signal);
      }
    }

    const { app, coordinator } = await createApp({
      providers: [Poller],
      controllers: [StatusController],
    });
    expect(coordinator.tasks()).toEqual([]);
    expect(seen).toEqual([]);

    await app.init();

    expect(coordinator.state).toBe(LifecycleState.RUNNING);
    const tasks = coordinator.tasks().sort((a, b) => a.name.localeCompare(b.name));
    expect(tasks).toMatchObject([
      { name: 'Poller.loop', priority: TaskPriority.NORMAL, state: TaskState.RUNNING },
      { name: 'StatusController.watch', priority: TaskPriority.LOW, state: TaskState.RUNNING },
    ]);
    const byName = new Map(seen.map((s) => [s.ctx.name, s]));
    expect([...byName.keys()].sort()).toEqual(['Poller.loop', 'StatusController.watch']);
    for (const [name, { ctx, current }] of byName) {
      expect(current).toBe(name);
      expect(ctx.signal).toBeInstanceOf(AbortSignal);
      expect(ctx.signal.aborted).toBe(false);
      expect(typeof ctx.id).toBe('string');
    }
    expect(byName.get('Poller.loop')?.ctx.priority).toBe(TaskPriority.NORMAL);
    expect(byName.get('StatusController.watch')?.ctx.priority).toBe(TaskPriority.LOW);

    await app.close();
    for (const { ctx } of seen) expect(ctx.signal.aborted).toBe(true);
    const report = coordinator.getReport();
    expect(report?.outcome).toBe('clean');
    expect(report?.tasks.map((t) => [t.name, t.state]).sort()).toEqual([
      ['Poller.loop', TaskState.CANCELLED],
      ['StatusController.watch', TaskState.CANCELLED],
    ]);
  });

  it("runs every call of a start: 'call' method as a task named ClassName.method#n", async () => {
    const gate = deferred();

    @Injectable()
    class Jobs {
      constructor(
        @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
      ) {}

      @ManagedTask({ start: 'call', priority: TaskPriority.LOW })
      async process(job: string) {
        const name = currentTask()?.name;
        const live = this.coordinator.tasks().map((t) => t.name);
        await gate.promise;
        return { job, name, live };
      }
    }
    @Controller('ping')
    class PingController {
      @ManagedTask({ start: 'call' })
      ping() {
        return currentTask()?.name;
      }
    }

    const { app, coordinator } = await createApp({
      providers: [Jobs],
      controllers: [PingController],
    });
    await app.init();
    expect(coordinator.tasks()).toEqual([]);

    const jobs = app.get(Jobs);
    const first = jobs.process('a');
    const second = jobs.process('b');
    expect(coordinator.tasks()).toMatchObject([
      { name: 'Jobs.process#1', priority: TaskPriority.LOW, state: TaskState.RUNNING },
      { name: 'Jobs.process#2', priority: TaskPriority.LOW, state: TaskState.RUNNING },
    ]);
    gate.resolve();
    await expect(first).resolves.toEqual({
      job: 'a',
      name: 'Jobs.process#1',
      live: ['Jobs.process#1'],
    });
    await expect(second).resolves.toEqual({
      job: 'b',
      name: 'Jobs.process#2',
      live: ['Jobs.process#1', 'Jobs.process#2'],
    });
    await expect(jobs.process('c')).resolves.toMatchObject({ name: 'Jobs.process#3' });
    // Calls that ended are not kept.
    expect(coordinator.tasks()).toEqual([]);

    // A synchronous method stays synchronous, and runs as a task too.
    const controller = app.get(PingController);
    expect(controller.ping()).toBe('PingController.ping#1');
    expect(controller.ping()).toBe('PingController.ping#2');
  });

  it('registers @OnShutdown methods of providers and controllers, run in priority order at close', async () => {
    const ran: string[] = [];

    @Injectable()
    class Pool {
      @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'db-pool' })
      close() {
        ran.push('db-pool');
      }
    }
    @Injectable()
    class Cache {
      @OnShutdown()
      async flush(ctx: TaskContext) {
        ran.push(`flush:${ctx.name}`);
      }
    }
    @Controller('feed')
    class FeedController {
      @OnShutdown(TaskPriority.LOW)
      drain() {
        ran.push('feed');
      }
    }

    const { app, coordinator } = await createApp({
      providers: [Pool, Cache],
      controllers: [FeedController],
    });
    await app.init();
    expect(ran).toEqual([]);
    for (const name of ['db-pool', 'Cache.flush', 'FeedController.drain']) {
      expect(coordinator.isRegistered(name)).toBe(true);
    }

    await app.close();

    expect(ran).toEqual(['feed', 'flush:Cache.flush', 'db-pool']);
    const hooks = coordinator.getReport()?.hooks ?? [];
    expect(
      hooks
        .map((h) => ({ name: h.name, priority: h.priority, outcome: h.outcome }))
        .sort((a, b) => a.priority - b.priority),
    ).toEqual([
      { name: 'db-pool', priority: TaskPriority.CRITICAL, outcome: 'ok' },
      { name: 'Cache.flush', priority: TaskPriority.NORMAL, outcome: 'ok' },
      { name: 'FeedController.drain', priority: TaskPriority.LOW, outcome: 'ok' },
    ]);
  });

  it('stops tasks before the @OnShutdown hooks they depend on', async () => {
    const ran: string[] = [];

    @Injectable()
    class Pool {
      @OnShutdown({ priority: TaskPriority.LOWEST, name: 'db-pool' })
      close() {
        ran.push('pool closed');
      }
    }
    @Injectable()
    class Consumer {
      @ManagedTask({ priority: TaskPriority.CRITICAL, dependsOn: ['db-pool'] })
      async consume(ctx: TaskContext) {
        await untilAborted(ctx.signal).catch(() => ran.push('consumer stopped'));
      }
    }

    const { app, coordinator } = await createApp({ providers: [Pool, Consumer] });
    await app.init();
    expect(coordinator.tasks()).toMatchObject([
      { name: 'Consumer.consume', dependsOn: ['db-pool'] },
    ]);
    await app.close();
    expect(ran).toEqual(['consumer stopped', 'pool closed']);
  });
});

// Every bad option of each decorator is checked by the validators' unit tests; these show that
// the check runs at bootstrap: app.init() fails with the message, and nothing has started.
describe('invalid declarations fail app.init()', () => {
  it('@ManagedTask: a bad option names the class, the method and the value', async () => {
    const started: string[] = [];
    @Injectable()
    class Worker {
      @ManagedTask(9 as TaskPriority)
      async loop() {
        started.push('loop');
      }
    }
    const { app, coordinator } = await createApp({ providers: [Worker] });
    await declarationError(
      app,
      '@ManagedTask() on Worker.loop: Invalid option priority = 9: expected a TaskPriority (0 = CRITICAL … 4 = LOWEST)',
    );
    expect(started).toEqual([]);
    expect(coordinator.tasks()).toEqual([]);
  });

  it("@CancellationSafe('nope') where nope is not a method names the class, the method and nope", async () => {
    @Injectable()
    class IndexService {
      @CancellationSafe('nope')
      async rebuild() {}
    }
    const { app } = await createApp({ providers: [IndexService] });
    await declarationError(
      app,
      '@CancellationSafe() on IndexService.rebuild: cleanup "nope" is not a method of IndexService',
    );
  });

  it('@OnShutdown: a bad option names the class, the method and the value', async () => {
    @Injectable()
    class Pool {
      @OnShutdown({ timeoutMs: -1 })
      close() {}
    }
    const { app, coordinator } = await createApp({ providers: [Pool] });
    await declarationError(
      app,
      '@OnShutdown() on Pool.close: Invalid option timeoutMs = -1: expected a finite number of milliseconds between 0 and 2147483647',
    );
    expect(coordinator.isRegistered('Pool.close')).toBe(false);
  });

  it('a dependency cycle between tasks and hooks: nothing is started or registered', async () => {
    const started: string[] = [];
    @Injectable()
    class A {
      @ManagedTask({ name: 'a', dependsOn: ['b'] })
      async run() {
        started.push('a');
      }
    }
    @Injectable()
    class B {
      @ManagedTask({ name: 'b', dependsOn: ['c'] })
      async run() {
        started.push('b');
      }
    }
    @Injectable()
    class C {
      @OnShutdown({ name: 'c', dependsOn: ['a'] })
      close() {}
    }
    const { app, coordinator } = await createApp({ providers: [A, B, C] });
    await declarationError(app, '@ManagedTask() on A.run: Dependency cycle: "a" → "b" → "c" → "a"');
    expect(started).toEqual([]);
    expect(coordinator.isRegistered('c')).toBe(false);
  });
});

describe('request-scoped and transient providers', () => {
  it('warns for each decorated method of a request-scoped provider and registers nothing', async () => {
    const ran: string[] = [];

    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @ManagedTask()
      async loop() {
        ran.push('PerRequest.loop');
      }
      @OnShutdown()
      close() {
        ran.push('PerRequest.close');
      }
    }
    // Request-scoped by dependency.
    @Injectable()
    class UsesRequest {
      constructor(@Inject(PerRequest) readonly perRequest: PerRequest) {}
      @OnShutdown()
      flush() {
        ran.push('UsesRequest.flush');
      }
    }

    const { app, logger, coordinator } = await createApp({ providers: [PerRequest, UsesRequest] });
    await app.init();

    expect(logger.messages('warn').sort()).toEqual([
      '@ManagedTask() on PerRequest.loop is ignored: PerRequest is request-scoped or transient (one instance per request or per consumer); move it to a singleton provider',
      '@OnShutdown() on PerRequest.close is ignored: PerRequest is request-scoped or transient (one instance per request or per consumer); move it to a singleton provider',
      '@OnShutdown() on UsesRequest.flush is ignored: UsesRequest is request-scoped or transient (one instance per request or per consumer); move it to a singleton provider',
    ]);
    expect(coordinator.tasks()).toEqual([]);
    for (const name of ['PerRequest.loop', 'PerRequest.close', 'UsesRequest.flush']) {
      expect(coordinator.isRegistered(name)).toBe(false);
    }

    await app.close();
    expect(ran).toEqual([]);
    expect(coordinator.getReport()).toMatchObject({ total: 0, tasks: [], hooks: [] });
  });

  it('warns for each decorated method of a transient provider and registers nothing', async () => {
    const ran: string[] = [];

    @Injectable({ scope: Scope.TRANSIENT })
    class Helper {
      readonly constructed = true;

      @ManagedTask()
      async loop() {
        // Started on an instance whose constructor never ran, this shows `constructed: undefined`.
        ran.push(`Helper.loop (constructed: ${String(this.constructed)})`);
      }
      @ManagedTask({ start: 'call' })
      work() {
        return currentTask()?.name;
      }
      @OnShutdown()
      close() {
        ran.push(`Helper.close (constructed: ${String(this.constructed)})`);
      }
    }
    @Injectable()
    class Consumer {
      constructor(@Inject(Helper) readonly helper: Helper) {}
    }

    const { app, logger, coordinator } = await createApp({ providers: [Helper, Consumer] });
    await app.init();

    // Nest keeps an unconstructed placeholder of a transient class; nothing may run on it.
    expect(ran).toEqual([]);
    expect(coordinator.isRegistered('Helper.close')).toBe(false);
    expect(logger.messages('warn').sort()).toEqual([
      '@ManagedTask() on Helper.loop is ignored: Helper is request-scoped or transient (one instance per request or per consumer); move it to a singleton provider',
      '@ManagedTask() on Helper.work is ignored: Helper is request-scoped or transient (one instance per request or per consumer); move it to a singleton provider',
      '@OnShutdown() on Helper.close is ignored: Helper is request-scoped or transient (one instance per request or per consumer); move it to a singleton provider',
    ]);
    expect(coordinator.tasks()).toEqual([]);
    // The consumer's instance is a plain method call: no task.
    expect(app.get(Consumer).helper.work()).toBeUndefined();

    await app.close();
    expect(ran).toEqual([]);
    expect(coordinator.getReport()).toMatchObject({ total: 0, tasks: [], hooks: [] });
  });
});

describe('module options', () => {
  const known = [
    ...COORDINATOR_OPTION_KEYS,
    ...INTAKE_INSTALLERS.map((i) => i.option),
    'reportFile',
  ].join(', ');
  const budget = 'expected a finite number of milliseconds between 0 and 2147483647';
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'an unknown key',
      { gracefullMs: 200 },
      `Unknown option gracefullMs = 200; known options are: ${known}`,
    ],
    [
      'an unknown phase key',
      { phases: { graceful: 200 } },
      'Unknown option phases.graceful = 200; known options are: gracefulMs, forcefulMs, terminateMs',
    ],
    [
      'a negative budget',
      { phases: { gracefulMs: -1 } },
      `Invalid option phases.gracefulMs = -1: ${budget}`,
    ],
    [
      'a negative drain delay',
      { drainDelayMs: -500 },
      `Invalid option drainDelayMs = -500: ${budget}`,
    ],
    [
      'a non-number budget',
      { phases: { forcefulMs: '10s' } },
      `Invalid option phases.forcefulMs = "10s": ${budget}`,
    ],
    ['a NaN budget', { cleanupTimeoutMs: NaN }, `Invalid option cleanupTimeoutMs = NaN: ${budget}`],
    [
      'a bad logger',
      { logger: 'verbose' },
      'Invalid option logger = "verbose": expected a boolean or an object with log, warn and error methods',
    ],
    [
      'a logger without warn and error',
      { logger: { log() {} } },
      'Invalid option logger = {"log":"[function log]"}: expected a boolean or an object with log, warn and error methods',
    ],
  ];

  function viaUseClass(options: Record<string, unknown>): DynamicModule {
    @Injectable()
    class LifecycleConfig {
      create(): AsyncLifecycleOptions {
        return options;
      }
    }
    return AsyncLifecycleModule.forRootAsync({ useClass: LifecycleConfig });
  }

  const modes: [string, (options: Record<string, unknown>) => DynamicModule][] = [
    ['forRoot', (options) => AsyncLifecycleModule.forRoot(options)],
    [
      'forRootAsync({ useFactory })',
      (options) =>
        AsyncLifecycleModule.forRootAsync({
          useFactory: async () => options,
        }),
    ],
    ['forRootAsync({ useClass })', viaUseClass],
  ];

  describe.each(modes)('bad options via %s fail compile()', (_mode, lifecycleModule) => {
    it.each(cases)('%s', async (_case, options, message) => {
      const compiling = Test.createTestingModule({ imports: [lifecycleModule(options)] }).compile();
      await expectRejection(compiling, InvalidLifecycleOptionError, message);
    });
  });

  it('warns at bootstrap when drainDelayMs + budgets exceed gracePeriodMs', async () => {
    const { app, logger } = await createApp(
      {},
      {
        gracePeriodMs: 300,
        drainDelayMs: 20,
        phases: { gracefulMs: 200, forcefulMs: 100, terminateMs: 100 },
      },
    );
    await app.init();
    expect(logger.messages('warn')).toEqual([
      'the longest drain + the phase budgets = 420 ms, more than gracePeriodMs = 300 ms: the orchestrator may kill the process before the shutdown ends',
    ]);
  });

  it('does not warn when the budgets fit in gracePeriodMs', async () => {
    const { app, logger } = await createApp({}, { gracePeriodMs: 420, drainDelayMs: 20 });
    await app.init();
    expect(logger.messages('warn')).toEqual([]);
  });

  it('forRoot() without options uses the defaults and Nest’s logger', async () => {
    const lines: { message: unknown; context: unknown }[] = [];
    const record =
      () =>
      (message: unknown, context?: unknown): void => {
        lines.push({ message, context });
      };
    const nestLogger: LoggerService = { log: record(), warn: record(), error: record() };

    @Injectable()
    class Worker {
      @ManagedTask()
      async loop(ctx: TaskContext) {
        await untilAborted(ctx.signal);
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [AsyncLifecycleModule.forRoot()],
      providers: [Worker],
    }).compile();
    const app = apps.track(moduleRef.createNestApplication({ logger: nestLogger }));
    await app.init();

    const coordinator = app.get(LifecycleCoordinator);
    expect(coordinator.state).toBe(LifecycleState.RUNNING);
    expect(coordinator.options).toMatchObject({
      gracefulMs: DEFAULT_BUDGETS.gracefulMs,
      forcefulMs: DEFAULT_BUDGETS.forcefulMs,
      terminateMs: DEFAULT_BUDGETS.terminateMs,
      cleanupTimeoutMs: DEFAULT_BUDGETS.cleanupTimeoutMs,
      drain: { minMs: 0, maxMs: 0, quietMs: 0 },
    });
    expect(coordinator.tasks().map((t) => t.name)).toEqual(['Worker.loop']);

    await app.close();
    expect(coordinator.getReport()).toMatchObject({ outcome: 'clean', total: 1, cancelled: 1 });
    expect(lines.filter((l) => l.context === 'AsyncLifecycle').length).toBeGreaterThan(0);
  });

  it('forRootAsync({ imports, inject, useFactory }) reads its options from another module', async () => {
    const CONFIG = Symbol('CONFIG');
    @Module({ providers: [{ provide: CONFIG, useValue: { gracefulMs: 250 } }], exports: [CONFIG] })
    class ConfigModule {}
    const logger = new RecordingLogger();

    const moduleRef = await Test.createTestingModule({
      imports: [
        AsyncLifecycleModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { gracefulMs: number }) => ({
            logger,
            phases: { ...FAST, gracefulMs: config.gracefulMs },
          }),
        }),
      ],
    }).compile();
    const app = apps.track(moduleRef.createNestApplication());
    await app.init();
    expect(app.get(LifecycleCoordinator).options.gracefulMs).toBe(250);
  });

  describe.each([
    ['forRoot', () => AsyncLifecycleModule.forRoot({ logger: false })],
    [
      'forRootAsync',
      () => AsyncLifecycleModule.forRootAsync({ useFactory: () => ({ logger: false }) }),
    ],
  ])('the module is global (%s)', (_mode, lifecycleModule) => {
    it('a provider of a feature module that does not import it can inject LifecycleCoordinator', async () => {
      @Injectable()
      class Feature {
        constructor(@Inject(LifecycleCoordinator) readonly coordinator: LifecycleCoordinator) {}
      }
      @Module({ providers: [Feature], exports: [Feature] })
      class FeatureModule {}

      const moduleRef = await Test.createTestingModule({
        imports: [FeatureModule, lifecycleModule()],
      }).compile();
      const app = apps.track(moduleRef.createNestApplication());
      await app.init();

      const { coordinator } = app.get(Feature);
      expect(coordinator).toBeInstanceOf(LifecycleCoordinator);
      expect(coordinator).toBe(app.get(LifecycleCoordinator));
      const task = coordinator.createTask(() => 'done', { name: 'feature-task' });
      await expect(task).resolves.toBe('done');
    });
  });
});
