import { describe, expect, it, jest } from '@jest/globals';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { priorityWave } from '../../../lib/core/shutdown-plan.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';

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
