import { describe, expect, it, jest } from '@jest/globals';
import { isCancellation } from '../../../lib/core/cancellation.js';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { asyncOnce } from '../../../lib/primitives/async-once.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';

/** Lets a macrotask pass: an unhandled rejection surfaces (and fails the test) by then. */
const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('asyncOnce', () => {
  it('runs nothing until the first call', () => {
    const init = jest.fn(async () => 'pool');
    asyncOnce(init);
    expect(init).not.toHaveBeenCalled();
  });

  it('gives three concurrent callers one init and its result', async () => {
    const pool = deferred<{ id: number }>();
    const init = jest.fn(() => pool.promise);
    const connect = asyncOnce(init);

    const calls = [connect(), connect(), connect()];
    expect(init).toHaveBeenCalledTimes(1);
    pool.resolve({ id: 1 });
    const [a, b, c] = await Promise.all(calls);

    expect(a).toEqual({ id: 1 });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(init).toHaveBeenCalledTimes(1);
  });

  it('never re-runs a successful init, however often and late it is called', async () => {
    let created = 0;
    const init = jest.fn(async () => ({ id: ++created }));
    const connect = asyncOnce(init);

    const first = await connect();
    await flushMicrotasks();
    const later = await Promise.all(Array.from({ length: 5 }, () => connect()));

    expect(later.every((value) => value === first)).toBe(true);
    expect(init).toHaveBeenCalledTimes(1);
  });

  it('delivers a failure to every caller of that attempt, then rolls back so the next call re-inits', async () => {
    const attempts = [deferred<string>(), deferred<string>()];
    const init = jest.fn(() => attempts[init.mock.calls.length - 1].promise);
    const connect = asyncOnce(init);

    const failed = [connect(), connect(), connect()];
    const refused = new Error('ECONNREFUSED');
    attempts[0].reject(refused);
    const outcomes = await Promise.allSettled(failed);
    expect(outcomes).toEqual([
      { status: 'rejected', reason: refused },
      { status: 'rejected', reason: refused },
      { status: 'rejected', reason: refused },
    ]);

    const retried = connect();
    expect(init).toHaveBeenCalledTimes(2);
    attempts[1].resolve('pool');
    await expect(retried).resolves.toBe('pool');
    await expect(connect()).resolves.toBe('pool');
    expect(init).toHaveBeenCalledTimes(2);
  });

  it('rolls back before callers see the failure: a retry from the catch block re-inits', async () => {
    const init = jest
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('first try'))
      .mockResolvedValueOnce('second try');
    const connect = asyncOnce(init);

    await expect(connect().catch(() => connect())).resolves.toBe('second try');
    expect(init).toHaveBeenCalledTimes(2);
  });

  it('turns a synchronous throw from init into a rejection, and rolls it back', async () => {
    const broken = new TypeError('config.url is undefined');
    const init = jest
      .fn<() => Promise<string>>()
      .mockImplementationOnce(() => {
        throw broken;
      })
      .mockResolvedValueOnce('pool');
    const connect = asyncOnce(init);

    let call: Promise<string> | undefined;
    expect(() => (call = connect())).not.toThrow();
    await expect(call).rejects.toBe(broken);
    await expect(connect()).resolves.toBe('pool');
    expect(init).toHaveBeenCalledTimes(2);
  });

  it('accepts an init that returns a plain value (plain JavaScript callers)', async () => {
    const init = jest.fn(() => 42 as unknown as Promise<number>);
    const answer = asyncOnce(init);

    const first = answer();
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toBe(42);
    await expect(answer()).resolves.toBe(42);
    expect(init).toHaveBeenCalledTimes(1);
  });

  it('passes a cancellation from outside through to every caller, unchanged, and rolls it back', async () => {
    const controller = new AbortController();
    const init = jest
      .fn<() => Promise<string>>()
      .mockImplementationOnce(() => untilAborted(controller.signal))
      .mockResolvedValueOnce('pool');
    const connect = asyncOnce(init);

    const calls = [connect(), connect()];
    const cancelled = new CancelledError();
    controller.abort(cancelled);
    for (const outcome of await Promise.allSettled(calls)) {
      expect(outcome).toEqual({ status: 'rejected', reason: cancelled });
      expect(isCancellation((outcome as PromiseRejectedResult).reason)).toBe(true);
    }

    await expect(connect()).resolves.toBe('pool');
    expect(init).toHaveBeenCalledTimes(2);
  });

  it('makes late callers of a slow init wait for the same attempt, and leaves no timer behind', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const init = jest.fn(
      () => new Promise<string>((resolve) => setTimeout(() => resolve('warm'), 1000)),
    );
    const warmUp = asyncOnce(init);

    const early = warmUp();
    await jest.advanceTimersByTimeAsync(500);
    const late = warmUp();
    await jest.advanceTimersByTimeAsync(500);

    await expect(Promise.all([early, late])).resolves.toEqual(['warm', 'warm']);
    expect(init).toHaveBeenCalledTimes(1);
    // The global afterEach fails the test if a fake timer is still pending.
  });

  it('leaves no unhandled rejection behind when every caller handles the failure', async () => {
    const init = jest.fn<() => Promise<string>>().mockRejectedValue(new Error('down'));
    const connect = asyncOnce(init);

    const outcomes = await Promise.allSettled([connect(), connect()]);
    await nextMacrotask();

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(init).toHaveBeenCalledTimes(1);
  });
});
