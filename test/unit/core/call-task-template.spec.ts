import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CallTaskTemplate } from '../../../lib/core/call-task-template.js';
import { InvalidLifecycleOptionError } from '../../../lib/core/invalid-option.error.js';
import { createCallTask, LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { ShutdownInProgressError } from '../../../lib/core/shutdown-in-progress.error.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import { DuplicateTaskNameError } from '../../../lib/core/task-dependency.error.js';
import { deferred } from '../../support/deferred.js';

// The fast path of @ManagedTask({ start: 'call' }): options validated once, a task per call.
describe('CallTaskTemplate and createCallTask', () => {
  let coordinator: LifecycleCoordinator;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    coordinator = new LifecycleCoordinator({ progressIntervalMs: 0, logger: false });
  });

  afterEach(async () => {
    const done = coordinator.shutdown({ reason: 'test end' });
    await jest.runAllTimersAsync();
    await done;
  });

  it('validates its options when made, as createTask() would at each call', () => {
    const make = (options: object) => () =>
      new CallTaskTemplate({ name: 'Jobs.process', ...options });
    expect(make({ name: '' })).toThrow(InvalidLifecycleOptionError);
    expect(make({ name: 'evil\nINFO' })).toThrow(InvalidLifecycleOptionError);
    expect(make({ name: 'x'.repeat(200) })).toThrow(/calls are named <name>#<n>/);
    expect(make({ name: 'task' })).toThrow(/other than "task"/);
    expect(make({ priority: 9 })).toThrow(InvalidLifecycleOptionError);
    expect(make({ stop: 'later' })).toThrow(InvalidLifecycleOptionError);
    expect(make({ cleanup: 'unlock' })).toThrow(InvalidLifecycleOptionError);
    expect(make({ onError: 1 })).toThrow(InvalidLifecycleOptionError);
    expect(make({ cleanupTimeoutMs: -1 })).toThrow(InvalidLifecycleOptionError);
    expect(make({ dependsOn: 'db' })).toThrow(InvalidLifecycleOptionError);
    const template = new CallTaskTemplate({ name: 'Jobs.process' });
    expect([template.priority, template.stop, template.dependsOn]).toEqual([
      TaskPriority.NORMAL,
      'drain',
      [],
    ]);
    // No callback: the calls' records keep no options at all.
    expect(template.options).toBeUndefined();
  });

  it('creates one task per call, named <name>#<n>, with the template’s priority, stop mode and cleanup', async () => {
    const cleaned: string[] = [];
    const template = new CallTaskTemplate({
      name: 'Jobs.process',
      priority: TaskPriority.HIGH,
      stop: 'abort',
      cleanup: (info) => void cleaned.push(`${info.name} ${info.state}`),
    });
    const first = createCallTask(coordinator, template, () => 1);
    const gate = deferred<number>();
    const second = createCallTask(coordinator, template, () => gate.promise);
    expect([first.name, second.name]).toEqual(['Jobs.process#1', 'Jobs.process#2']);
    expect(await first).toBe(1);
    expect(coordinator.tasks()).toEqual([
      expect.objectContaining({
        name: 'Jobs.process#2',
        priority: TaskPriority.HIGH,
        stop: 'abort',
        state: TaskState.RUNNING,
      }),
    ]);
    gate.resolve(2);
    expect(await second).toBe(2);
    expect(cleaned).toEqual(['Jobs.process#1 completed', 'Jobs.process#2 completed']);
  });

  it('binds each call to the dependencies live at that call, skipping those that ended', async () => {
    const pool = deferred<void>();
    coordinator.createTask(() => pool.promise, { name: 'db-pool', priority: TaskPriority.HIGH });
    const template = new CallTaskTemplate({ name: 'Jobs.process', dependsOn: ['db-pool', 'gone'] });
    const gate = deferred<void>();
    createCallTask(coordinator, template, () => gate.promise);
    expect(coordinator.tasks().map((task) => [task.name, task.dependsOn])).toEqual([
      ['db-pool', []],
      ['Jobs.process#1', ['db-pool']],
    ]);
    pool.resolve();
    gate.resolve();
    await jest.runAllTimersAsync();
  });

  it('refuses a call whose name is taken, and every call once a shutdown began', async () => {
    const gate = deferred<void>();
    coordinator.createTask(() => gate.promise, { name: 'Jobs.process#1' });
    const template = new CallTaskTemplate({ name: 'Jobs.process' });
    expect(() => createCallTask(coordinator, template, () => undefined)).toThrow(
      DuplicateTaskNameError,
    );
    // The refused call used its number, as it did through createTask({ name }).
    expect(createCallTask(coordinator, template, () => undefined).name).toBe('Jobs.process#2');
    const done = coordinator.shutdown({ reason: 'deploy' });
    expect(() => createCallTask(coordinator, template, () => undefined)).toThrow(
      ShutdownInProgressError,
    );
    gate.resolve();
    await jest.runAllTimersAsync();
    await done;
  });

  it('numbers the calls of two templates of one name as one series: no two calls share a name', async () => {
    // Two instances of one provider class bind two templates of the same name.
    const first = new CallTaskTemplate({ name: 'Jobs.process' });
    const second = new CallTaskTemplate({ name: 'Jobs.process' });
    const gate = deferred<void>();
    const calls = [first, second, second, first].map((template) =>
      createCallTask(coordinator, template, () => gate.promise),
    );
    expect(calls.map((call) => call.name)).toEqual([
      'Jobs.process#1',
      'Jobs.process#2',
      'Jobs.process#3',
      'Jobs.process#4',
    ]);
    gate.resolve();
    await Promise.all(calls);
  });

  it('keeps a live call’s name from other tasks and hooks, and lets dependsOn find it', async () => {
    const template = new CallTaskTemplate({ name: 'Jobs.process' });
    const gate = deferred<void>();
    const call = createCallTask(coordinator, template, () => gate.promise);
    expect(() => coordinator.createTask(() => undefined, { name: 'Jobs.process#1' })).toThrow(
      DuplicateTaskNameError,
    );
    expect(() => coordinator.registerShutdownHook('Jobs.process#1', () => undefined)).toThrow(
      DuplicateTaskNameError,
    );
    expect(coordinator.isRegistered('Jobs.process#1')).toBe(true);
    // Names that only look alike are free: not a number after the last '#', another number.
    for (const name of ['Jobs.process#1a', 'Jobs.process#', 'Jobs.process#01', '#1']) {
      expect(coordinator.isRegistered(name)).toBe(false);
      await coordinator.createTask(() => undefined, { name });
    }
    const dependent = coordinator.createTask(() => gate.promise, {
      name: 'report',
      dependsOn: ['Jobs.process#1'],
    });
    expect(coordinator.tasks().find((task) => task.name === 'report')?.dependsOn).toEqual([
      'Jobs.process#1',
    ]);
    gate.resolve();
    await Promise.all([call, dependent]);
    // Ended: the name is free again.
    expect(coordinator.isRegistered('Jobs.process#1')).toBe(false);
    await coordinator.createTask(() => undefined, { name: 'Jobs.process#1' });
  });

  it('admits a call made by work in flight during the shutdown into the current wave', async () => {
    const template = new CallTaskTemplate({ name: 'Jobs.flush' });
    const flushed = deferred<string>();
    coordinator.createTask(async (ctx) => {
      await ctx.stopped;
      flushed.resolve(await createCallTask(coordinator, template, () => 'flushed'));
    });
    const report = coordinator.shutdown({ reason: 'deploy' });
    expect(await flushed.promise).toBe('flushed');
    await jest.runAllTimersAsync();
    expect((await report).tasks.map((task) => [task.name, task.state])).toEqual([
      // Ended after its stop was requested: cancelled, as every task that hears "stop".
      ['task#1', TaskState.CANCELLED],
      ['Jobs.flush#1', TaskState.COMPLETED],
    ]);
  });
});
