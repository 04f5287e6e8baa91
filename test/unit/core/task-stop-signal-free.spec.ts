import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import { currentTask } from '../../../lib/core/task-context.storage.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { TaskContext } from '../../../lib/core/task.interface.js';
import { deferred, flushMicrotasks } from '../../support/deferred.js';

// ctx.stopping / ctx.stopped: hearing "stop now" without an AbortController or EventTarget.
describe('signal-free stop: ctx.stopping and ctx.stopped', () => {
  let coordinator: LifecycleCoordinator;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
  });

  afterEach(async () => {
    const done = coordinator.shutdown({ reason: 'test end' });
    await jest.runAllTimersAsync();
    await done;
  });

  it('resolves ctx.stopped with the cancel reason, flips ctx.stopping, and never makes a signal', async () => {
    let ctxRef: TaskContext | undefined;
    const task = coordinator.createTask(async (ctx) => {
      ctxRef = ctx;
      expect(ctx.stopping).toBe(false);
      return ctx.stopped;
    });
    expect(coordinator.tasks()[0].signalCreated).toBe(false);
    const reason = new CancelledError('enough');
    await task.cancel(reason);
    expect(await task).toBe(reason);
    expect(task.state).toBe(TaskState.CANCELLED);
    expect(ctxRef?.stopping).toBe(true);
    // Nothing ever read the signal: no controller was made for it.
    expect(coordinator.tasks()).toEqual([]);
  });

  it('is level-triggered: ctx.stopped read after the cancellation is already resolved', async () => {
    const gate = deferred();
    let ctxRef: TaskContext | undefined;
    const task = coordinator.createTask((ctx) => {
      ctxRef = ctx;
      return gate.promise;
    });
    const cancelled = task.cancel('late');
    expect(ctxRef?.stopping).toBe(true);
    await expect(ctxRef?.stopped).resolves.toBe('late');
    gate.resolve();
    await cancelled;
  });

  it('stays pending for a task that ends on its own, and never rejects', async () => {
    let stopped: Promise<unknown> | undefined;
    const settled = jest.fn();
    await coordinator.createTask((ctx) => {
      stopped = ctx.stopped;
      void stopped?.then(settled, settled);
      return 'done';
    });
    await flushMicrotasks();
    expect(settled).not.toHaveBeenCalled();
  });

  it('stops tasks waiting on ctx.stopped wave by wave in a shutdown, with the phase reason', async () => {
    const order: string[] = [];
    const waitFor = (name: string) => async (ctx: TaskContext) => {
      const reason = (await ctx.stopped) as CancelledError;
      order.push(`${name} ${reason.phase}`);
    };
    coordinator.createTask(waitFor('high'), { name: 'high', priority: TaskPriority.HIGH });
    coordinator.createTask(waitFor('low'), { name: 'low', priority: TaskPriority.LOW });
    const report = await coordinator.shutdown();
    expect(order).toEqual(['low graceful', 'high graceful']);
    expect(report.cancelled).toBe(2);
    expect(report.outcome).toBe('clean');
  });

  it('leaves a draining task unaware during GRACEFUL, then stops it at FORCEFUL', async () => {
    coordinator = new LifecycleCoordinator({ progressIntervalMs: 0, phases: { gracefulMs: 100 } });
    let ctxRef: TaskContext | undefined;
    coordinator.createTask(
      (ctx) => {
        ctxRef = ctx;
        return ctx.stopped;
      },
      { name: 'request', stop: 'drain' },
    );
    const done = coordinator.shutdown();
    await flushMicrotasks();
    expect(ctxRef?.stopping).toBe(false);
    await jest.advanceTimersByTimeAsync(100);
    expect(ctxRef?.stopping).toBe(true);
    const report = await done;
    expect(report.tasks[0]).toMatchObject({ state: 'cancelled', endedIn: ShutdownPhase.FORCEFUL });
  });

  it('gives the same members through currentTask() across awaits', async () => {
    const gate = deferred();
    const seen: (boolean | undefined)[] = [];
    const task = coordinator.createTask(async () => {
      await gate.promise;
      seen.push(currentTask()?.stopping);
      await currentTask()?.stopped;
      seen.push(currentTask()?.stopping);
    });
    gate.resolve();
    await flushMicrotasks();
    await task.cancel();
    expect(seen).toEqual([false, true]);
  });

  it('tells a shutdown hook its deadline passed: stopping, then stopped with the TimeoutError', async () => {
    coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const seen: unknown[] = [];
    coordinator.registerShutdownHook(
      'slow',
      async (ctx) => {
        seen.push(ctx.stopping);
        const error = await ctx.stopped;
        seen.push(ctx.stopping, (error as Error).name);
      },
      { timeoutMs: 50 },
    );
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(50);
    const report = await done;
    expect(seen).toEqual([false, true, 'TimeoutError']);
    expect(report.hooks[0]).toMatchObject({ name: 'slow', outcome: 'timeout' });
  });
});
