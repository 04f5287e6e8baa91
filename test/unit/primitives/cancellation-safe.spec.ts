import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { currentTask } from '../../../lib/core/task-context.storage.js';
import { cancellationSafe } from '../../../lib/primitives/cancellation-safe.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';
import { expectNoAbortListeners, expectNoTimers } from '../../support/leak-checks.js';
import { settledState } from './support/hostile-values.js';

describe('cancellationSafe', () => {
  let outer: AbortController;
  let cleanup: jest.Mock<() => unknown>;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    outer = new AbortController();
    cleanup = jest.fn<() => unknown>();
  });

  it('returns the result without cleanup on success, and leaves nothing behind', async () => {
    await expect(
      cancellationSafe(() => Promise.resolve(7), { cleanup, signal: outer.signal }),
    ).resolves.toBe(7);
    expect(cleanup).not.toHaveBeenCalled();
    expectNoAbortListeners(outer.signal);
    expectNoTimers();
  });

  it('on cancellation stops waiting, runs the cleanup shielded and rethrows the cancellation', async () => {
    const reason = new CancelledError('stop');
    const contexts: unknown[] = [];
    cleanup.mockImplementation(() => contexts.push(currentTask()));
    const never = new Promise<number>(() => undefined);
    const running = cancellationSafe(() => never, { cleanup, signal: outer.signal });
    outer.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(cleanup).toHaveBeenCalledTimes(1);
    expect(contexts).toEqual([undefined]);
    expectNoAbortListeners(outer.signal);
  });

  it('treats an operation rejecting with a cancellation as cancelled', async () => {
    const abort = new DOMException('aborted', 'AbortError');
    await expect(cancellationSafe(() => Promise.reject(abort), { cleanup })).rejects.toBe(abort);
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('resolves to the fallback with suppress', async () => {
    const running = cancellationSafe((signal) => untilAborted(signal), {
      cleanup,
      suppress: true,
      fallback: 0,
      signal: outer.signal,
    });
    outer.abort(new CancelledError());
    await expect(running).resolves.toBe(0);
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('does not run the cleanup on an ordinary failure by default; does with on: error and on: always', async () => {
    const failure = new Error('bad input');
    await expect(cancellationSafe(() => Promise.reject(failure), { cleanup })).rejects.toBe(
      failure,
    );
    expect(cleanup).not.toHaveBeenCalled();
    await expect(
      cancellationSafe(() => Promise.reject(failure), { cleanup, on: 'error' }),
    ).rejects.toBe(failure);
    expect(cleanup).toHaveBeenCalledTimes(1);
    await expect(
      cancellationSafe(() => Promise.resolve(1), { cleanup, on: 'always' }),
    ).resolves.toBe(1);
    expect(cleanup).toHaveBeenCalledTimes(2);
    await expect(
      cancellationSafe(() => Promise.resolve(1), { cleanup, on: 'error' }),
    ).resolves.toBe(1);
    expect(cleanup).toHaveBeenCalledTimes(2);
  });

  it('gives a hanging cleanup its deadline, then rethrows', async () => {
    const errors: unknown[] = [];
    const running = cancellationSafe(() => Promise.reject(new CancelledError()), {
      cleanup: () => new Promise(() => undefined),
      cleanupTimeoutMs: 200,
      onCleanupError: (error) => errors.push(error),
    });
    const assertion = expect(running).rejects.toBeInstanceOf(CancelledError);
    await jest.advanceTimersByTimeAsync(199);
    expect(errors).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await assertion;
    expect(errors).toEqual([expect.objectContaining({ isTimeoutError: true, timeoutMs: 200 })]);
    expectNoTimers();
  });

  it('keeps the cancellation when the cleanup throws', async () => {
    const reason = new CancelledError();
    const errors: unknown[] = [];
    const running = cancellationSafe(() => Promise.reject(reason), {
      cleanup: () => {
        throw new Error('cleanup boom');
      },
      onCleanupError: (error) => errors.push(error),
    });
    await expect(running).rejects.toBe(reason);
    expect(errors).toEqual([new Error('cleanup boom')]);
  });

  it('does not start when already cancelled', async () => {
    outer.abort(new CancelledError());
    const op = jest.fn(() => Promise.resolve(1));
    await expect(cancellationSafe(op, { cleanup, signal: outer.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(op).not.toHaveBeenCalled();
    expect(cleanup).not.toHaveBeenCalled();
  });

  it('follows the managed task it runs in, and observes the abandoned operation later', async () => {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const late = deferred<number>();
    const task = coordinator.createTask(() => cancellationSafe(() => late.promise, { cleanup }));
    await flushMicrotasks();
    await task.cancel();
    expect(cleanup).toHaveBeenCalledTimes(1);
    late.reject(new Error('failed after the cancel'));
    await flushMicrotasks();
    await coordinator.shutdown();
  });

  it('keeps the cancellation when the cleanup fails and its onCleanupError throws too', async () => {
    const reason = new CancelledError();
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const running = cancellationSafe(() => Promise.reject(reason), {
        cleanup: () => Promise.reject(new Error('cleanup boom')),
        onCleanupError: () => {
          throw new Error('logger closed');
        },
      });
      expect(await settledState(running)).toEqual({ state: 'rejected', reason });
      expect(warn).toHaveBeenCalledWith(
        'cleanup of cancellationSafe failed: Error: cleanup boom; its onCleanupError handler failed too: Error: logger closed',
        { code: 'ASYNC_LIFECYCLE_CLEANUP_FAILED' },
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses a bad cleanup option before starting: never in place of a later cancellation', async () => {
    const op = jest.fn(() => Promise.resolve(1));
    await expect(cancellationSafe(op, { cleanup, cleanupTimeoutMs: NaN })).rejects.toThrow(
      'Invalid option cleanupTimeoutMs = NaN',
    );
    await expect(
      cancellationSafe(op, { cleanup: undefined as unknown as () => unknown }),
    ).rejects.toThrow('Invalid option cleanup = undefined: expected a function');
    await expect(
      cancellationSafe(op, { cleanup, on: 'finally' as unknown as 'always' }),
    ).rejects.toThrow(`Invalid option on = "finally": expected 'cancel', 'error' or 'always'`);
    expect(op).not.toHaveBeenCalled();
    const running = deferred<number>();
    await expect(
      cancellationSafe(running.promise, { cleanup, cleanupTimeoutMs: -1 }),
    ).rejects.toMatchObject({ isInvalidLifecycleOptionError: true, option: 'cleanupTimeoutMs' });
    running.reject(new Error('the running work failed later: observed'));
    await flushMicrotasks();
  });
});
