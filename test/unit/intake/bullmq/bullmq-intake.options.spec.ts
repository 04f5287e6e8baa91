import { describe, expect, it } from '@jest/globals';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import { resolveBullmqIntakeOptions } from '../../../../lib/intake/bullmq/bullmq-intake.options.js';

describe('resolveBullmqIntakeOptions', () => {
  it('is on by default at HIGH priority, off with false', () => {
    expect(resolveBullmqIntakeOptions(undefined)).toEqual({ priority: TaskPriority.HIGH });
    expect(resolveBullmqIntakeOptions(true)).toEqual({ priority: TaskPriority.HIGH });
    expect(resolveBullmqIntakeOptions({})).toEqual({ priority: TaskPriority.HIGH });
    expect(resolveBullmqIntakeOptions(false)).toBeUndefined();
  });

  it('keeps the priority given', () => {
    expect(resolveBullmqIntakeOptions({ priority: TaskPriority.LOW })).toEqual({
      priority: TaskPriority.LOW,
    });
  });

  it.each([
    ['yes', 'Invalid option bullmq = "yes": expected a boolean or an object'],
    [null, 'Invalid option bullmq = null: expected a boolean or an object'],
    [{ priority: 9 }, 'Invalid option bullmq.priority = 9: expected a TaskPriority'],
    [{ concurrency: 2 }, 'Unknown option bullmq.concurrency = 2; known options are: priority'],
  ])('rejects %j naming the option and the value', (value, message) => {
    expect(() => resolveBullmqIntakeOptions(value)).toThrow(message);
  });
});
