import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { abortableDelay as sleep } from '../../../lib/primitives/abortable-delay.js';
import { gatherSafe } from '../../../lib/primitives/gather-safe.js';
import { deferred, untilAborted } from '../../support/deferred.js';
import { expectNoAbortListeners, expectNoTimers } from '../../support/leak-checks.js';

describe('gatherSafe', () => {
  let outer: AbortController;
  let cleanup: jest.Mock<() => unknown>;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    outer = new AbortController();
    cleanup = jest.fn<() => unknown>();
  });

  it('resolves with every result in order, mixing functions and promises; no cleanup', async () => {
    const running = gatherSafe<number>(
      [(signal) => sleep(20, signal).then(() => 1), Promise.resolve(2), () => 3],
      { cleanup, signal: outer.signal },
    );
    await jest.advanceTimersByTimeAsync(20);
    await expect(running).resolves.toEqual([1, 2, 3]);
    expect(cleanup).not.toHaveBeenCalled();
    expectNoAbortListeners(outer.signal);
    expectNoTimers();
  });

  it('on a failure aborts the others, waits for every one, runs the cleanup once, rethrows the failure', async () => {
    const order: string[] = [];
    const failure = new Error('upload 2 failed');
    cleanup.mockImplementation(() => order.push('cleanup'));
    const running = gatherSafe(
      [
        (signal) =>
          sleep(1000, signal).catch((reason: unknown) => {
            order.push(`1 stopped: ${(reason as CancelledError).message}`);
            return sleep(50).then(() => order.push('1 ended'));
          }),
        () => sleep(10).then(() => Promise.reject(failure)),
      ],
      { cleanup },
    );
    const assertion = expect(running).rejects.toBe(failure);
    await jest.advanceTimersByTimeAsync(10);
    expect(order).toEqual(['1 stopped: Another operation of the gather failed']);
    await jest.advanceTimersByTimeAsync(50);
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
    await jest.advanceTimersByTimeAsync(40);
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
});
