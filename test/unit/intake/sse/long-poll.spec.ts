import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { isCancellation } from '../../../../lib/core/cancellation.js';
import { longPoll } from '../../../../lib/intake/sse/long-poll.js';
import { registerSseIntake } from '../../../../lib/intake/sse/sse-intake.registry.js';
import { deferred, untilAborted, type TestDeferred } from '../../../support/deferred.js';
import { expectNoAbortListeners } from '../../../support/leak-checks.js';

describe('longPoll()', () => {
  let coordinator: LifecycleCoordinator;
  let busy: TestDeferred;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    coordinator = new LifecycleCoordinator({
      drainDelayMs: 200,
      phases: { gracefulMs: 4000, forcefulMs: 500, terminateMs: 500 },
      progressIntervalMs: 0,
      logger: false,
    });
    registerSseIntake(coordinator, { retryMs: 1000, spreadMs: 0 });
    busy = deferred();
    coordinator.createTask(() => busy.promise, { name: 'request-like' });
  });

  afterEach(async () => {
    busy.resolve();
    const done = coordinator.shutdown();
    await jest.runAllTimersAsync();
    await done;
  });

  it('answers with what wait found', async () => {
    const order = deferred<string>();
    const poll = longPoll(coordinator, () => order.promise, { fallback: 'none' });
    order.resolve('order #1');
    await expect(poll).resolves.toBe('order #1');
  });

  it('keeps waiting during the drain and answers early with the fallback at intake close', async () => {
    let signal: AbortSignal | undefined;
    const poll = longPoll(
      coordinator,
      (s) => {
        signal = s;
        return new Promise<string>(() => undefined); // never finds anything
      },
      { fallback: 'none' },
    );
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(199);
    expect(signal?.aborted).toBe(false); // the drain: a poll answered now would come back here
    await jest.advanceTimersByTimeAsync(1);
    await expect(poll).resolves.toBe('none');
    expect(signal?.aborted).toBe(true);
    expect(isCancellation(signal?.reason)).toBe(true);
    expect(coordinator.getReport()?.intakes.sse).toMatchObject({
      openAtStart: 1,
      pollsAnswered: 1,
    });
  });

  it('answers early even when wait rejects with the cancellation first; its later failure is observed', async () => {
    const poll = longPoll(
      coordinator,
      (signal) =>
        untilAborted(signal).catch(async () => {
          await Promise.resolve();
          throw new Error('cleanup after the abort failed'); // late: never unhandled
        }),
      { fallback: [] },
    );
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(200);
    await expect(poll).resolves.toEqual([]);
  });

  it('answers a poll that arrives after intake closed at once, without starting wait', async () => {
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(200);
    const wait = jest.fn(() => Promise.resolve('never asked'));
    await expect(longPoll(coordinator, wait, { fallback: null })).resolves.toBeNull();
    expect(wait).not.toHaveBeenCalled();
  });

  it("rethrows its request's own cancellation (FORCEFUL), never turning it into the fallback", async () => {
    // The spread has reached the first poll only when FORCEFUL comes (a repeated SIGTERM).
    // Requests drain: their signal aborts only at FORCEFUL.
    registerSseIntake(coordinator, { retryMs: 1000, spreadMs: 1000 });
    const handle = coordinator.registerIntake({ name: 'requests' });
    const outcomes = [deferred<unknown>(), deferred<unknown>()];
    for (const outcome of outcomes) {
      handle.admit(() =>
        longPoll(coordinator, (signal) => untilAborted(signal), { fallback: 'none' }).then(
          (value) => outcome.resolve(value),
          (error: unknown) => outcome.resolve(error),
        ),
      );
    }
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(300);
    expect(outcomes.map((o) => o.settled)).toEqual([true, false]);
    coordinator.escalate();
    const [first, second] = await Promise.all(outcomes.map((o) => o.promise));
    expect(first).toBe('none');
    expect(isCancellation(second)).toBe(true);
    expect(second).toMatchObject({ phase: 'forceful' });
  });

  it('rethrows a failure of wait', async () => {
    const poll = longPoll(coordinator, () => Promise.reject(new Error('db down')), {
      fallback: 'none',
    });
    await expect(poll).rejects.toThrow('db down');
  });

  it('leaves no listener on its task signal', async () => {
    const handle = coordinator.registerIntake({ name: 'requests' });
    let taskSignal: AbortSignal | undefined;
    const task = handle.admit(async (ctx) => {
      taskSignal = ctx.signal;
      return longPoll(coordinator, () => Promise.resolve('found'), { fallback: 'none' });
    });
    await expect(task).resolves.toBe('found');
    expectNoAbortListeners(taskSignal!);
  });

  it.each([
    ['a missing coordinator', [undefined, () => 1, { fallback: 0 }], 'coordinator = undefined'],
    ['a wait that is not a function', ['coordinator', 'soon', { fallback: 0 }], 'longPoll(wait)'],
    ['no fallback', ['coordinator', () => 1, {}], 'expected an object { fallback }'],
  ])('rejects %s', async (_what, args, message) => {
    const [which, wait, options] = args as [unknown, unknown, unknown];
    const target = which === 'coordinator' ? coordinator : which;
    await expect(longPoll(target as never, wait as never, options as never)).rejects.toThrow(
      message,
    );
  });
});
