import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { currentTask } from '../../../lib/core/task-context.storage.js';
import { TimeoutError } from '../../../lib/core/timeout.error.js';
import { waitForSafe } from '../../../lib/primitives/wait-for-safe.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';
import { expectNoAbortListeners, expectNoTimers } from '../../support/leak-checks.js';

describe('waitForSafe', () => {
  let outer: AbortController;
  let cleanup: jest.Mock<() => unknown>;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    outer = new AbortController();
    cleanup = jest.fn<() => unknown>();
  });

  it('resolves with the result, without running the cleanup, and leaves nothing behind', async () => {
    const result = await waitForSafe(
      (signal) => Promise.resolve(signal.aborted ? 'aborted' : 'ok'),
      {
        timeoutMs: 100,
        cleanup,
        signal: outer.signal,
      },
    );
    expect(result).toBe('ok');
    expect(cleanup).not.toHaveBeenCalled();
    expectNoTimers();
    expectNoAbortListeners(outer.signal);
  });

  it('accepts a running promise', async () => {
    await expect(waitForSafe(Promise.resolve(3), { timeoutMs: 10 })).resolves.toBe(3);
  });

  it('on timeout aborts the operation, runs the cleanup once, then throws a TimeoutError', async () => {
    const seen: unknown[] = [];
    const order: string[] = [];
    cleanup.mockImplementation(() => order.push('cleanup'));
    const waiting = waitForSafe(
      (signal) => {
        signal.addEventListener('abort', () => {
          seen.push(signal.reason);
          order.push('op aborted');
        });
        return untilAborted(signal);
      },
      { timeoutMs: 100, cleanup, signal: outer.signal },
    );
    const assertion = expect(waiting).rejects.toMatchObject({
      isTimeoutError: true,
      timeoutMs: 100,
      message: 'The operation timed out after 100 ms',
    });
    await jest.advanceTimersByTimeAsync(100);
    await assertion;
    expect(cleanup).toHaveBeenCalledTimes(1);
    expect(seen[0]).toBeInstanceOf(TimeoutError);
    expect(order).toEqual(['op aborted', 'cleanup']);
    expectNoTimers();
    expectNoAbortListeners(outer.signal);
  });

  it('resolves to the fallback on timeout and on failure when one is given — even undefined', async () => {
    const never = waitForSafe(() => new Promise<string>(() => undefined), {
      timeoutMs: 50,
      fallback: 'cached',
      cleanup,
    });
    await jest.advanceTimersByTimeAsync(50);
    await expect(never).resolves.toBe('cached');
    await expect(
      waitForSafe(() => Promise.reject(new Error('down')), { timeoutMs: 50, fallback: undefined }),
    ).resolves.toBeUndefined();
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('rethrows a failure after the cleanup', async () => {
    const failure = new Error('down');
    await expect(
      waitForSafe(() => Promise.reject(failure), { timeoutMs: 50, cleanup }),
    ).rejects.toBe(failure);
    expect(cleanup).toHaveBeenCalledTimes(1);
    expectNoTimers();
  });

  it('turns a synchronous throw of the operation into a rejection', async () => {
    await expect(
      waitForSafe(
        () => {
          throw new Error('sync');
        },
        { timeoutMs: 50 },
      ),
    ).rejects.toThrow('sync');
    expectNoTimers();
  });

  it('on outside cancellation aborts the operation, runs the cleanup, and rethrows the cancellation even with a fallback', async () => {
    let opSignal: AbortSignal | undefined;
    const waiting = waitForSafe(
      (signal) => {
        opSignal = signal;
        return new Promise<string>(() => undefined);
      },
      { timeoutMs: 1000, cleanup, fallback: 'never for a cancel', signal: outer.signal },
    );
    const reason = new CancelledError('stop');
    outer.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(opSignal?.aborted).toBe(true);
    expect(opSignal?.reason).toBe(reason);
    expect(cleanup).toHaveBeenCalledTimes(1);
    expectNoTimers();
    expectNoAbortListeners(outer.signal);
  });

  it('does not start a lazy operation when already cancelled, and skips the cleanup', async () => {
    outer.abort(new CancelledError());
    const op = jest.fn(() => Promise.resolve(1));
    await expect(
      waitForSafe(op, { timeoutMs: 10, cleanup, signal: outer.signal }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(op).not.toHaveBeenCalled();
    expect(cleanup).not.toHaveBeenCalled();
  });

  it('follows the current managed task by default', async () => {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const started = deferred();
    const task = coordinator.createTask(() =>
      waitForSafe(
        (signal) => {
          started.resolve();
          return untilAborted(signal);
        },
        { timeoutMs: 10_000, cleanup },
      ),
    );
    await started.promise;
    const cancelled = task.cancel();
    await cancelled;
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    expect(cleanup).toHaveBeenCalledTimes(1);
    await coordinator.shutdown();
    expectNoTimers();
  });

  it('runs the cleanup shielded: outside the task context, with its own deadline', async () => {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const contexts: unknown[] = [];
    const errors: unknown[] = [];
    const task = coordinator.createTask(() =>
      waitForSafe(() => Promise.reject(new Error('x')), {
        timeoutMs: 100,
        fallback: null,
        cleanup: () => {
          contexts.push(currentTask());
          return new Promise(() => undefined); // hangs
        },
        cleanupTimeoutMs: 30,
        onCleanupError: (error) => errors.push(error),
      }),
    );
    await flushMicrotasks();
    expect(task.state).toBe('running'); // waiting for the cleanup
    await jest.advanceTimersByTimeAsync(30);
    await expect(task).resolves.toBeNull();
    expect(contexts).toEqual([undefined]);
    expect(errors).toEqual([expect.objectContaining({ isTimeoutError: true, timeoutMs: 30 })]);
    await coordinator.shutdown();
    expectNoTimers();
  });

  it('reports a throwing cleanup without replacing the outcome; a process warning when nobody listens', async () => {
    const errors: unknown[] = [];
    const failure = new Error('primary');
    await expect(
      waitForSafe(() => Promise.reject(failure), {
        timeoutMs: 10,
        cleanup: () => {
          throw new Error('cleanup boom');
        },
        onCleanupError: (error) => errors.push(error),
      }),
    ).rejects.toBe(failure);
    expect(errors).toEqual([new Error('cleanup boom')]);

    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await expect(
        waitForSafe(() => Promise.reject(failure), {
          timeoutMs: 10,
          cleanup: () => Promise.reject(new Error('async boom')),
        }),
      ).rejects.toBe(failure);
      expect(warn).toHaveBeenCalledWith('cleanup of waitForSafe failed: Error: async boom', {
        code: 'ASYNC_LIFECYCLE_CLEANUP_FAILED',
      });
    } finally {
      warn.mockRestore();
    }
  });

  it('observes a late failure of the abandoned operation: no unhandled rejection', async () => {
    const late = deferred<string>();
    const waiting = waitForSafe(late.promise, { timeoutMs: 10, fallback: 'gave up' });
    await jest.advanceTimersByTimeAsync(10);
    await expect(waiting).resolves.toBe('gave up');
    late.reject(new Error('failed after the deadline'));
    await flushMicrotasks();
  });

  it('rejects a missing or bad timeout with a clear message', async () => {
    await expect(
      waitForSafe(Promise.resolve(1), {} as unknown as { timeoutMs: number }),
    ).rejects.toThrow('Invalid option timeoutMs = undefined: expected a number of milliseconds');
    await expect(waitForSafe(Promise.resolve(1), { timeoutMs: -1 })).rejects.toThrow(
      'Invalid option timeoutMs = -1',
    );
  });

  it('refuses bad options before starting anything, and still observes a promise passed in', async () => {
    const op = jest.fn(() => Promise.resolve(1));
    await expect(waitForSafe(op, { timeoutMs: 10, cleanupTimeoutMs: Infinity })).rejects.toThrow(
      'Invalid option cleanupTimeoutMs = Infinity',
    );
    expect(op).not.toHaveBeenCalled();
    const running = deferred<number>();
    await expect(waitForSafe(running.promise, { timeoutMs: NaN })).rejects.toThrow(
      'Invalid option timeoutMs = NaN',
    );
    running.reject(new Error('the running work failed later: observed'));
    await flushMicrotasks();
  });
});
