import { describe, expect, it } from '@jest/globals';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import { resolveScheduleIntakeOptions } from '../../../../lib/intake/schedule/schedule-intake.options.js';

describe('resolveScheduleIntakeOptions', () => {
  it('is on by default, at HIGH priority; false turns it off', () => {
    expect(resolveScheduleIntakeOptions(undefined)).toEqual({ priority: TaskPriority.HIGH });
    expect(resolveScheduleIntakeOptions(true)).toEqual({ priority: TaskPriority.HIGH });
    expect(resolveScheduleIntakeOptions({})).toEqual({ priority: TaskPriority.HIGH });
    expect(resolveScheduleIntakeOptions(false)).toBeUndefined();
  });

  it('keeps the priority given', () => {
    expect(resolveScheduleIntakeOptions({ priority: TaskPriority.LOWEST })).toEqual({
      priority: TaskPriority.LOWEST,
    });
  });

  it.each([
    ['on', 'Invalid option schedule = "on": expected a boolean or an object'],
    [null, 'Invalid option schedule = null: expected a boolean or an object'],
    [{ priority: 'HIGH' }, 'Invalid option schedule.priority = "HIGH": expected a TaskPriority'],
    [{ prio: 1 }, 'Unknown option schedule.prio = 1; known options are: priority'],
  ])('rejects %j naming the option and the value', (value, message) => {
    expect(() => resolveScheduleIntakeOptions(value)).toThrow(message);
  });
});
