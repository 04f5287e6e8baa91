import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import { checkKeys, checkPriority, isPlainObject } from '../../core/lifecycle-options.validator.js';
import { TaskPriority } from '../../core/task-priority.enum.js';

/**
 * Cron jobs, intervals and timeouts of `@nestjs/schedule` (module option `schedule`): stopped
 * at the first instant of shutdown; every tick in flight a managed task of `priority`, drained
 * in its wave.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ schedule: { priority: TaskPriority.NORMAL } });
 */
export interface ScheduleIntakeOptions {
  /**
   * Priority of the tick tasks; default `TaskPriority.HIGH`. A method that also has
   * `@ManagedTask({ start: 'call' })` keeps that decorator's priority, name and dependencies.
   */
  priority?: TaskPriority;
}

/** The `schedule` option after defaults. */
export interface ResolvedScheduleIntakeOptions {
  readonly priority: TaskPriority;
}

const SCHEDULE_KEYS = ['priority'];

/**
 * Validates the module option `schedule` (`true` when absent: on whenever the application uses
 * `@nestjs/schedule`) and fills in its default priority, HIGH; `undefined` when it is `false`.
 *
 * @example
 * resolveScheduleIntakeOptions({ priority: TaskPriority.LOW }); // { priority: TaskPriority.LOW }
 * resolveScheduleIntakeOptions(false); // undefined
 */
export function resolveScheduleIntakeOptions(
  value: unknown,
): ResolvedScheduleIntakeOptions | undefined {
  if (value === false) return undefined;
  if (value !== undefined && value !== true && !isPlainObject(value)) {
    throw InvalidLifecycleOptionError.invalid('schedule', value, 'a boolean or an object');
  }
  const given = isPlainObject(value) ? value : {};
  checkKeys('schedule.', given, SCHEDULE_KEYS);
  return { priority: checkPriority('schedule.priority', given.priority, TaskPriority.HIGH) };
}
