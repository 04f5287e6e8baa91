import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import type { TaskContext } from '../../../lib/core/task.interface.js';
import {
  cancellationSafeCall,
  type CancellationSafeMethodOptions,
  type CleanupWhen,
} from '../../../lib/primitives/cancellation-safe.js';
import { deferred, flushMicrotasks } from '../../support/deferred.js';

// The path of a @CancellationSafe method called inside a managed task still running: a race
// settled without an async function. Each outcome must run the cleanup as often as before: once.
describe('cancellationSafeCall inside a managed task', () => {
  let coordinator: LifecycleCoordinator;
  let cleanup: jest.Mock<() => unknown>;

  function options(on: CleanupWhen, suppress?: boolean): CancellationSafeMethodOptions {
    return {
      cleanupTimeoutMs: 1000,
      suppress,
      fallback: 'fallback',
      on,
      onCleanupError: jest.fn(),
    };
  }

  /** Runs `body` as a managed task; resolves with its outcome. */
  function inTask<T>(body: (ctx: TaskContext) => Promise<T>): Promise<T> {
    return Promise.resolve(coordinator.createTask(body));
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    coordinator = new LifecycleCoordinator({ progressIntervalMs: 0, logger: false });
    cleanup = jest.fn<() => unknown>();
  });

  afterEach(async () => {
    const done = coordinator.shutdown({ reason: 'test end' });
    await jest.runAllTimersAsync();
    await done;
  });

  it('returns the value without a cleanup, or after it with on: always', async () => {
    await expect(
      inTask(() => cancellationSafeCall(() => Promise.resolve(7), cleanup, options('cancel'))),
    ).resolves.toBe(7);
    expect(cleanup).not.toHaveBeenCalled();
    await expect(
      inTask(() => cancellationSafeCall(() => 8, cleanup, options('always'))),
    ).resolves.toBe(8);
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('rethrows a failure, with a cleanup only when on says so', async () => {
    const failing = (): Promise<never> => Promise.reject(new Error('broken'));
    await expect(
      inTask(() => cancellationSafeCall(failing, cleanup, options('cancel'))),
    ).rejects.toThrow('broken');
    expect(cleanup).not.toHaveBeenCalled();
    const throwing = (): never => {
      throw new Error('at once');
    };
    await expect(
      inTask(() => cancellationSafeCall(throwing, cleanup, options('error'))),
    ).rejects.toThrow('at once');
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('stops waiting when its task is stopped, cleans up once, and ignores the call settling later', async () => {
    const work = deferred<string>();
    const entered = deferred();
    const reason = new CancelledError('stop');
    const task = coordinator.createTask(() => {
      entered.resolve();
      // on: 'always' — a late outcome that got through would run the cleanup a second time.
      return cancellationSafeCall(() => work.promise, cleanup, options('always'));
    });
    await entered.promise;
    await flushMicrotasks();
    void task.cancel(reason);
    await expect(Promise.resolve(task)).rejects.toBe(reason);
    expect(cleanup).toHaveBeenCalledTimes(1);
    work.resolve('after the stop');
    await flushMicrotasks();
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('resolves to the fallback with suppress when stopped', async () => {
    const work = deferred<string>();
    const task = coordinator.createTask(() =>
      cancellationSafeCall(() => work.promise, cleanup, options('cancel', true)),
    );
    await flushMicrotasks();
    void task.cancel();
    await expect(Promise.resolve(task)).resolves.toBe('fallback');
    expect(cleanup).toHaveBeenCalledTimes(1);
    work.resolve('late');
  });
  // A call that stops its own task before returning: lifecycle-method.binder.spec.ts.
});
