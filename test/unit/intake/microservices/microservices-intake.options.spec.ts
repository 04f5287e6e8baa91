import { describe, expect, it } from '@jest/globals';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import { resolveMicroservicesIntakeOptions } from '../../../../lib/intake/microservices/microservices-intake.options.js';

describe('resolveMicroservicesIntakeOptions', () => {
  it('is on by default, at HIGH priority like HTTP requests', () => {
    expect(resolveMicroservicesIntakeOptions(undefined)).toEqual({ priority: TaskPriority.HIGH });
    expect(resolveMicroservicesIntakeOptions(true)).toEqual({ priority: TaskPriority.HIGH });
    expect(resolveMicroservicesIntakeOptions(false)).toBeUndefined();
  });

  it('keeps the priority given', () => {
    expect(resolveMicroservicesIntakeOptions({ priority: TaskPriority.CRITICAL })).toEqual({
      priority: TaskPriority.CRITICAL,
    });
  });

  it.each([
    ['on', 'Invalid option microservices = "on": expected a boolean or an object'],
    [{ priority: 9 }, 'Invalid option microservices.priority = 9: expected a TaskPriority'],
    [
      { transports: ['tcp'] },
      'Unknown option microservices.transports = ["tcp"]; known options are: priority',
    ],
  ])('rejects %j naming the option and the value', (value, message) => {
    expect(() => resolveMicroservicesIntakeOptions(value)).toThrow(message);
  });
});
