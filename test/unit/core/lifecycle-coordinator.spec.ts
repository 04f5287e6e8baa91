import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import type { LifecycleEvent } from '../../../lib/core/lifecycle-event.interface.js';
import { LifecycleState } from '../../../lib/core/lifecycle-state.enum.js';
import { ShutdownInProgressError } from '../../../lib/core/shutdown-in-progress.error.js';
import { currentTask } from '../../../lib/core/task-context.storage.js';
import {
  DependencyCycleError,
  DuplicateTaskNameError,
  UnknownDependencyError,
} from '../../../lib/core/task-dependency.error.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { TaskContext } from '../../../lib/core/task.interface.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';
import { RecordingLogger } from '../../support/recording-logger.js';

describe('LifecycleCoordinator — tasks', () => {
  let coordinator: LifecycleCoordinator;
  let logger: RecordingLogger;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    logger = new RecordingLogger();
    coordinator = new LifecycleCoordinator({ logger, progressIntervalMs: 0 });
  });

  afterEach(async () => {
    // Close what the test opened: a shutdown with nothing left ends at once.
    const done = coordinator.shutdown({ reason: 'test end' });
    await jest.runAllTimersAsync();
    await done;
  });

  it('runs the task at once and resolves its handle with the result', async () => {
    const task = coordinator.createTask(() => Promise.resolve(42), { name: 'answer' });
    expect(task.state).toBe(TaskState.RUNNING);
    await expect(task).resolves.toBe(42);
    expect(task.state).toBe(TaskState.COMPLETED);
    expect(coordinator.tasks()).toEqual([]);
  });

  it('handles synchronous results and synchronous throws', async () => {
    const ok = coordinator.createTask(() => 'sync');
    const ko = coordinator.createTask((): number => {
      throw new Error('sync boom');
    });
    await expect(ok).resolves.toBe('sync');
    await expect(ko).rejects.toThrow('sync boom');
    expect(ko.state).toBe(TaskState.FAILED);
    expect(logger.messages('error')).toEqual(['Task "task#2" failed: Error: sync boom']);
  });

  it('never leaves a failing task as an unhandled rejection, and calls onError instead of logging', async () => {
    const seen: unknown[] = [];
    const task = coordinator.createTask(() => Promise.reject(new Error('boom')), {
      onError: (error) => seen.push(error),
    });
    await flushMicrotasks();
    expect(task.state).toBe(TaskState.FAILED);
    expect(seen).toHaveLength(1);
    expect(logger.messages('error')).toEqual([]);
  });

  it('logs an onError handler that throws, without an unhandled rejection', async () => {
    coordinator.createTask(() => Promise.reject(new Error('boom')), {
      name: 'x',
      onError: () => Promise.reject(new Error('handler boom')),
    });
    await flushMicrotasks();
    expect(logger.messages('error')).toEqual(['Task "x" failed: Error: handler boom']);
  });

  it('creates the AbortController only when the task reads its signal', async () => {
    const gate = deferred();
    const lazy = coordinator.createTask(() => gate.promise, { name: 'lazy' });
    let seen: AbortSignal | undefined;
    const eager = coordinator.createTask(
      (ctx) => {
        seen = ctx.signal;
        return gate.promise;
      },
      { name: 'eager' },
    );
    expect(coordinator.tasks().map((t) => [t.name, t.signalCreated])).toEqual([
      ['lazy', false],
      ['eager', true],
    ]);
    expect(seen?.aborted).toBe(false);
    gate.resolve();
    await Promise.all([lazy, eager]);
  });

  it('keeps cancellation level-triggered: a signal read after cancel() is already aborted', async () => {
    const gate = deferred();
    let ctxRef: TaskContext | undefined;
    const task = coordinator.createTask((ctx) => {
      ctxRef = ctx;
      return gate.promise;
    });
    const cancelled = task.cancel('stop');
    expect(task.state).toBe(TaskState.CANCELLING);
    expect(ctxRef?.signal.aborted).toBe(true);
    expect(ctxRef?.signal.reason).toBe('stop');
    gate.resolve();
    await cancelled;
    expect(task.state).toBe(TaskState.CANCELLED);
    expect(ctxRef?.signal.aborted).toBe(true);
  });

  it('cancel() aborts with a CancelledError by default, waits for the task and its cleanup, never rejects', async () => {
    const order: string[] = [];
    const cleanupGate = deferred();
    const task = coordinator.createTask(
      async (ctx) => {
        await untilAborted(ctx.signal);
      },
      {
        cleanup: async (info) => {
          order.push(`cleanup ${info.state}`);
          await cleanupGate.promise;
          order.push('cleanup done');
        },
      },
    );
    const cancelled = task.cancel().then(() => order.push('cancel resolved'));
    await flushMicrotasks();
    expect(order).toEqual(['cleanup cancelled']);
    cleanupGate.resolve();
    await cancelled;
    expect(order).toEqual(['cleanup cancelled', 'cleanup done', 'cancel resolved']);
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    expect(task.state).toBe(TaskState.CANCELLED);
  });

  it('marks a task that resolves after its signal aborted as cancelled', async () => {
    const gate = deferred<string>();
    const task = coordinator.createTask(() => gate.promise);
    const cancelled = task.cancel();
    gate.resolve('partial');
    await cancelled;
    expect(task.state).toBe(TaskState.CANCELLED);
    await expect(task).resolves.toBe('partial');
  });

  it('marks a task that rejects with any cancellation (AbortError too) as cancelled', async () => {
    const task = coordinator.createTask(() => {
      const controller = new AbortController();
      controller.abort();
      return Promise.reject(controller.signal.reason);
    });
    await task.then(undefined, () => undefined);
    expect(task.state).toBe(TaskState.CANCELLED);
  });

  it('supports `await using`: leaving the scope cancels the task and waits for it', async () => {
    let signal: AbortSignal | undefined;
    {
      await using task = coordinator.createTask((ctx) => {
        signal = ctx.signal;
        return untilAborted(ctx.signal);
      });
      expect(task.state).toBe(TaskState.RUNNING);
    }
    expect(signal?.aborted).toBe(true);
    expect(coordinator.tasks()).toEqual([]);
  });

  it('runs the cleanup exactly once after a normal completion, shielded from the task context', async () => {
    const calls: (TaskContext | undefined)[] = [];
    const task = coordinator.createTask(() => Promise.resolve(1), {
      name: 'with-cleanup',
      cleanup: () => {
        calls.push(currentTask());
      },
    });
    await task;
    await flushMicrotasks();
    expect(calls).toEqual([undefined]);
  });

  it('exposes the task context through currentTask() across awaits', async () => {
    const names: (string | undefined)[] = [];
    const task = coordinator.createTask(
      async () => {
        names.push(currentTask()?.name);
        await Promise.resolve();
        await new Promise<void>((resolve) => setTimeout(resolve, 10));
        names.push(currentTask()?.name);
      },
      { name: 'ctx' },
    );
    await jest.advanceTimersByTimeAsync(10);
    await task;
    expect(names).toEqual(['ctx', 'ctx']);
    expect(currentTask()).toBeUndefined();
  });

  it('shows no task to code its end calls back nor to work it left behind once it ended', async () => {
    const seen: Record<string, TaskContext | undefined> = {};
    const events = coordinator.events$.subscribe((event) => {
      if (event.type === 'task' && event.name === 'failing' && event.state === TaskState.FAILED) {
        seen.event = currentTask();
      }
    });
    const leftBehind = deferred();
    const afterEnd = deferred();
    const outer = coordinator.createTask(
      async () => {
        const inner = coordinator.createTask(
          () => {
            seen.inside = currentTask();
            void leftBehind.promise.then(() => {
              seen.leftBehind = currentTask();
              afterEnd.resolve();
            });
            return Promise.reject(new Error('boom'));
          },
          { name: 'failing', onError: () => (seen.onError = currentTask()) },
        );
        await inner.then(undefined, () => undefined);
      },
      { name: 'outer' },
    );
    await outer;
    leftBehind.resolve();
    await afterEnd.promise;
    events.unsubscribe();
    expect(seen.inside?.name).toBe('failing');
    expect(seen).toEqual({
      inside: seen.inside,
      event: undefined,
      onError: undefined,
      leftBehind: undefined,
    });
  });

  it("runs the next wave's abort listeners, reached from a task's end, in no task", async () => {
    const first = deferred();
    let listenerSaw: TaskContext | null | undefined = null;
    coordinator.createTask((ctx) => untilAborted(ctx.signal).catch(() => first.promise), {
      name: 'first',
      priority: TaskPriority.LOW,
    });
    coordinator.createTask(
      (ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            listenerSaw = currentTask();
            resolve();
          }),
        ),
      { name: 'second', priority: TaskPriority.CRITICAL },
    );
    const done = coordinator.shutdown();
    await flushMicrotasks();
    expect(listenerSaw).toBeNull();
    first.resolve();
    await done;
    expect(listenerSaw).toBeUndefined();
  });

  it('runs tasks outside any async context with asyncContext: false', async () => {
    const plain = new LifecycleCoordinator({ asyncContext: false });
    const seen: (TaskContext | undefined)[] = [];
    await plain.createTask(async (ctx) => {
      seen.push(currentTask());
      await Promise.resolve();
      seen.push(currentTask());
      return ctx.name;
    });
    expect(seen).toEqual([undefined, undefined]);
    await plain.shutdown();
  });

  it('generates names and ids, and frees a name once its task ended', async () => {
    const gate = deferred();
    const a = coordinator.createTask(() => gate.promise);
    expect(a.name).toBe(`task#${a.id}`);
    const named = coordinator.createTask(() => gate.promise, { name: 'unique' });
    expect(() => coordinator.createTask(() => 1, { name: 'unique' })).toThrow(
      DuplicateTaskNameError,
    );
    expect(() => coordinator.createTask(() => 1, { name: 'unique' })).toThrow(
      'A task or shutdown hook named "unique" is already registered',
    );
    expect(() => coordinator.createTask(() => 1, { name: 'task#99' })).toThrow(/reserved/);
    gate.resolve();
    await Promise.all([a, named]);
    await expect(coordinator.createTask(() => 2, { name: 'unique' })).resolves.toBe(2);
  });

  it('rejects unknown dependencies and self-dependency, naming both tasks', () => {
    expect(() => coordinator.createTask(() => 1, { name: 'consumer', dependsOn: ['db'] })).toThrow(
      new UnknownDependencyError('consumer', 'db'),
    );
    expect(() => coordinator.createTask(() => 1, { name: 'consumer', dependsOn: ['db'] })).toThrow(
      '"consumer" depends on "db", but no live task or shutdown hook has that name',
    );
    expect(() => coordinator.createTask(() => 1, { name: 'me', dependsOn: ['me'] })).toThrow(
      DependencyCycleError,
    );
    expect(() => coordinator.createTask(() => 1, { name: 'me', dependsOn: ['me'] })).toThrow(
      'Dependency cycle: "me" → "me"',
    );
  });

  it('resolves a dependency by a generated name, read or guessed, while the task lives', async () => {
    const gate = deferred();
    const first = coordinator.createTask(() => gate.promise);
    const guessed = coordinator.createTask(() => gate.promise);
    const second = coordinator.createTask(() => gate.promise, { dependsOn: [first.name] });
    const third = coordinator.createTask(() => gate.promise, {
      dependsOn: [`task#${guessed.id}`],
    });
    expect(coordinator.tasks().map((t) => t.dependsOn)).toEqual([
      [],
      [],
      [first.name],
      [`task#${guessed.id}`],
    ]);
    gate.resolve();
    await Promise.all([first, guessed, second, third]);
    await flushMicrotasks();
    expect(() => coordinator.createTask(() => 1, { dependsOn: [first.name] })).toThrow(
      UnknownDependencyError,
    );
    expect(() => coordinator.createTask(() => 1, { dependsOn: ['task#9999'] })).toThrow(
      UnknownDependencyError,
    );
  });

  it('rejects bad task options with a message naming the option and value', () => {
    expect(() => coordinator.createTask(() => 1, { priority: 9 as TaskPriority })).toThrow(
      'Invalid option priority = 9: expected a TaskPriority (0 = CRITICAL … 4 = LOWEST)',
    );
    expect(() => coordinator.createTask(() => 1, { name: '' })).toThrow('Invalid option name = ""');
    expect(() => coordinator.createTask(() => 1, { cleanupTimeoutMs: -5 })).toThrow(
      'Invalid option cleanupTimeoutMs = -5',
    );
    expect(() => coordinator.createTask('nope' as unknown as () => number)).toThrow(
      'Invalid option createTask(fn) = "nope": expected a function',
    );
  });

  it('refuses new tasks and hooks with ShutdownInProgressError once shutdown began', async () => {
    const done = coordinator.shutdown();
    expect(() => coordinator.createTask(() => 1)).toThrow(ShutdownInProgressError);
    expect(() => coordinator.createTask(() => 1)).toThrow(
      'Cannot start a task: shutdown has begun and no new work is accepted',
    );
    expect(() => coordinator.registerShutdownHook('late', () => undefined)).toThrow(
      ShutdownInProgressError,
    );
    await done;
  });

  it('moves running → draining → stopped, aborts shutdownSignal at once, and emits events', async () => {
    const events: LifecycleEvent[] = [];
    const subscription = coordinator.events$.subscribe((event) => events.push(event));
    expect(coordinator.state).toBe(LifecycleState.RUNNING);
    const done = coordinator.shutdown({ reason: 'SIGTERM' });
    expect(coordinator.state).toBe(LifecycleState.DRAINING);
    expect(coordinator.shutdownSignal.aborted).toBe(true);
    expect(coordinator.shutdownSignal.reason).toBeInstanceOf(CancelledError);
    await done;
    expect(coordinator.state).toBe(LifecycleState.STOPPED);
    expect(events.map((e) => (e.type === 'state' ? `state:${e.state}` : e.type))).toEqual([
      'state:draining',
      'phase',
      'state:stopped',
    ]);
    subscription.unsubscribe();
  });

  it('starts in STARTING for adapters until markRunning()', async () => {
    const adapted = new LifecycleCoordinator({}, { startInStartingState: true });
    expect(adapted.state).toBe(LifecycleState.STARTING);
    adapted.markRunning();
    expect(adapted.state).toBe(LifecycleState.RUNNING);
    await adapted.shutdown();
  });

  it('logs each task state change at debug level', async () => {
    await coordinator.createTask(() => 1, { name: 'dbg', priority: TaskPriority.LOW });
    expect(logger.messages('debug')).toEqual([
      'task "dbg" (LOW) created → running',
      'task "dbg" (LOW) running → completed',
    ]);
  });

  it('admits a task started by work in flight during the shutdown: a task or a hook', async () => {
    const release = deferred();
    const order: string[] = [];
    coordinator.createTask(
      async (ctx) => {
        await untilAborted(ctx.signal).catch(() => undefined);
        // Finishing its last batch needs a sub-task: the shutdown accepted this work.
        const flush = coordinator.createTask(
          async () => {
            await release.promise;
            order.push('flushed');
          },
          { name: 'flush', priority: TaskPriority.LOWEST },
        );
        await flush;
        order.push('consumer stopped');
      },
      { name: 'consumer', priority: TaskPriority.HIGH },
    );
    coordinator.registerShutdownHook(
      'pool',
      async () => {
        await coordinator.createTask(() => order.push('hook call'), { name: 'hook-call' });
        order.push('pool closed');
      },
      { priority: TaskPriority.CRITICAL },
    );
    const done = coordinator.shutdown();
    await flushMicrotasks();
    expect(() => coordinator.createTask(() => 1)).toThrow(ShutdownInProgressError);
    release.resolve();
    const report = await done;
    expect(order).toEqual(['flushed', 'consumer stopped', 'hook call', 'pool closed']);
    // Nested tasks join the wave stopping now, not their own earlier one; one started by a
    // task of a wave being stopped is signalled like it, a hook's call runs as its hook does.
    expect(report.tasks.map((t) => [t.name, t.wave, t.state])).toEqual([
      ['consumer', 3, 'cancelled'],
      ['flush', 3, 'cancelled'],
      ['hook-call', 4, 'completed'],
    ]);
    expect(report.outcome).toBe('clean');
  });

  it('refuses a task started by work that already ended, or from outside any task', async () => {
    let late: (() => unknown) | undefined;
    await coordinator.createTask(() => {
      late = () => coordinator.createTask(() => 1);
    });
    const done = coordinator.shutdown();
    expect(late).toThrow(ShutdownInProgressError);
    await done;
  });
});
