import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DeadlineRun, type CallbackResult } from '../../../lib/core/deadline-run.js';
import { TimeoutError } from '../../../lib/core/timeout.error.js';
import { deferred, flushMicrotasks } from '../../support/deferred.js';
import { expectNoTimers } from '../../support/leak-checks.js';
import {
  expectSame,
  hostileValues,
  revokedProxy,
  throwingProxy,
} from '../primitives/support/hostile-values.js';

function recorder(timeoutMs = 100): {
  run: DeadlineRun;
  done: CallbackResult[];
  late: unknown[];
} {
  const done: CallbackResult[] = [];
  const late: unknown[] = [];
  const run = new DeadlineRun({
    timeoutMs,
    what: 'cleanup of test',
    onDone: (result) => done.push(result),
    onLateFailure: (error) => late.push(error),
  });
  return { run, done, late };
}

/** A real promise whose `constructor` getter throws: `Promise.resolve()` and `then` throw. */
function promiseWithHostileConstructor<T>(promise: Promise<T>): Promise<T> {
  return Object.defineProperty(promise, 'constructor', {
    get() {
      throw new Error('hostile constructor');
    },
  });
}

describe('DeadlineRun', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  it.each([
    ['a Proxy whose traps throw', throwingProxy],
    ['a revoked Proxy', revokedProxy],
  ])(
    'never throws when the callback returns %s: it failed, as awaiting that value would',
    async (_label, make) => {
      const { run, done } = recorder();
      expect(() => run.start(() => make())).not.toThrow();
      await flushMicrotasks();
      expect(done).toHaveLength(1);
      expect(done[0].outcome).toBe('failed');
      expect(done[0].error).toBeInstanceOf(Error);
      expectNoTimers();
    },
  );

  it('never throws when the callback returns a promise whose constructor getter throws', async () => {
    const { run, done } = recorder();
    // Left pending: no handler can ever be attached to such a promise (every way reads it).
    const work = deferred();
    expect(() => run.start(() => promiseWithHostileConstructor(work.promise))).not.toThrow();
    await flushMicrotasks();
    expect(done).toEqual([
      {
        outcome: 'failed',
        durationMs: expect.any(Number),
        error: new Error('hostile constructor'),
      },
    ]);
    expectNoTimers();
  });

  it('still observes the promise of a callback that expired its own run before returning', async () => {
    const { run, done, late } = recorder();
    const work = deferred();
    const failure = new Error('failed after the deadline');
    run.start(() => {
      run.expire();
      return work.promise;
    });
    expect(done.map((result) => result.outcome)).toEqual(['timeout']);
    work.reject(failure);
    await flushMicrotasks();
    expect(late).toEqual([failure]);
    expectNoTimers();
  });

  it.each(hostileValues)(
    'hands a late rejection with %s to onLateFailure, never unhandled',
    async (_label, make) => {
      const { run, done, late } = recorder(50);
      const work = deferred();
      run.start(() => work.promise);
      await jest.advanceTimersByTimeAsync(50);
      expect(done.map((result) => result.outcome)).toEqual(['timeout']);
      const value = make();
      work.reject(value);
      await flushMicrotasks();
      expect(late).toHaveLength(1);
      expectSame(late[0], value);
    },
  );

  it.each(hostileValues)(
    'reports a callback throwing %s as failed with that value',
    (_label, make) => {
      const { run, done } = recorder();
      const value = make();
      run.start(() => {
        throw value;
      });
      expect(done).toHaveLength(1);
      expect(done[0].outcome).toBe('failed');
      expectSame(done[0].error, value);
    },
  );
});

/** Blocks the event loop for `ms` of real time, as a synchronous loop in user code does. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy: nothing else runs, the deadline's timer included.
  }
}

describe('DeadlineRun — a callback that blocks the event loop past its deadline', () => {
  // Real time: the point is a callback that returns, sync or async, 10× after its deadline,
  // before the deadline's timer could run.
  it.each([
    ['synchronously', () => blockEventLoop(50)],
    [
      'from an async continuation',
      async () => {
        await Promise.resolve();
        blockEventLoop(50);
      },
    ],
  ])('is over budget when it returns %s: timeout, not ok', async (_label, callback) => {
    const done = deferred<CallbackResult>();
    new DeadlineRun({
      timeoutMs: 5,
      what: 'shutdown hook "busy"',
      onDone: (result) => done.resolve(result),
    }).start(callback);
    const result = await done.promise;
    expect(result.outcome).toBe('timeout');
    expect(result.durationMs).toBeGreaterThanOrEqual(50);
    expect(result.error).toBeInstanceOf(TimeoutError);
    expect((result.error as Error).message).toMatch(
      /^shutdown hook "busy", which returned after \d+ ms, timed out after 5 ms$/,
    );
  });

  it('blames only the callback that blocked: a sibling started beside it that had finished stays ok', async () => {
    const quick = deferred<CallbackResult>();
    const busy = deferred<CallbackResult>();
    const run = (what: string, into: typeof quick) =>
      new DeadlineRun({ timeoutMs: 25, what, onDone: (result) => into.resolve(result) });
    // As a wave starts its hooks: the first returns a settled promise, whose reaction can only
    // run once the second, started right after it, has stopped blocking the event loop.
    run('shutdown hook "quick"', quick).start(() => Promise.resolve());
    run('shutdown hook "busy"', busy).start(() => blockEventLoop(150));
    const [quickResult, busyResult] = await Promise.all([quick.promise, busy.promise]);
    expect(busyResult.outcome).toBe('timeout');
    expect(quickResult.outcome).toBe('ok');
    expect(quickResult.durationMs).toBeGreaterThanOrEqual(150);
  });

  it('is ok when it returns within its deadline', async () => {
    const done = deferred<CallbackResult>();
    new DeadlineRun({
      timeoutMs: 1000,
      what: 'shutdown hook "quick"',
      onDone: (result) => done.resolve(result),
    }).start(() => blockEventLoop(5));
    expect((await done.promise).outcome).toBe('ok');
  });
});
