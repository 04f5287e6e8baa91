import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { ShutdownInProgressError } from '../../../lib/core/shutdown-in-progress.error.js';
import { currentTask } from '../../../lib/core/task-context.storage.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type {
  CleanupInfo,
  ManagedTask as ManagedTaskHandle,
} from '../../../lib/core/task.interface.js';
import { CancellationSafe } from '../../../lib/decorators/cancellation-safe.decorator.js';
import { ManagedTask } from '../../../lib/decorators/managed-task.decorator.js';
import { validateCancellationSafe } from '../../../lib/discovery/cancellation-safe.validator.js';
import {
  bindCallTask,
  bindCancellationSafe,
} from '../../../lib/discovery/lifecycle-method.binder.js';
import { validateManagedTask } from '../../../lib/discovery/managed-task.validator.js';
import { deferred, untilAborted } from '../../support/deferred.js';
import { RecordingLogger } from '../../support/recording-logger.js';

class Jobs {
  readonly log: string[] = [];
  readonly gate = deferred();

  @ManagedTask({ start: 'call', priority: TaskPriority.LOW, cleanup: 'afterJob' })
  async process(job: string): Promise<string> {
    this.log.push(`start ${job} in ${currentTask()?.name}`);
    await this.gate.promise;
    return `done ${job}`;
  }

  @ManagedTask({ start: 'call', dependsOn: ['db', 'warmup'] })
  double(n: number): number {
    if (n < 0) throw new RangeError('negative');
    return n * 2;
  }

  @ManagedTask({ start: 'call' })
  @CancellationSafe('unlock')
  async locked(key: string): Promise<void> {
    this.log.push(`locked ${key} in ${currentTask()?.name}`);
    await untilAborted(currentTask()!.signal);
  }

  /** Cancels the task it runs in from its first, synchronous part, then waits for the gate. */
  @CancellationSafe('unlock')
  async stopsOwnTask(key: string, stop: () => void): Promise<string> {
    stop();
    await this.gate.promise;
    return `done ${key}`;
  }

  afterJob(info: CleanupInfo): void {
    this.log.push(`cleanup ${info.name}`);
  }

  unlock(key: string): void {
    this.log.push(`unlock ${key}`);
  }
}

describe('lifecycle method binding', () => {
  let coordinator: LifecycleCoordinator;
  let logger: RecordingLogger;
  let jobs: Jobs;

  function bind(
    instance: Jobs,
    methodName: 'process' | 'double' | 'locked' | 'stopsOwnTask',
  ): void {
    const site = { instance, className: 'Jobs', methodName };
    const method = instance[methodName] as (...args: unknown[]) => unknown;
    const defaults = { cleanupTimeoutMs: 1000 };
    const options = Reflect.getMetadata('async-lifecycle:managed-task', method) as object;
    const safe = Reflect.getMetadata('async-lifecycle:cancellation-safe', method) as
      Parameters<typeof validateCancellationSafe>[0] | undefined;
    if (safe !== undefined) {
      const declaration = validateCancellationSafe(safe, site, defaults);
      bindCancellationSafe(method, instance, `Jobs.${methodName}`, declaration, logger);
    }
    if (options !== undefined) {
      bindCallTask(method, instance, validateManagedTask(options, site, defaults), coordinator);
    }
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    logger = new RecordingLogger();
    coordinator = new LifecycleCoordinator({ logger, progressIntervalMs: 0 });
    jobs = new Jobs();
    for (const method of ['process', 'double', 'locked', 'stopsOwnTask'] as const) {
      bind(jobs, method);
    }
  });

  afterEach(async () => {
    jobs.gate.resolve();
    const done = coordinator.shutdown({ reason: 'test end' });
    await jest.runAllTimersAsync();
    await done;
  });

  it('runs every call as a task named <name>#<n>, with its cleanup', async () => {
    const first = jobs.process('a');
    const second = jobs.process('b');
    expect(coordinator.tasks().map((t) => [t.name, t.priority])).toEqual([
      ['Jobs.process#1', TaskPriority.LOW],
      ['Jobs.process#2', TaskPriority.LOW],
    ]);
    jobs.gate.resolve();
    await expect(first).resolves.toBe('done a');
    await expect(second).resolves.toBe('done b');
    expect(jobs.log).toEqual([
      'start a in Jobs.process#1',
      'start b in Jobs.process#2',
      'cleanup Jobs.process#1',
      'cleanup Jobs.process#2',
    ]);
  });

  it('keeps a synchronous method synchronous, and depends only on what is registered', () => {
    coordinator.registerShutdownHook('db', () => undefined);
    // What each call's task depends on, read while it runs (a synchronous one ends at once).
    const dependsOn: string[][] = [];
    const subscription = coordinator.events$.subscribe((event) => {
      if (event.type !== 'task' || event.state !== TaskState.RUNNING) return;
      for (const task of coordinator.tasks())
        if (task.name === event.name) dependsOn.push(task.dependsOn);
    });
    try {
      expect(jobs.double(21)).toBe(42);
      expect(() => jobs.double(-1)).toThrow(RangeError);
    } finally {
      subscription.unsubscribe();
    }
    // 'warmup' is not registered (a bootstrap task that already ended): nothing to wait for.
    expect(dependsOn).toEqual([['db'], ['db']]);
  });

  it('refuses calls once shutdown began the way the method would fail', async () => {
    const done = coordinator.shutdown({ reason: 'test' });
    await expect(jobs.process('late')).rejects.toBeInstanceOf(ShutdownInProgressError);
    expect(() => jobs.double(1)).toThrow(ShutdownInProgressError);
    await jest.runAllTimersAsync();
    await done;
  });

  it('looks a cleanup given by name up at each call', async () => {
    jobs.afterJob = (info) => jobs.log.push(`patched cleanup ${info.name}`);
    jobs.gate.resolve();
    await jobs.process('a');
    expect(jobs.log).toEqual(['start a in Jobs.process#1', 'patched cleanup Jobs.process#1']);
  });

  it('runs a @CancellationSafe cleanup with the call’s arguments when the call is cancelled', async () => {
    const call = jobs.locked('k1');
    const settled = call.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const done = coordinator.shutdown({ reason: 'test' });
    await jest.runAllTimersAsync();
    await done;
    expect(await settled).toBeInstanceOf(CancelledError);
    expect(jobs.log).toEqual(['locked k1 in Jobs.locked#1', 'unlock k1']);
  });

  it('a @CancellationSafe call that stops its own task before its first await is cancelled and cleaned up', async () => {
    const task: ManagedTaskHandle<string> = coordinator.createTask(async () => {
      // After createTask() returned: `task` is set.
      await Promise.resolve();
      return jobs.stopsOwnTask('k2', () => void task.cancel(new CancelledError('own stop')));
    });
    const outcome = await task.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    // Not 'resolved' once the gate opens: the stop came before the call watched for it.
    expect(outcome).toEqual(expect.objectContaining({ message: 'own stop' }));
    expect(jobs.log).toEqual(['unlock k2']);
  });

  it('a @CancellationSafe call inside a task already stopping does not start, and runs no cleanup', async () => {
    const entered = deferred();
    const task = coordinator.createTask(async (ctx) => {
      await entered.promise;
      expect(ctx.stopping).toBe(true);
      return jobs.stopsOwnTask('k3', () => undefined);
    });
    const settled = task.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const cancelled = task.cancel(new CancelledError('before the call'));
    entered.resolve();
    await cancelled;
    expect(await settled).toEqual(expect.objectContaining({ message: 'before the call' }));
    expect(jobs.log).toEqual([]);
  });

  it('logs a failing @CancellationSafe cleanup, naming the method', async () => {
    jobs.unlock = () => {
      throw new Error('lock server gone');
    };
    const call = jobs.locked('k1').catch((error: unknown) => error);
    const done = coordinator.shutdown({ reason: 'test' });
    await jest.runAllTimersAsync();
    await done;
    expect(await call).toBeInstanceOf(CancelledError);
    expect(logger.messages('warn')).toContain(
      'The cleanup of Jobs.locked failed: Error: lock server gone',
    );
  });

  it('leaves instances it never bound alone: their calls are plain method calls', () => {
    const detached = new Jobs();
    expect(detached.double(2)).toBe(4);
    expect(coordinator.tasks()).toEqual([]);
  });
});
