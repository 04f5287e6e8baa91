import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { CancelledError } from '../../../../lib/core/cancelled.error.js';
import { isCancellation } from '../../../../lib/core/cancellation.js';
import { InvalidLifecycleOptionError } from '../../../../lib/core/invalid-option.error.js';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { TimeoutError } from '../../../../lib/core/timeout.error.js';
import {
  LifecycleRetry,
  type LifecycleRetryContext,
  type RetryEvent,
} from '../../../../lib/primitives/resilience/lifecycle-retry.js';
import { deferred, flushMicrotasks, untilAborted } from '../../../support/deferred.js';
import { expectSame, hostileValues } from '../support/hostile-values.js';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

/** An attempt function that fails `failures` times, then resolves with `value`. */
function failing<T>(failures: number, value: T) {
  const calls: LifecycleRetryContext[] = [];
  const fn = jest.fn((ctx: LifecycleRetryContext): Promise<T> => {
    calls.push(ctx);
    return calls.length <= failures
      ? Promise.reject(new Error(`failure ${calls.length}`))
      : Promise.resolve(value);
  });
  return { fn, calls };
}

/** Observes a promise's outcome at once, so a rejection is never unhandled while time runs. */
function settle(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Records the backoff delays a retry chooses. */
function delaysOf(retry: LifecycleRetry): number[] {
  const delays: number[] = [];
  retry.onRetry((event: RetryEvent) => delays.push(event.delay));
  return delays;
}

describe('LifecycleRetry', () => {
  let shutdown: AbortController;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    shutdown = new AbortController();
  });

  afterEach(() => {
    jest.restoreAllMocks();
    // Nothing may stay on the long-lived signal, whatever the test did.
    expect(listeners(shutdown.signal)).toBe(0);
  });

  describe('success and failure', () => {
    it('returns the first success at once, with attempt 0 and no timer', async () => {
      const retry = new LifecycleRetry({ signal: shutdown.signal });
      const { fn, calls } = failing(0, 'ok');
      await expect(retry.execute(fn)).resolves.toBe('ok');
      expect(calls.map((c) => c.attempt)).toEqual([0]);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('handles a synchronous result and a synchronous throw', async () => {
      const retry = new LifecycleRetry({ maxAttempts: 2, signal: shutdown.signal });
      await expect(retry.execute(() => 7)).resolves.toBe(7);
      let n = 0;
      const done = retry.execute(() => {
        if (n++ === 0) throw new Error('sync');
        return 'second';
      });
      await jest.advanceTimersByTimeAsync(10_000);
      await expect(done).resolves.toBe('second');
    });

    it('succeeds after failures, sleeping between attempts', async () => {
      const retry = new LifecycleRetry({ maxAttempts: 3, signal: shutdown.signal });
      const retried = delaysOf(retry);
      const { fn, calls } = failing(2, 'ok');
      const done = retry.execute(fn);
      await flushMicrotasks();
      expect(calls).toHaveLength(1);
      expect(jest.getTimerCount()).toBe(1);
      await jest.advanceTimersByTimeAsync(10_000);
      await expect(done).resolves.toBe('ok');
      expect(calls.map((c) => c.attempt)).toEqual([0, 1, 2]);
      expect(retried).toHaveLength(2);
      // One signal for the whole call, aborted never.
      expect(calls.every((c) => c.signal === calls[0].signal && !c.signal.aborted)).toBe(true);
    });

    it('gives up after maxAttempts attempts in all, with the last error', async () => {
      const retry = new LifecycleRetry({ maxAttempts: 3, signal: shutdown.signal });
      const gaveUp: unknown[] = [];
      retry.onGiveUp((reason) => gaveUp.push('error' in reason ? reason.error.message : reason));
      const { fn } = failing(Infinity, 'never');
      const done = retry.execute(fn);
      const outcome = expect(done).rejects.toThrow('failure 3');
      await jest.advanceTimersByTimeAsync(60_000);
      await outcome;
      expect(fn).toHaveBeenCalledTimes(3);
      expect(gaveUp).toEqual(['failure 3']);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('reports a success once, and never retries a throwing onSuccess listener', async () => {
      const retry = new LifecycleRetry({ signal: shutdown.signal });
      const fn = jest.fn(() => 'ok');
      retry.onSuccess(() => {
        throw new Error('listener bug');
      });
      await expect(retry.execute(fn)).rejects.toThrow('listener bug');
      expect(fn).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('does not retry an error that handle() rejects', async () => {
      const retry = new LifecycleRetry({
        handle: (error) => (error as Error).message !== 'fatal',
        signal: shutdown.signal,
      });
      const failures: boolean[] = [];
      retry.onFailure(({ handled }) => failures.push(handled));
      const fn = jest.fn(() => Promise.reject(new Error('fatal')));
      await expect(retry.execute(fn)).rejects.toThrow('fatal');
      expect(fn).toHaveBeenCalledTimes(1);
      expect(failures).toEqual([false]);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('retries until cancelled with maxAttempts: Infinity', async () => {
      const retry = new LifecycleRetry({
        maxAttempts: Infinity,
        maxDelayMs: 1_000,
        signal: shutdown.signal,
      });
      const { fn } = failing(Infinity, 'never');
      const outcome = settle(retry.execute(fn));
      await jest.advanceTimersByTimeAsync(60_000);
      expect(fn.mock.calls.length).toBeGreaterThan(20);
      shutdown.abort('stop');
      expect(await outcome).toEqual({ error: 'stop' });
      expect(jest.getTimerCount()).toBe(0);
    });

    it('rejects bad options with the option named', () => {
      expect(() => new LifecycleRetry({ maxAttempts: 0 })).toThrow(InvalidLifecycleOptionError);
      expect(() => new LifecycleRetry({ maxAttempts: 1.5 })).toThrow(/maxAttempts = 1\.5/);
      expect(() => new LifecycleRetry({ initialDelayMs: -1 })).toThrow(/initialDelayMs = -1/);
      expect(() => new LifecycleRetry({ maxDelayMs: NaN })).toThrow(/maxDelayMs = NaN/);
    });
  });

  describe('backoff', () => {
    it('sleeps exactly the chosen delay before the next attempt', async () => {
      const retry = new LifecycleRetry({ maxAttempts: 2, signal: shutdown.signal });
      const delays = delaysOf(retry);
      const { fn } = failing(1, 'ok');
      const done = retry.execute(fn);
      await flushMicrotasks();
      expect(delays).toHaveLength(1);
      const delay = delays[0];
      await jest.advanceTimersByTimeAsync(Math.floor(delay) - 1);
      expect(fn).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(2);
      expect(fn).toHaveBeenCalledTimes(2);
      await expect(done).resolves.toBe('ok');
    });

    it('grows the delays exponentially from initialDelayMs, capped by maxDelayMs', async () => {
      // Pin cockatiel's jitter to its median to see the exponential curve underneath.
      jest.spyOn(Math, 'random').mockReturnValue(0.5);
      const retry = new LifecycleRetry({
        maxAttempts: 8,
        initialDelayMs: 100,
        maxDelayMs: 2_000,
        signal: shutdown.signal,
      });
      const delays = delaysOf(retry);
      const outcome = expect(retry.execute(failing(Infinity, 0).fn)).rejects.toThrow('failure 8');
      await jest.advanceTimersByTimeAsync(60_000);
      await outcome;
      expect(delays).toHaveLength(7);
      for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]);
      expect(delays[0]).toBeGreaterThan(50);
      expect(delays[0]).toBeLessThan(150);
      // Roughly doubling once past the smoothing of the first steps …
      expect(delays[4] / delays[3]).toBeGreaterThan(1.8);
      expect(delays[4] / delays[3]).toBeLessThan(2.2);
      // … until the cap.
      expect(delays[6]).toBe(2_000);
    });

    it('keeps retrying at once with initialDelayMs 0 past the ~1024th retry, where the backoff formula yields NaN', async () => {
      // cockatiel's decorrelated jitter overflows to Infinity × initialDelayMs = NaN there; a timer
      // given NaN fires after 1 ms and abortableDelay refuses it: the delay must stay 0.
      const retry = new LifecycleRetry({
        maxAttempts: Infinity,
        initialDelayMs: 0,
        signal: shutdown.signal,
      });
      const delays = delaysOf(retry);
      const failures = 1100;
      const outcome = settle(retry.execute(failing(failures, 'finally').fn));
      await jest.runAllTimersAsync();
      expect(await outcome).toEqual({ value: 'finally' });
      expect(delays).toHaveLength(failures);
      expect(delays.every((delay) => delay === 0)).toBe(true);
    });

    it('jitters the delays: they follow Math.random within bounds', async () => {
      const firstDelays: number[] = [];
      for (const random of [0.05, 0.5, 0.95]) {
        jest.spyOn(Math, 'random').mockReturnValue(random);
        const retry = new LifecycleRetry({ maxAttempts: 2, signal: shutdown.signal });
        const delays = delaysOf(retry);
        const done = retry.execute(failing(1, 'ok').fn);
        await jest.advanceTimersByTimeAsync(1_000);
        await done;
        firstDelays.push(delays[0]);
      }
      expect(new Set(firstDelays).size).toBe(3);
      // Decorrelated jitter spreads the first delay over [0, ~1.4 × initialDelayMs).
      for (const delay of firstDelays) {
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(140);
      }
      expect(firstDelays[0]).toBeLessThan(firstDelays[1]);
      expect(firstDelays[1]).toBeLessThan(firstDelays[2]);
    });
  });

  describe('cancellation', () => {
    it('stops at once when shutdown aborts during a backoff sleep: no further attempt, no timer', async () => {
      const retry = new LifecycleRetry({ maxAttempts: 5, signal: shutdown.signal });
      const { fn } = failing(Infinity, 'never');
      const outcome = settle(retry.execute(fn));
      await flushMicrotasks();
      expect(jest.getTimerCount()).toBe(1);
      expect(listeners(shutdown.signal)).toBe(1);

      const reason = new CancelledError('shutting down');
      shutdown.abort(reason);
      expect(jest.getTimerCount()).toBe(0);
      const { error } = await outcome;
      expect(error).toBe(reason);
      expect(isCancellation(error)).toBe(true);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(listeners(shutdown.signal)).toBe(0);
    });

    it('passes an abort during an attempt to its signal, and does not retry', async () => {
      const retry = new LifecycleRetry({ signal: shutdown.signal });
      const seen: AbortSignal[] = [];
      const fn = jest.fn(({ signal }: LifecycleRetryContext) => {
        seen.push(signal);
        return untilAborted(signal);
      });
      const done = retry.execute(fn);
      await flushMicrotasks();
      const reason = new CancelledError('shutting down');
      shutdown.abort(reason);
      await expect(done).rejects.toBe(reason);
      expect(seen[0].aborted).toBe(true);
      expect(seen[0].reason).toBe(reason);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('rejects with the abort reason even when the aborted attempt fails otherwise', async () => {
      const retry = new LifecycleRetry({ signal: shutdown.signal });
      const attempt = deferred<string>();
      const done = retry.execute(() => attempt.promise);
      await flushMicrotasks();
      shutdown.abort(new CancelledError('shutting down'));
      attempt.reject(new Error('connection reset'));
      await expect(done).rejects.toBe(shutdown.signal.reason);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('keeps the result of an attempt that completes despite the abort', async () => {
      const retry = new LifecycleRetry({ signal: shutdown.signal });
      const attempt = deferred<string>();
      const done = retry.execute(() => attempt.promise);
      await flushMicrotasks();
      shutdown.abort(new CancelledError('shutting down'));
      attempt.resolve('written');
      await expect(done).resolves.toBe('written');
    });

    it('never retries a cancellation thrown by the attempt, whatever handle() says', async () => {
      const retry = new LifecycleRetry({ handle: () => true, signal: shutdown.signal });
      const cancel = new CancelledError();
      const fn = jest.fn(() => Promise.reject(cancel));
      await expect(retry.execute(fn)).rejects.toBe(cancel);
      const abortError = new DOMException('aborted', 'AbortError');
      const wrapped = new Error('fetch failed', { cause: abortError });
      await expect(retry.execute(() => Promise.reject(wrapped))).rejects.toBe(wrapped);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('rejects at once, without calling fn, when shutdown began before the call', async () => {
      const reason = new CancelledError('shutting down');
      shutdown.abort(reason);
      const retry = new LifecycleRetry({ signal: shutdown.signal });
      const fn = jest.fn(() => 'never');
      await expect(retry.execute(fn)).rejects.toBe(reason);
      expect(fn).not.toHaveBeenCalled();
    });

    it("follows the caller's signal too, and leaves no listener on it", async () => {
      const retry = new LifecycleRetry({ signal: shutdown.signal });
      const caller = new AbortController();
      const { fn } = failing(Infinity, 'never');
      const done = retry.execute(fn, caller.signal);
      await flushMicrotasks();
      expect(listeners(caller.signal)).toBe(1);
      caller.abort();
      await expect(done).rejects.toMatchObject({ name: 'AbortError' });
      expect(fn).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
      expect(listeners(caller.signal)).toBe(0);
    });

    it('stops with a per-call timeout reason, which is not a cancellation', async () => {
      const retry = new LifecycleRetry({ signal: shutdown.signal });
      const caller = new AbortController();
      const done = retry.execute(({ signal }) => untilAborted(signal), caller.signal);
      await flushMicrotasks();
      const timeout = new TimeoutError(500, 'The payment call');
      caller.abort(timeout);
      await expect(done).rejects.toBe(timeout);
      expect(isCancellation(timeout)).toBe(false);
    });

    it('leaves no listener on the long-lived signals after success, failure and cancellation', async () => {
      const retry = new LifecycleRetry({ maxAttempts: 1, signal: shutdown.signal });
      const caller = new AbortController();
      await retry.execute(() => 'ok', caller.signal);
      await retry.execute(() => Promise.reject(new Error('ko')), caller.signal).catch(() => {});
      await retry
        .execute(() => Promise.reject(new CancelledError()), caller.signal)
        .catch(() => {});
      expect(listeners(shutdown.signal)).toBe(0);
      expect(listeners(caller.signal)).toBe(0);
    });
  });

  describe('inside a managed task', () => {
    let coordinator: LifecycleCoordinator;

    beforeEach(() => {
      coordinator = new LifecycleCoordinator({ logger: false });
    });

    afterEach(async () => {
      const done = coordinator.shutdown({ reason: 'test end' });
      await jest.runAllTimersAsync();
      await done;
    });

    it("stops retrying when the task is cancelled, with the task's reason", async () => {
      // Not bound to any signal: only the task's cancellation can stop it. Finite attempts, so
      // a regression fails this test instead of retrying forever.
      const retry = new LifecycleRetry({ maxAttempts: 20 });
      let taskSignal!: AbortSignal;
      const fn = jest.fn(({ signal }: LifecycleRetryContext) => {
        expect(signal.aborted).toBe(false);
        return Promise.reject(new Error('unavailable'));
      });
      const task = coordinator.createTask(
        (ctx) => {
          taskSignal = ctx.signal;
          return retry.execute(fn);
        },
        { name: 'sync' },
      );
      const outcome = settle(Promise.resolve(task));
      await jest.advanceTimersByTimeAsync(1_000);
      const attempts = fn.mock.calls.length;
      expect(attempts).toBeGreaterThan(1);
      expect(listeners(taskSignal)).toBe(1);

      const cancelled = task.cancel();
      expect(jest.getTimerCount()).toBe(0);
      await cancelled;
      const { error } = await outcome;
      expect(isCancellation(error)).toBe(true);
      expect(error).toBe(taskSignal.reason);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(fn).toHaveBeenCalledTimes(attempts);
      expect(listeners(taskSignal)).toBe(0);
    });

    it("stops when bound to the coordinator's shutdownSignal and shutdown begins", async () => {
      const retry = new LifecycleRetry({ maxAttempts: 20, signal: coordinator.shutdownSignal });
      const { fn } = failing(Infinity, 'never');
      const outcome = settle(retry.execute(fn));
      await jest.advanceTimersByTimeAsync(500);
      const attempts = fn.mock.calls.length;
      expect(listeners(coordinator.shutdownSignal)).toBe(1);
      const stopped = coordinator.shutdown({ reason: 'SIGTERM' });
      const { error } = await outcome;
      expect(isCancellation(error)).toBe(true);
      expect(error).toBe(coordinator.shutdownSignal.reason);
      expect(fn).toHaveBeenCalledTimes(attempts);
      expect(listeners(coordinator.shutdownSignal)).toBe(0);
      await jest.runAllTimersAsync();
      await stopped;
    });
  });

  describe.each(hostileValues)('with a failure that is %s', (_label, make) => {
    it('retries it, then rejects with that very value; the onFailure event carries it', async () => {
      const value = make();
      const retry = new LifecycleRetry({ maxAttempts: 2, signal: shutdown.signal });
      const reasons: unknown[] = [];
      retry.onFailure((event) =>
        reasons.push('error' in event.reason ? event.reason.error : event),
      );
      const fn = jest.fn(() => Promise.reject(value));
      const outcome = settle(retry.execute(fn));
      await jest.advanceTimersByTimeAsync(10_000);
      const { error } = await outcome;
      expectSame(error, value);
      expect(fn).toHaveBeenCalledTimes(2);
      expect(reasons).toHaveLength(2);
      expectSame(reasons[1], value);
    });

    it('does not retry it when handle throws, and rejects with that very value', async () => {
      const value = make();
      const retry = new LifecycleRetry({
        maxAttempts: 3,
        handle: () => {
          throw new TypeError('handle could not classify the error');
        },
        signal: shutdown.signal,
      });
      const fn = jest.fn(() => Promise.reject(value));
      const { error } = await settle(retry.execute(fn));
      expectSame(error, value);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
