import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { shieldedWaitFor } from '../../../lib/primitives/shielded-wait-for.js';
import { deferred, flushMicrotasks } from '../../support/deferred.js';
import { expectNoTimers } from '../../support/leak-checks.js';

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

  it('rejects a bad timeout', () => {
    expect(() => shieldedWaitFor(Promise.resolve(), -1)).toThrow('Invalid option timeoutMs = -1');
  });
});
