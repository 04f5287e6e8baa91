import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { TaskGroup } from '../../../lib/primitives/task-group.js';
import { TaskGroupError } from '../../../lib/primitives/task-group.error.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';
import { expectNoAbortListeners, expectNoTimers } from '../../support/leak-checks.js';
import { expectSame, hostileValues, settledState } from './support/hostile-values.js';

describe('TaskGroup', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  it('returns the body result after every task ended', async () => {
    const order: string[] = [];
    const result = TaskGroup.run(async (group) => {
      void group.spawn(() =>
        new Promise<void>((resolve) => setTimeout(resolve, 30)).then(() => order.push('slow')),
      );
      const fast = await group.spawn(() => 'fast');
      order.push(`body saw ${fast}`);
      return 'body';
    });
    await jest.advanceTimersByTimeAsync(30);
    await expect(result).resolves.toBe('body');
    expect(order).toEqual(['body saw fast', 'slow']);
    expectNoTimers();
  });

  it('aborts the siblings of a failing task, waits for them, and reports only real failures', async () => {
    const failure = new Error('orders failed');
    const stopped = deferred<unknown>();
    const running = TaskGroup.run(async (group) => {
      void group.spawn((signal) =>
        untilAborted(signal).catch((reason: unknown) => {
          stopped.resolve(reason);
          throw reason; // a cancellation: filtered out of the errors
        }),
      );
      void group.spawn(() => Promise.reject(failure));
    });
    await expect(running).rejects.toBeInstanceOf(TaskGroupError);
    const error = (await running.catch((e: unknown) => e)) as TaskGroupError;
    expect(error.errors).toEqual([failure]);
    expect(error.message).toBe('1 task(s) of the group failed; first: Error: orders failed');
    expect(await stopped.promise).toMatchObject({ isCancelledError: true, cause: failure });
  });

  it('collects several failures, and a failing body', async () => {
    const running = TaskGroup.run(async (group) => {
      void group.spawn(() => Promise.reject(new Error('a')));
      void group.spawn(() => Promise.reject(new Error('b')));
      await flushMicrotasks();
      throw new Error('body');
    });
    const error = (await running.catch((e: unknown) => e)) as TaskGroupError;
    expect(error.errors).toEqual([new Error('a'), new Error('b'), new Error('body')]);
  });

  it('when cancelled from outside, aborts its tasks, waits and rejects with the cancellation', async () => {
    const outer = new AbortController();
    const reason = new CancelledError('shutdown');
    const ended: string[] = [];
    const running = TaskGroup.run(
      async (group) => {
        void group.spawn((signal) => untilAborted(signal).finally(() => ended.push('a')));
        void group.spawn((signal) => untilAborted(signal).finally(() => ended.push('b')));
        await untilAborted(group.signal);
      },
      { signal: outer.signal },
    );
    await flushMicrotasks();
    outer.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(ended).toEqual(['a', 'b']);
    expectNoAbortListeners(outer.signal);
  });

  it('follows the managed task it runs in', async () => {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const task = coordinator.createTask(() =>
      TaskGroup.run(async (group) => {
        await group.spawn((signal) => untilAborted(signal));
      }),
    );
    await flushMicrotasks();
    await task.cancel();
    expect(task.state).toBe('cancelled');
    await coordinator.shutdown();
  });

  it('lets tasks spawn tasks, and waits for all of them', async () => {
    const order: string[] = [];
    await TaskGroup.run((group) => {
      void group.spawn(async () => {
        await Promise.resolve();
        void group.spawn(async () => {
          await Promise.resolve();
          order.push('grandchild');
        });
        order.push('child');
      });
    });
    expect(order).toEqual(['child', 'grandchild']);
  });

  it('rejects spawning into an aborted group at once, and after the group ended', async () => {
    let kept: TaskGroup | undefined;
    const running = TaskGroup.run(async (group) => {
      kept = group;
      void group.spawn(() => Promise.reject(new Error('x')));
      await flushMicrotasks();
      await expect(group.spawn(() => 1)).rejects.toMatchObject({ isCancelledError: true });
    });
    await expect(running).rejects.toBeInstanceOf(TaskGroupError);
    expect(() => kept?.spawn(() => 1)).toThrow('TaskGroup.spawn() after the group ended');
  });

  it('turns a synchronous throw of a task into a failure, never an unhandled rejection', async () => {
    const running = TaskGroup.run((group) => {
      void group.spawn(() => {
        throw new Error('sync');
      });
    });
    await expect(running).rejects.toMatchObject({ errors: [new Error('sync')] });
  });

  describe.each(hostileValues)('with a rejection that is %s', (_label, make) => {
    it('a task rejecting with it fails the group with that very value, aborts its siblings, never hangs', async () => {
      const outer = new AbortController();
      const value = make();
      const sibling = deferred<unknown>();
      const running = TaskGroup.run(
        (group) => {
          void group.spawn((signal) => untilAborted(signal).catch(sibling.resolve));
          void group.spawn(() => Promise.reject(value));
        },
        { signal: outer.signal },
      );
      const outcome = await settledState(running);
      expect(outcome.state).toBe('rejected');
      const error = (outcome as { reason: TaskGroupError }).reason;
      expect(error.isTaskGroupError).toBe(true);
      expect(error.errors).toHaveLength(1);
      expectSame(error.errors[0], value);
      expect(typeof error.message).toBe('string');
      expect(await sibling.promise).toMatchObject({ isCancelledError: true });
      expectNoAbortListeners(outer.signal);
    });

    it('a body throwing it fails the group with that very value once its tasks ended', async () => {
      const value = make();
      const ended: string[] = [];
      const running = TaskGroup.run(async (group) => {
        void group.spawn((signal) => untilAborted(signal).finally(() => ended.push('child')));
        await flushMicrotasks();
        throw value;
      });
      const outcome = await settledState(running);
      expect(outcome.state).toBe('rejected');
      expectSame((outcome as { reason: TaskGroupError }).reason.errors[0], value);
      expect(ended).toEqual(['child']);
    });
  });

  it('rethrows a cancellation it did not cause: a task cancelled elsewhere cancels the group', async () => {
    const elsewhere = new CancelledError('the task was cancelled by its own signal');
    const sibling = deferred<unknown>();
    const running = TaskGroup.run(async (group) => {
      void group.spawn((signal) =>
        untilAborted(signal).catch((reason: unknown) => {
          sibling.resolve(reason);
          throw reason;
        }),
      );
      void group.spawn(() => Promise.reject(elsewhere));
      return 'body result';
    });
    const outcome = await settledState(running);
    expect(outcome).toEqual({ state: 'rejected', reason: elsewhere });
    expect(await sibling.promise).toBe(elsewhere);
  });

  it('rethrows a cancellation thrown by the body while the group was not aborted, aborting its tasks', async () => {
    const elsewhere = new DOMException('aborted', 'AbortError');
    const ended: unknown[] = [];
    const running = TaskGroup.run(async (group) => {
      void group.spawn((signal) =>
        untilAborted(signal).catch((reason: unknown) => ended.push(reason)),
      );
      await flushMicrotasks();
      throw elsewhere;
    });
    await expect(running).rejects.toBe(elsewhere);
    expect(ended).toEqual([elsewhere]);
  });
});
