import { describe, expect, it } from '@jest/globals';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import { resolveHttpIntakeOptions } from '../../../../lib/intake/http/http-intake.options.js';

describe('resolveHttpIntakeOptions', () => {
  it('is on by default: HIGH priority, /health left alone, no request timeout', () => {
    const defaults = {
      priority: TaskPriority.HIGH,
      requestTimeoutMs: undefined,
      exclude: ['/health'],
      handoverMs: 500,
    };
    expect(resolveHttpIntakeOptions(undefined)).toEqual(defaults);
    expect(resolveHttpIntakeOptions(true)).toEqual(defaults);
    expect(resolveHttpIntakeOptions(false)).toBeUndefined();
  });

  it('keeps what is given', () => {
    expect(
      resolveHttpIntakeOptions({
        priority: TaskPriority.CRITICAL,
        requestTimeoutMs: 2_000,
        exclude: ['/metrics'],
        handoverMs: 2_000,
      }),
    ).toEqual({
      priority: TaskPriority.CRITICAL,
      requestTimeoutMs: 2_000,
      exclude: ['/metrics'],
      handoverMs: 2_000,
    });
    expect(resolveHttpIntakeOptions({ handoverMs: 0 })?.handoverMs).toBe(0);
  });

  it.each([
    ['yes', 'Invalid option http = "yes": expected a boolean or an object'],
    [{ priority: 7 }, 'Invalid option http.priority = 7: expected a TaskPriority'],
    [
      { timeout: 1 },
      'Unknown option http.timeout = 1; known options are: priority, requestTimeoutMs, exclude, handoverMs',
    ],
    [{ handoverMs: -1 }, 'Invalid option http.handoverMs = -1'],
    [{ handoverMs: '500' }, 'Invalid option http.handoverMs = "500"'],
    [{ requestTimeoutMs: -5 }, 'Invalid option http.requestTimeoutMs = -5'],
    [
      { exclude: ['health'] },
      `Invalid option http.exclude = ["health"]: expected an array of paths starting with '/'`,
    ],
  ])('rejects %j naming the option and the value', (value, message) => {
    expect(() => resolveHttpIntakeOptions(value)).toThrow(message);
  });
});
