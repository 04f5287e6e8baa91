import { describe, expect, it } from '@jest/globals';
import { resolveSseIntakeOptions } from '../../../../lib/intake/sse/sse-intake.options.js';

describe('resolveSseIntakeOptions', () => {
  it('defaults to a 1 s retry hint and a 1 s spread', () => {
    expect(resolveSseIntakeOptions(undefined)).toEqual({ retryMs: 1000, spreadMs: 1000 });
    expect(resolveSseIntakeOptions(true)).toEqual({ retryMs: 1000, spreadMs: 1000 });
  });

  it('keeps what is given', () => {
    expect(resolveSseIntakeOptions({ retryMs: 3000, spreadMs: 0 })).toEqual({
      retryMs: 3000,
      spreadMs: 0,
    });
  });

  it.each([
    [false, 'Invalid option sse = false: expected true or an object { retryMs, spreadMs }'],
    ['yes', 'Invalid option sse = "yes"'],
    [{ retryMs: -1 }, 'Invalid option sse.retryMs = -1'],
    [{ spreadMs: '1s' }, 'Invalid option sse.spreadMs = "1s"'],
    [{ retry: 1 }, 'Unknown option sse.retry = 1; known options are: retryMs, spreadMs'],
  ])('rejects %j naming the option and the value', (value, message) => {
    expect(() => resolveSseIntakeOptions(value)).toThrow(message);
  });
});
