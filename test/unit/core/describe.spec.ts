import { describe, expect, it } from '@jest/globals';
import { describeError, describeValue, safeText, stackOf } from '../../../lib/core/describe.js';

function hostileValues(): [string, unknown][] {
  const throwingMessage = Object.defineProperty(new Error('x'), 'message', {
    get() {
      throw new Error('getter');
    },
  });
  const throwingToString = {
    toString() {
      throw new Error('toString');
    },
  };
  const trapAll = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
    },
  );
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const cycle: { message: string; cause?: unknown } = { message: 'loop' };
  cycle.cause = cycle;
  const nonString = { toString: () => 42 as unknown as string };
  return [
    ['a throwing message getter', throwingMessage],
    ['a throwing toString', throwingToString],
    ['a Proxy whose traps throw', trapAll],
    ['a revoked Proxy', revoked],
    ['a cause cycle', cycle],
    ['a toString returning a non-string', nonString],
    ['a symbol', Symbol('s')],
    ['an object without prototype', Object.create(null) as object],
    ['undefined', undefined],
  ];
}

describe('describeError', () => {
  it.each(hostileValues())('describes %s without throwing', (_label, value) => {
    const text = describeError(value);
    expect(typeof text).toBe('string');
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThanOrEqual(500);
  });

  it('names the error and follows its causes, stopping at a cycle', () => {
    expect(describeError(new TypeError('bad', { cause: new Error('root') }))).toBe(
      'TypeError: bad ← caused by Error: root',
    );
    const cycle: { message: string; cause?: unknown } = { message: 'loop' };
    cycle.cause = cycle;
    expect(describeError(cycle)).toBe('loop');
  });

  it('escapes control characters so that a message cannot forge log lines', () => {
    expect(describeError(new Error('a\nINFO forged\u001b[31m'))).toBe(
      'Error: a\\nINFO forged\\u001b[31m',
    );
  });

  it('shows the kind of an object that has no message', () => {
    expect(describeError({ code: 1 })).toBe('[object Object]');
    expect(describeError(42)).toBe('42');
  });
});

describe('safeText, stackOf and describeValue', () => {
  it('cuts long text', () => {
    expect(safeText('x'.repeat(1000), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('reads a stack only when it is a readable string', () => {
    expect(stackOf(new Error('x'))).toContain('Error: x');
    expect(stackOf(hostileValues()[2][1])).toBeUndefined();
    expect(stackOf('plain')).toBeUndefined();
  });

  it.each(hostileValues())('renders %s as an option value without throwing', (_label, value) => {
    expect(typeof describeValue(value)).toBe('string');
  });

  it('shows functions inside an option object', () => {
    expect(describeValue({ log: function log() {} })).toBe('{"log":"[function log]"}');
  });
});
