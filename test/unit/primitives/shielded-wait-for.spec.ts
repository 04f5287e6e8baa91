import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { shieldedWaitFor } from '../../../lib/primitives/shielded-wait-for.js';
import { deferred, flushMicrotasks } from '../../support/deferred.js';
import { expectNoTimers } from '../../support/leak-checks.js';
import { expectSame, hostileValues, settledState } from './support/hostile-values.js';

describe('shieldedWaitFor', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  it('resolves and rejects with the work, clearing its timer', async () => {
    await expect(shieldedWaitFor(Promise.resolve('done'), 100)).resolves.toBe('done');
    await expect(shieldedWaitFor(Promise.reject(new Error('no')), 100)).rejects.toThrow('no');
    expectNoTimers();
  });

  it('stops waiting after the timeout without cancelling the work, and observes its later failure', async () => {
    const work = deferred<string>();
    const waiting = shieldedWaitFor(work.promise, 100);
    const assertion = expect(waiting).rejects.toMatchObject({
      isTimeoutError: true,
      message: 'shieldedWaitFor timed out after 100 ms',
    });
    await jest.advanceTimersByTimeAsync(100);
    await assertion;
    expect(work.settled).toBe(false);
    work.reject(new Error('failed later'));
    await flushMicrotasks();
    expectNoTimers();
  });

  it.each([
    [NaN, 'Invalid option timeoutMs = NaN'],
    [-1, 'Invalid option timeoutMs = -1'],
    [Infinity, 'Invalid option timeoutMs = Infinity'],
    [2 ** 31, 'Invalid option timeoutMs = 2147483648'],
    ['100', 'Invalid option timeoutMs = "100"'],
    [undefined, 'Invalid option timeoutMs = undefined: expected a number of milliseconds'],
  ])(
    'rejects timeoutMs = %p with a rejected promise, not a throw, and still observes the work',
    async (timeoutMs, message) => {
      const work = deferred();
      let waiting: Promise<unknown> | undefined;
      expect(() => {
        waiting = shieldedWaitFor(work.promise, timeoutMs as number);
      }).not.toThrow();
      await expect(waiting).rejects.toThrow(message);
      work.reject(new Error('the flush failed later'));
      await flushMicrotasks();
      expectNoTimers();
    },
  );

  it('accepts a thenable that is not a promise', async () => {
    const thenable: PromiseLike<number> = { then: (resolve) => Promise.resolve(7).then(resolve) };
    await expect(shieldedWaitFor(thenable, 100)).resolves.toBe(7);
    expectNoTimers();
  });

  describe.each(hostileValues)('with a rejection that is %s', (_label, make) => {
    it('rejects with that very value, and observes it after a timeout too', async () => {
      const value = make();
      const outcome = await settledState(shieldedWaitFor(Promise.reject(value), 100));
      expect(outcome.state).toBe('rejected');
      expectSame((outcome as { reason: unknown }).reason, value);
      const late = deferred();
      const waiting = shieldedWaitFor(late.promise, 100);
      const assertion = expect(waiting).rejects.toMatchObject({ isTimeoutError: true });
      await jest.advanceTimersByTimeAsync(100);
      await assertion;
      late.reject(make());
      await flushMicrotasks();
      expectNoTimers();
    });
  });
});
