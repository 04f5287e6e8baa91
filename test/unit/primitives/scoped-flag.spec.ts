import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { isCancellation } from '../../../lib/core/cancellation.js';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { isFlagSet, withFlag } from '../../../lib/primitives/scoped-flag.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';

let flagCount = 0;
const usedFlags: string[] = [];

/** A flag name no other test (nor the environment) uses. */
function freshFlag(): string {
  const name = `ASYNC_LIFECYCLE_TEST_FLAG_${process.pid}_${++flagCount}`;
  usedFlags.push(name);
  return name;
}

afterEach(() => {
  for (const name of usedFlags.splice(0)) delete process.env[name];
});

describe('withFlag', () => {
  it('sets the flag while fn runs, clears it after success and passes the result through', async () => {
    const flag = freshFlag();
    const seen = jest.fn(async () => ({ env: process.env[flag], set: isFlagSet(flag) }));

    expect(isFlagSet(flag)).toBe(false);
    await expect(withFlag(flag, seen)).resolves.toEqual({ env: '1', set: true });
    expect(isFlagSet(flag)).toBe(false);
    expect(flag in process.env).toBe(false);
  });

  it('sets the given value', async () => {
    const flag = freshFlag();
    await expect(withFlag(flag, async () => process.env[flag], 'migrating')).resolves.toBe(
      'migrating',
    );
    expect(process.env[flag]).toBeUndefined();
  });

  it('is set from the first synchronous step of fn (other modules read it right away)', async () => {
    const flag = freshFlag();
    const gate = deferred();
    let atStart: string | undefined;
    const running = withFlag(flag, () => {
      atStart = process.env[flag];
      return gate.promise;
    });

    expect(atStart).toBe('1');
    expect(isFlagSet(flag)).toBe(true);
    gate.resolve();
    await running;
    expect(isFlagSet(flag)).toBe(false);
  });

  it('clears the flag after fn rejects, and rejects with the same error', async () => {
    const flag = freshFlag();
    const failure = new Error('migration 42 failed');

    await expect(withFlag(flag, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(isFlagSet(flag)).toBe(false);
  });

  it('clears the flag after fn throws synchronously, and rejects instead of throwing', async () => {
    const flag = freshFlag();
    const failure = new TypeError('not a function');
    const fn = () => {
      throw failure;
    };

    let running: Promise<unknown> | undefined;
    expect(() => (running = withFlag(flag, fn))).not.toThrow();
    await expect(running).rejects.toBe(failure);
    expect(isFlagSet(flag)).toBe(false);
  });

  it('clears the flag when fn is cancelled from outside, and passes the cancellation through', async () => {
    const flag = freshFlag();
    const controller = new AbortController();
    const running = withFlag(flag, () => untilAborted(controller.signal));
    await flushMicrotasks();
    expect(isFlagSet(flag)).toBe(true);

    const cancelled = new CancelledError();
    controller.abort(cancelled);
    const error = await running.catch((e: unknown) => e);

    expect(error).toBe(cancelled);
    expect(isCancellation(error)).toBe(true);
    expect(isFlagSet(flag)).toBe(false);
  });

  it('restores the value that was there before, the empty string included', async () => {
    const flag = freshFlag();
    for (const before of ['production', '', '0']) {
      process.env[flag] = before;
      await withFlag(flag, async () => expect(process.env[flag]).toBe('1'));
      expect(process.env[flag]).toBe(before);
      await withFlag(flag, () => Promise.reject(new Error('x'))).catch(() => undefined);
      expect(process.env[flag]).toBe(before);
    }
  });

  it('keeps the flag set while overlapping calls are inside, until the last one leaves', async () => {
    const flag = freshFlag();
    const first = deferred();
    const second = deferred();
    const outer = withFlag(flag, () => first.promise);
    const inner = withFlag(flag, () => second.promise);

    first.resolve();
    await outer;
    expect(process.env[flag]).toBe('1');
    second.resolve();
    await inner;
    expect(flag in process.env).toBe(false);
  });

  it('keeps the flag set for the others when one overlapping call fails', async () => {
    const flag = freshFlag();
    const long = deferred();
    const failing = deferred();
    const survivor = withFlag(flag, () => long.promise);
    const failed = withFlag(flag, () => failing.promise);

    failing.reject(new Error('boom'));
    await expect(failed).rejects.toThrow('boom');
    expect(isFlagSet(flag)).toBe(true);
    long.resolve();
    await survivor;
    expect(isFlagSet(flag)).toBe(false);
  });

  it('shows the latest value among overlapping calls, and restores the value from before the first one', async () => {
    const flag = freshFlag();
    process.env[flag] = 'from-env';
    const a = deferred();
    const b = deferred();
    const c = deferred();
    const runA = withFlag(flag, () => a.promise, 'a');
    const runB = withFlag(flag, () => b.promise, 'b');
    const runC = withFlag(flag, () => c.promise, 'c');
    expect(process.env[flag]).toBe('c');

    c.resolve();
    await runC;
    expect(process.env[flag]).toBe('b');
    a.resolve();
    await runA;
    expect(process.env[flag]).toBe('b');
    b.resolve();
    await runB;
    expect(process.env[flag]).toBe('from-env');
  });

  it('leaves nothing behind after many overlapping calls settle in any order', async () => {
    const flag = freshFlag();
    const other = freshFlag();
    process.env[other] = 'untouched';
    const before = { ...process.env };
    const gates = Array.from({ length: 50 }, () => deferred());
    const runs = gates.map((gate, i) => withFlag(flag, () => gate.promise, String(i)));

    const order = gates.map((_, i) => (i * 17) % gates.length);
    for (const [step, i] of order.entries()) {
      if (i % 3 === 0) gates[i].reject(new CancelledError());
      else gates[i].resolve();
      await runs[i].catch(() => undefined);
      expect(isFlagSet(flag)).toBe(step < gates.length - 1);
    }

    expect({ ...process.env }).toEqual(before);
    expect(process.env[other]).toBe('untouched');
  });

  it.each([
    ['', '""'],
    ['A=B', '"A=B"'],
    ['A\0B', '"A\\u0000B"'],
  ])(
    'rejects the bad name %j with a TypeError naming it, without running fn',
    async (name, shown) => {
      const fn = jest.fn(async () => 'ran');
      const before = { ...process.env };

      const error = await withFlag(name, fn).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(
        `Invalid flag name ${shown}: expected a non-empty string without "=" or NUL characters`,
      );
      expect(fn).not.toHaveBeenCalled();
      expect({ ...process.env }).toEqual(before);
    },
  );

  it('rejects a value the environment cannot hold, without running fn', async () => {
    const flag = freshFlag();
    const fn = jest.fn(async () => 'ran');

    await expect(withFlag(flag, fn, 'a\0b')).rejects.toThrow(
      new TypeError(
        `Invalid value "a\\u0000b" for flag "${flag}": expected a string without NUL characters`,
      ),
    );
    expect(fn).not.toHaveBeenCalled();
    expect(isFlagSet(flag)).toBe(false);
  });
});

describe('isFlagSet', () => {
  it('is true for a flag set by the environment, whatever its value', () => {
    const flag = freshFlag();
    expect(isFlagSet(flag)).toBe(false);
    process.env[flag] = '';
    expect(isFlagSet(flag)).toBe(true);
    delete process.env[flag];
    expect(isFlagSet(flag)).toBe(false);
  });

  it('throws a TypeError naming a bad name', () => {
    expect(() => isFlagSet('A=B')).toThrow(
      new TypeError(
        'Invalid flag name "A=B": expected a non-empty string without "=" or NUL characters',
      ),
    );
  });
});
