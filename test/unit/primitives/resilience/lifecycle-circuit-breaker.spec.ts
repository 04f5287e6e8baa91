import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  IsolatedCircuitError,
  isBrokenCircuitError,
  wrap,
  type IDefaultPolicyContext,
} from 'cockatiel';
import { getEventListeners } from 'node:events';
import { CancelledError } from '../../../../lib/core/cancelled.error.js';
import { isCancellation } from '../../../../lib/core/cancellation.js';
import { InvalidLifecycleOptionError } from '../../../../lib/core/invalid-option.error.js';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { TimeoutError } from '../../../../lib/core/timeout.error.js';
import { LifecycleCircuitBreaker } from '../../../../lib/primitives/resilience/lifecycle-circuit-breaker.js';
import { LifecycleRetry } from '../../../../lib/primitives/resilience/lifecycle-retry.js';
import { deferred, flushMicrotasks, untilAborted } from '../../../support/deferred.js';
import { expectSame, hostileValues } from '../support/hostile-values.js';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;
const fail = (message = 'unavailable') => Promise.reject(new Error(message));

function settle(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

describe('LifecycleCircuitBreaker', () => {
  let shutdown: AbortController;
  let breaker: LifecycleCircuitBreaker;

  /** Fails `n` calls through the breaker. */
  async function failTimes(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await breaker.execute(() => fail()).catch(() => undefined);
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    shutdown = new AbortController();
    breaker = new LifecycleCircuitBreaker({
      name: 'payments',
      consecutiveFailures: 3,
      halfOpenAfterMs: 1_000,
      signal: shutdown.signal,
    });
  });

  afterEach(() => {
    // Nothing may stay on the long-lived signal, whatever the test did.
    expect(listeners(shutdown.signal)).toBe(0);
  });

  describe('closed, open, half-open', () => {
    it('passes results and errors through while closed', async () => {
      expect(breaker.state).toBe('closed');
      await expect(breaker.execute(() => 'ok')).resolves.toBe('ok');
      await expect(breaker.execute(() => fail('ko'))).rejects.toThrow('ko');
      expect(breaker.state).toBe('closed');
    });

    it('opens after consecutiveFailures failures in a row, and a success resets the count', async () => {
      await failTimes(2);
      await breaker.execute(() => 'ok');
      await failTimes(2);
      expect(breaker.state).toBe('closed');
      await failTimes(1);
      expect(breaker.state).toBe('open');
    });

    it('refuses calls while open with a BrokenCircuitError naming the breaker', async () => {
      await failTimes(3);
      const fn = jest.fn(() => 'ok');
      const { error } = await settle(breaker.execute(fn));
      expect(fn).not.toHaveBeenCalled();
      expect(error).toBeInstanceOf(BrokenCircuitError);
      expect(isBrokenCircuitError(error)).toBe(true);
      expect((error as Error).message).toBe(
        'Circuit breaker "payments" is open: calls are refused until it lets a trial call ' +
          'through, 1000 ms after it opened',
      );
    });

    it('leaves the refusal of a breaker nested inside the call as it is', async () => {
      const inner = new LifecycleCircuitBreaker({ name: 'ledger', consecutiveFailures: 1 });
      await inner.execute(() => fail()).catch(() => undefined);
      const { error } = await settle(breaker.execute(() => inner.execute(() => 'ok')));
      expect((error as Error).message).toMatch(/^Circuit breaker "ledger" is open/);
    });

    it('half-opens after halfOpenAfterMs and closes when the trial call succeeds', async () => {
      await failTimes(3);
      await jest.advanceTimersByTimeAsync(999);
      await expect(breaker.execute(() => 'early')).rejects.toThrow(BrokenCircuitError);
      await jest.advanceTimersByTimeAsync(1);
      expect(breaker.state).toBe('open'); // cockatiel half-opens lazily, on the next call
      const trial = deferred<string>();
      const done = breaker.execute(() => trial.promise);
      expect(breaker.state).toBe('half-open');
      trial.resolve('recovered');
      await expect(done).resolves.toBe('recovered');
      expect(breaker.state).toBe('closed');
    });

    it('opens again when the trial call fails', async () => {
      await failTimes(3);
      await jest.advanceTimersByTimeAsync(1_000);
      await expect(breaker.execute(() => fail('still down'))).rejects.toThrow('still down');
      expect(breaker.state).toBe('open');
      await expect(breaker.execute(() => 'ok')).rejects.toThrow(BrokenCircuitError);
    });

    it('counts only the errors handle() accepts', async () => {
      breaker = new LifecycleCircuitBreaker({
        name: 'search',
        consecutiveFailures: 1,
        handle: (error) => (error as Error).message !== 'not found',
      });
      await expect(breaker.execute(() => fail('not found'))).rejects.toThrow('not found');
      expect(breaker.state).toBe('closed');
      await expect(breaker.execute(() => fail('timeout'))).rejects.toThrow('timeout');
      expect(breaker.state).toBe('open');
    });

    it('accepts another cockatiel breaker, and shows an isolated circuit', async () => {
      breaker = new LifecycleCircuitBreaker({ name: 'mail', breaker: new ConsecutiveBreaker(1) });
      await failTimes(1);
      expect(breaker.state).toBe('open');
      const other = new LifecycleCircuitBreaker({ name: 'sms' });
      const handle = other.policy.isolate();
      expect(other.state).toBe('isolated');
      await expect(other.execute(() => 'ok')).rejects.toThrow(IsolatedCircuitError);
      handle.dispose();
      expect(other.state).toBe('closed');
    });

    it('rejects bad options with the option named', () => {
      expect(() => new LifecycleCircuitBreaker({ name: '' })).toThrow(InvalidLifecycleOptionError);
      expect(() => new LifecycleCircuitBreaker({ name: 'x', consecutiveFailures: 0 })).toThrow(
        /consecutiveFailures = 0/,
      );
      expect(() => new LifecycleCircuitBreaker({ name: 'x', halfOpenAfterMs: -5 })).toThrow(
        /halfOpenAfterMs = -5/,
      );
    });
  });

  describe('cancellation', () => {
    it('does not count cancellations as failures, nor as successes', async () => {
      for (let i = 0; i < 10; i++) {
        await expect(breaker.execute(() => Promise.reject(new CancelledError()))).rejects.toThrow(
          CancelledError,
        );
      }
      expect(breaker.state).toBe('closed');
      // Two real failures before, two after: the cancellations in between reset nothing.
      await failTimes(2);
      await breaker
        .execute(() => Promise.reject(new DOMException('aborted', 'AbortError')))
        .catch(() => undefined);
      expect(breaker.state).toBe('closed');
      await failTimes(1);
      expect(breaker.state).toBe('open');
    });

    it('passes a shutdown during a call to its signal and rejects with the reason, uncounted', async () => {
      breaker = new LifecycleCircuitBreaker({
        name: 'payments',
        consecutiveFailures: 1,
        signal: shutdown.signal,
      });
      let seen: AbortSignal | undefined;
      const pending = deferred<string>();
      const done = settle(
        breaker.execute(({ signal }) => {
          seen = signal;
          return pending.promise;
        }),
      );
      await flushMicrotasks();
      const reason = new CancelledError('shutting down');
      shutdown.abort(reason);
      expect(seen?.aborted).toBe(true);
      expect(seen?.reason).toBe(reason);
      // The call fails with something else as it stops: the abort still wins.
      pending.reject(new Error('socket closed'));
      const { error } = await done;
      expect(error).toBe(reason);
      expect(isCancellation(error)).toBe(true);
      expect(breaker.state).toBe('closed');
    });

    it('rejects at once, without calling fn or counting, when shutdown began before the call', async () => {
      const reason = new CancelledError('shutting down');
      shutdown.abort(reason);
      const fn = jest.fn(() => 'never');
      for (let i = 0; i < 5; i++) await expect(breaker.execute(fn)).rejects.toBe(reason);
      expect(fn).not.toHaveBeenCalled();
      expect(breaker.state).toBe('closed');
    });

    it("turns cockatiel's TaskCancelledError, for a caller waiting on a trial call, into the reason", async () => {
      await failTimes(3);
      await jest.advanceTimersByTimeAsync(1_000);
      const trial = deferred<string>();
      const first = breaker.execute(() => trial.promise);
      const caller = new AbortController();
      const fn = jest.fn(() => 'second');
      const second = settle(breaker.execute(fn, caller.signal));
      await flushMicrotasks();
      caller.abort(new CancelledError('client went away'));
      trial.resolve('ok');
      await expect(first).resolves.toBe('ok');
      const { error } = await second;
      expect(error).toBe(caller.signal.reason);
      expect(fn).not.toHaveBeenCalled();
      expect(listeners(caller.signal)).toBe(0);
    });

    it('counts a per-call timeout: a timeout reason is a failure, not a cancellation', async () => {
      breaker = new LifecycleCircuitBreaker({ name: 'slow', consecutiveFailures: 1 });
      const caller = new AbortController();
      const done = settle(breaker.execute(({ signal }) => untilAborted(signal), caller.signal));
      await flushMicrotasks();
      const timeout = new TimeoutError(2_000, 'The quote call');
      caller.abort(timeout);
      expect(await done).toEqual({ error: timeout });
      expect(breaker.state).toBe('open');
    });

    it("follows the managed task it runs in: the task's cancellation aborts the call", async () => {
      const coordinator = new LifecycleCoordinator({ logger: false });
      let taskSignal!: AbortSignal;
      const task = coordinator.createTask(
        (ctx) => {
          taskSignal = ctx.signal;
          return breaker.execute(({ signal }) => untilAborted(signal));
        },
        { name: 'charge' },
      );
      const outcome = settle(Promise.resolve(task));
      await flushMicrotasks();
      expect(listeners(taskSignal)).toBe(1);
      await task.cancel();
      const { error } = await outcome;
      expect(error).toBe(taskSignal.reason);
      expect(isCancellation(error)).toBe(true);
      expect(breaker.state).toBe('closed');
      expect(listeners(taskSignal)).toBe(0);
      const stopped = coordinator.shutdown();
      await jest.runAllTimersAsync();
      await stopped;
    });

    it('leaves no listener on the long-lived signals after success, failure, refusal and cancellation', async () => {
      const caller = new AbortController();
      await breaker.execute(() => 'ok', caller.signal);
      for (let i = 0; i < 3; i++)
        await breaker.execute(() => fail(), caller.signal).catch(() => {});
      await breaker.execute(() => 'refused', caller.signal).catch(() => {});
      await jest.advanceTimersByTimeAsync(1_000);
      await breaker
        .execute(() => Promise.reject(new CancelledError()), caller.signal)
        .catch(() => {});
      expect(listeners(shutdown.signal)).toBe(0);
      expect(listeners(caller.signal)).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('composition', () => {
    it('composes with cockatiel wrap(): retry outside, every attempt through the breaker', async () => {
      const retry = new LifecycleRetry({
        maxAttempts: 10,
        handle: (error) => !isBrokenCircuitError(error),
        signal: shutdown.signal,
      });
      const fn = jest.fn((_: IDefaultPolicyContext) => fail());
      const done = settle(wrap(retry, breaker).execute(fn));
      await jest.advanceTimersByTimeAsync(60_000);
      const { error } = await done;
      // Three attempts open the breaker; the fourth is refused and not retried.
      expect(fn).toHaveBeenCalledTimes(3);
      expect(isBrokenCircuitError(error)).toBe(true);
      expect(breaker.state).toBe('open');
    });
  });

  describe.each(hostileValues)('with a failure that is %s', (_label, make) => {
    it('rejects with that very value and counts it as a failure', async () => {
      for (let i = 0; i < 3; i++) {
        const value = make();
        const { error } = await settle(breaker.execute(() => Promise.reject(value)));
        expectSame(error, value);
      }
      expect(breaker.state).toBe('open');
    });

    it('when handle throws, rejects with that very value and does not count it', async () => {
      const picky = new LifecycleCircuitBreaker({
        name: 'picky',
        consecutiveFailures: 1,
        handle: () => {
          throw new TypeError('handle could not classify the error');
        },
        signal: shutdown.signal,
      });
      const value = make();
      const { error } = await settle(picky.execute(() => Promise.reject(value)));
      expectSame(error, value);
      expect(picky.state).toBe('closed');
    });
  });
});
