import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { gatherSafe } from '../../../lib/primitives/gather-safe.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';
import { expectNoAbortListeners, expectNoTimers } from '../../support/leak-checks.js';
import { expectSame, hostileValues, settledState } from './support/hostile-values.js';

describe('gatherSafe', () => {
  let outer: AbortController;
  let cleanup: jest.Mock<() => unknown>;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    outer = new AbortController();
    cleanup = jest.fn<() => unknown>();
  });

  it('resolves with every result in order, mixing functions and promises; no cleanup', async () => {
    const first = deferred<number>();
    const running = gatherSafe<number>([() => first.promise, Promise.resolve(2), () => 3], {
      cleanup,
      signal: outer.signal,
    });
    expect((await settledState(running)).state).toBe('pending');
    first.resolve(1);
    await expect(running).resolves.toEqual([1, 2, 3]);
    expect(cleanup).not.toHaveBeenCalled();
    expectNoAbortListeners(outer.signal);
    expectNoTimers();
  });

  it('on a failure aborts the others, waits for every one, runs the cleanup once, rethrows the failure', async () => {
    const order: string[] = [];
    const failure = new Error('upload 2 failed');
    const upload2 = deferred<never>();
    const upload1Ends = deferred();
    cleanup.mockImplementation(() => order.push('cleanup'));
    const running = gatherSafe(
      [
        (signal) =>
          untilAborted(signal).catch(async (reason: unknown) => {
            order.push(`1 stopped: ${(reason as CancelledError).message}`);
            await upload1Ends.promise;
            order.push('1 ended');
          }),
        () => upload2.promise,
      ],
      { cleanup },
    );
    const assertion = expect(running).rejects.toBe(failure);
    upload2.reject(failure);
    await flushMicrotasks();
    expect(order).toEqual(['1 stopped: Another operation of the gather failed']);
    upload1Ends.resolve();
    await assertion;
    expect(order).toEqual([
      '1 stopped: Another operation of the gather failed',
      '1 ended',
      'cleanup',
    ]);
    expectNoTimers();
  });

  it('with returnErrors keeps failures in place as Errors and aborts nobody', async () => {
    const other = jest.fn();
    const results = await gatherSafe<number>(
      [
        () => Promise.reject(new Error('one')),
        (signal) => Promise.resolve(signal.aborted ? -1 : 2).finally(other),
        () => Promise.reject('a string'),
      ],
      { returnErrors: true, cleanup },
    );
    expect(results).toEqual([new Error('one'), 2, new Error('a string')]);
    expect((results[2] as Error).cause).toBe('a string');
    expect(cleanup).not.toHaveBeenCalled();
  });

  it('on outside cancellation aborts all, waits, cleans up and rethrows it, even with returnErrors', async () => {
    const reason = new CancelledError('shutdown');
    const running = gatherSafe(
      [(s: AbortSignal) => untilAborted(s), (s: AbortSignal) => untilAborted(s)],
      {
        returnErrors: true,
        cleanup,
        signal: outer.signal,
      },
    );
    outer.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(cleanup).toHaveBeenCalledTimes(1);
    expectNoAbortListeners(outer.signal);
  });

  it('reports a throwing or hanging collective cleanup and keeps the failure', async () => {
    const errors: unknown[] = [];
    const failure = new Error('x');
    await expect(
      gatherSafe([() => Promise.reject(failure)], {
        cleanup: () => {
          throw new Error('cleanup boom');
        },
        onCleanupError: (error) => errors.push(error),
      }),
    ).rejects.toBe(failure);
    const hanging = gatherSafe([() => Promise.reject(failure)], {
      cleanup: () => new Promise(() => undefined),
      cleanupTimeoutMs: 40,
      onCleanupError: (error) => errors.push(error),
    });
    const assertion = expect(hanging).rejects.toBe(failure);
    await jest.advanceTimersByTimeAsync(39);
    expect(errors).toEqual([new Error('cleanup boom')]);
    await jest.advanceTimersByTimeAsync(1);
    await assertion;
    expect(errors).toEqual([
      new Error('cleanup boom'),
      expect.objectContaining({ isTimeoutError: true }),
    ]);
    expectNoTimers();
  });

  it('never leaves a late rejection of a sibling unhandled', async () => {
    const late = deferred();
    const failure = new Error('first');
    const running = gatherSafe([() => Promise.reject(failure), late.promise]);
    late.reject(new Error('second, later'));
    await expect(running).rejects.toBe(failure);
  });

  it('when already cancelled starts nothing, runs no cleanup, rejects with the reason and observes the promises passed in', async () => {
    const reason = new CancelledError('shutdown');
    outer.abort(reason);
    const lazy = jest.fn(() => Promise.resolve(1));
    const running = deferred<number>();
    const gathering = gatherSafe([lazy, running.promise, lazy], {
      cleanup,
      signal: outer.signal,
    });
    await expect(gathering).rejects.toBe(reason);
    expect(lazy).not.toHaveBeenCalled();
    expect(cleanup).not.toHaveBeenCalled();
    running.reject(new Error('the running upload failed later'));
    await flushMicrotasks();
    expectNoAbortListeners(outer.signal);
  });

  it('with returnErrors rethrows a cancellation an operation rejected with, after aborting and waiting for the others', async () => {
    const elsewhere = new DOMException('aborted by its own controller', 'AbortError');
    const stopped = deferred<unknown>();
    const running = gatherSafe(
      [
        () => Promise.reject(elsewhere),
        (signal) => untilAborted(signal).catch((reason: unknown) => stopped.resolve(reason)),
        () => Promise.reject(new Error('a failure stays in place')),
      ],
      { returnErrors: true, cleanup },
    );
    await expect(running).rejects.toBe(elsewhere);
    expect(await stopped.promise).toBe(elsewhere);
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('refuses a bad cleanup option before starting anything, and still observes the promises passed in', async () => {
    const lazy = jest.fn(() => Promise.resolve(1));
    const running = deferred<number>();
    await expect(
      gatherSafe([lazy, running.promise], { cleanup, cleanupTimeoutMs: NaN }),
    ).rejects.toThrow('Invalid option cleanupTimeoutMs = NaN');
    expect(lazy).not.toHaveBeenCalled();
    running.reject(new Error('the running upload failed later: observed'));
    await flushMicrotasks();
  });

  describe.each(hostileValues)('with a rejection that is %s', (_label, make) => {
    it('rethrows that very value after aborting and waiting for the others, cleaning up once', async () => {
      const value = make();
      const stopped = deferred<unknown>();
      const running = gatherSafe(
        [
          (signal) => untilAborted(signal).catch((reason: unknown) => stopped.resolve(reason)),
          () => Promise.reject(value),
        ],
        { cleanup, signal: outer.signal },
      );
      const outcome = await settledState(running);
      expect(outcome.state).toBe('rejected');
      expectSame((outcome as { reason: unknown }).reason, value);
      expect(await stopped.promise).toMatchObject({ isCancelledError: true });
      expect(cleanup).toHaveBeenCalledTimes(1);
      expectNoAbortListeners(outer.signal);
    });

    it('with returnErrors keeps it in place as an Error whose cause is that value', async () => {
      const value = make();
      const results = await gatherSafe<number>([() => Promise.reject(value), () => 2], {
        returnErrors: true,
      });
      expect(results[1]).toBe(2);
      // An Error (even one whose getters throw) is kept as it is; anything else is wrapped.
      const kept = results[0];
      if (kept !== value) {
        expect(kept).toBeInstanceOf(Error);
        expectSame((kept as Error).cause, value);
      }
    });
  });
});
