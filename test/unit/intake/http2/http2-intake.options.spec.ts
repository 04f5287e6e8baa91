import { describe, expect, it } from '@jest/globals';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import { resolveHttp2IntakeOptions } from '../../../../lib/intake/http2/http2-intake.options.js';

describe('resolveHttp2IntakeOptions', () => {
  it('is on by default: HIGH priority, /health left alone, GOAWAY spread over 1 s', () => {
    const defaults = {
      priority: TaskPriority.HIGH,
      requestTimeoutMs: undefined,
      exclude: ['/health'],
      spreadMs: 1000,
    };
    expect(resolveHttp2IntakeOptions(undefined)).toEqual(defaults);
    expect(resolveHttp2IntakeOptions(true)).toEqual(defaults);
    expect(resolveHttp2IntakeOptions(false)).toBeUndefined();
  });

  it('keeps what is given', () => {
    expect(
      resolveHttp2IntakeOptions({
        priority: TaskPriority.CRITICAL,
        requestTimeoutMs: 2_000,
        exclude: ['/metrics'],
        spreadMs: 0,
      }),
    ).toEqual({
      priority: TaskPriority.CRITICAL,
      requestTimeoutMs: 2_000,
      exclude: ['/metrics'],
      spreadMs: 0,
    });
  });

  it.each([
    ['yes', 'Invalid option http2 = "yes": expected a boolean or an object'],
    [{ priority: 7 }, 'Invalid option http2.priority = 7: expected a TaskPriority'],
    [
      { goaway: 1 },
      'Unknown option http2.goaway = 1; known options are: priority, requestTimeoutMs, exclude, spreadMs',
    ],
    [{ requestTimeoutMs: -5 }, 'Invalid option http2.requestTimeoutMs = -5'],
    [{ spreadMs: Infinity }, 'Invalid option http2.spreadMs = Infinity'],
    [
      { exclude: ['health'] },
      `Invalid option http2.exclude = ["health"]: expected an array of paths starting with '/'`,
    ],
  ])('rejects %j naming the option and the value', (value, message) => {
    expect(() => resolveHttp2IntakeOptions(value)).toThrow(message);
  });
});
