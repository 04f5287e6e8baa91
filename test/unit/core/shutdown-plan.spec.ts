import { describe, expect, it, jest } from '@jest/globals';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { HookRecord } from '../../../lib/core/hook-record.js';
import { planShutdown, priorityWave } from '../../../lib/core/shutdown-plan.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import {
  recordClassFor,
  type TaskObserver,
  type TaskRecord,
} from '../../../lib/core/task-record.js';

describe('shutdown plan', () => {
  it('maps priorities to waves, LOWEST first', () => {
    expect(
      [
        TaskPriority.LOWEST,
        TaskPriority.LOW,
        TaskPriority.NORMAL,
        TaskPriority.HIGH,
        TaskPriority.CRITICAL,
      ].map(priorityWave),
    ).toEqual([0, 1, 2, 3, 4]);
  });

  it('places a long dependency chain in one wave each, in linear time and without recursion', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const n = 20_000;
    let previous: string | undefined;
    for (let i = 0; i < n; i++) {
      const task = coordinator.createTask(
        (ctx) =>
          new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())),
        {
          priority: TaskPriority.CRITICAL,
          dependsOn: previous === undefined ? undefined : [previous],
        },
      );
      previous = task.name;
    }
    const report = await coordinator.shutdown();
    // The last created depends on all others transitively: it stops first, in wave 4.
    expect(report.tasks[0]).toMatchObject({ name: previous, wave: 4 });
    expect(report.tasks[n - 1]).toMatchObject({ name: 'task#1', wave: 4 + n - 1 });
    expect(report.cancelled).toBe(n);
  });
});

describe('shutdown plan, counted while it is made', () => {
  const observer: TaskObserver = {
    cleanupTimeoutMs: 1000,
    phase: undefined,
    taskChanged: () => undefined,
    taskFailed: () => undefined,
    cleanupEnded: () => undefined,
    taskFinished: () => undefined,
    generatedNameRead: () => undefined,
    lateFailure: () => undefined,
  };
  const Record = recordClassFor(observer);
  let seq = 0;

  /** A record linked after `previous`, as the registry links them. */
  function record(
    priority: TaskPriority,
    previous?: TaskRecord,
    dependencies?: TaskRecord[],
    cleanup?: () => unknown,
  ): TaskRecord {
    const options = cleanup === undefined ? undefined : { cleanup };
    const made = new Record(++seq, undefined, priority, dependencies, options, 'abort');
    if (previous !== undefined) {
      previous.next = made;
      made.previous = previous;
    }
    return made;
  }

  it('counts the running tasks, lists those still cleaning up in stop order, and makes every wave up to the last', () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const first = record(TaskPriority.CRITICAL);
    first.start(() => new Promise(() => undefined), false);
    // Ended before the shutdown, their cleanups still running: LOW (wave 1) then HIGH (wave 3).
    const high = record(TaskPriority.HIGH, first, undefined, () => new Promise(() => undefined));
    high.start(() => 'done', false);
    const low = record(TaskPriority.LOW, high, undefined, () => new Promise(() => undefined));
    low.start(() => 'done', false);
    // Depends on `first`: pushes it from wave 4 to wave 5.
    const dependent = record(TaskPriority.CRITICAL, low, [first]);
    dependent.start(() => new Promise(() => undefined), false);

    const plan = planShutdown(first, []);
    expect(plan.running).toBe(2);
    expect(plan.cleaningUp.map((entry) => entry.record)).toEqual([low, high]);
    expect(plan.waves.map((wave) => wave.tasks.map((entry) => entry.record))).toEqual([
      [],
      [low],
      [],
      [high],
      [dependent],
      [first],
    ]);
    for (const ended of [high, low]) ended.expireCleanup(0);
  });

  it('makes the waves a hook that depends on a task needs (ordered by Kahn’s algorithm)', () => {
    const task = record(TaskPriority.LOWEST);
    const hook = new HookRecord('flush', () => undefined, TaskPriority.CRITICAL, [task], 1000);
    const plan = planShutdown(task, [hook]);
    expect(plan.running).toBe(1);
    expect(plan.waves.map((wave) => [wave.hooks.length, wave.tasks.length])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
  });
});

describe('shutdown plan, hooks', () => {
  it('stops a task after the hook that depends on it, and that hook after its own dependents', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const order: string[] = [];
    coordinator.createTask(
      (ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            order.push('worker');
            resolve();
          }),
        ),
      { name: 'worker', priority: TaskPriority.LOWEST },
    );
    // Registered after the task it needs: the plan cannot use creation order alone here.
    coordinator.registerShutdownHook('flush', () => void order.push('flush'), {
      priority: TaskPriority.CRITICAL,
      dependsOn: ['worker'],
    });
    coordinator.registerShutdownHook('pool', () => void order.push('pool'), {
      priority: TaskPriority.LOWEST,
      dependsOn: ['flush'],
    });
    const report = await coordinator.shutdown();
    expect(order).toEqual(['pool', 'flush', 'worker']);
    expect(report.hooks.map((hook) => [hook.name, hook.wave])).toEqual([
      ['pool', 0],
      ['flush', 4],
    ]);
    expect(report.tasks.map((task) => [task.name, task.wave])).toEqual([['worker', 5]]);
  });

  it('places tasks that depend on hooks before those hooks, registration order first', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const order: string[] = [];
    coordinator.registerShutdownHook('db', () => void order.push('db'), {
      priority: TaskPriority.LOWEST,
    });
    coordinator.registerShutdownHook('cache', () => void order.push('cache'), {
      priority: TaskPriority.LOWEST,
      dependsOn: ['db'],
    });
    coordinator.createTask(
      (ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            order.push('job');
            resolve();
          }),
        ),
      { name: 'job', priority: TaskPriority.CRITICAL, dependsOn: ['cache'] },
    );
    const report = await coordinator.shutdown();
    expect(order).toEqual(['job', 'cache', 'db']);
    expect(report.hooks.map((hook) => [hook.name, hook.wave])).toEqual([
      ['cache', 5],
      ['db', 6],
    ]);
  });
});
