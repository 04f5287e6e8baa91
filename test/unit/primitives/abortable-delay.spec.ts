import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { MAX_TIMER_MS } from '../../../lib/core/lifecycle-options.validator.js';
import { abortableDelay } from '../../../lib/primitives/abortable-delay.js';
import { expectNoAbortListeners, expectNoTimers } from '../../support/leak-checks.js';
import { settledState } from './support/hostile-values.js';

describe('abortableDelay', () => {
  let controller: AbortController;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    controller = new AbortController();
  });

  it('resolves after the delay and removes its listener', async () => {
    const sleeping = abortableDelay(1000, controller.signal);
    await jest.advanceTimersByTimeAsync(999);
    expect((await settledState(sleeping)).state).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(await settledState(sleeping)).toEqual({ state: 'resolved', value: undefined });
    expectNoAbortListeners(controller.signal);
    expectNoTimers();
  });

  it('rejects with the reason as soon as the signal aborts, clearing its timer', async () => {
    const reason = new CancelledError('shutdown');
    const sleeping = abortableDelay(1000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expectNoAbortListeners(controller.signal);
    expectNoTimers();
  });

  it('rejects at once when the signal is already aborted, starting no timer', async () => {
    controller.abort('early');
    await expect(abortableDelay(1000, controller.signal)).rejects.toBe('early');
    expectNoAbortListeners(controller.signal);
    expectNoTimers();
  });

  it.each([
    [NaN, 'NaN'],
    [-1, '-1'],
    [Infinity, 'Infinity'],
    ['1000', '"1000"'],
    [undefined, 'undefined'],
  ])('throws for ms = %p, synchronously, instead of resolving at once', (ms, shown) => {
    expect(() => abortableDelay(ms as number, controller.signal)).toThrow(
      expect.objectContaining({
        isInvalidLifecycleOptionError: true,
        option: 'ms',
        message: `Invalid option ms = ${shown}: expected a finite number of milliseconds >= 0`,
      }),
    );
    expectNoAbortListeners(controller.signal);
    expectNoTimers();
  });

  it('is not hidden by the catch-all of a polling loop: a bad delay ends the loop', async () => {
    const settings: { pollSeconds?: number } = {};
    const delayMs = Number(settings.pollSeconds) * 1000; // a missing setting: NaN
    let polls = 0;
    const loop = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        polls++;
        await abortableDelay(delayMs, controller.signal).catch(() => undefined);
      }
    };
    await expect(loop()).rejects.toMatchObject({ isInvalidLifecycleOptionError: true });
    expect(polls).toBe(1);
  });

  it('waits the whole of a delay longer than a timer can hold, in several steps', async () => {
    const ms = 3e9;
    const sleeping = abortableDelay(ms, controller.signal);
    await jest.advanceTimersByTimeAsync(1);
    expect((await settledState(sleeping)).state).toBe('pending');
    await jest.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect((await settledState(sleeping)).state).toBe('pending');
    await jest.advanceTimersByTimeAsync(ms - MAX_TIMER_MS - 2);
    expect((await settledState(sleeping)).state).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(await settledState(sleeping)).toEqual({ state: 'resolved', value: undefined });
    expectNoAbortListeners(controller.signal);
    expectNoTimers();
  });

  it('aborts a long delay during a later step, clearing the timer of that step', async () => {
    const sleeping = abortableDelay(2 * MAX_TIMER_MS + 10, controller.signal);
    await jest.advanceTimersByTimeAsync(MAX_TIMER_MS + 5);
    controller.abort('stop');
    await expect(sleeping).rejects.toBe('stop');
    expectNoAbortListeners(controller.signal);
    expectNoTimers();
  });

  it('works without a signal', async () => {
    const sleeping = abortableDelay(0);
    await jest.advanceTimersByTimeAsync(1);
    await expect(sleeping).resolves.toBeUndefined();
  });
});
