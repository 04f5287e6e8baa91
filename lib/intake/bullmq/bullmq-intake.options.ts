import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import { checkKeys, checkPriority, isPlainObject } from '../../core/lifecycle-options.validator.js';
import { TaskPriority } from '../../core/task-priority.enum.js';

/**
 * BullMQ draining (module option `bullmq`): every job a worker is processing is a managed task of
 * `priority`, drained in its wave; workers stop fetching when the shutdown begins.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ bullmq: { priority: TaskPriority.NORMAL } });
 */
export interface BullmqIntakeOptions {
  /** Default `TaskPriority.HIGH`. */
  priority?: TaskPriority;
}

/** The `bullmq` option after defaults. */
export interface ResolvedBullmqIntakeOptions {
  readonly priority: TaskPriority;
}

const BULLMQ_KEYS = ['priority'];

/**
 * Validates the module option `bullmq` (`true` when absent: on whenever the application has
 * BullMQ workers) and fills in its default, HIGH priority; `undefined` when it is `false`.
 *
 * @example
 * resolveBullmqIntakeOptions({ priority: TaskPriority.LOW }); // { priority: TaskPriority.LOW }
 * resolveBullmqIntakeOptions(false); // undefined
 */
export function resolveBullmqIntakeOptions(
  value: unknown,
): ResolvedBullmqIntakeOptions | undefined {
  if (value === false) return undefined;
  if (value !== undefined && value !== true && !isPlainObject(value)) {
    throw InvalidLifecycleOptionError.invalid('bullmq', value, 'a boolean or an object');
  }
  const given = isPlainObject(value) ? value : {};
  checkKeys('bullmq.', given, BULLMQ_KEYS);
  return { priority: checkPriority('bullmq.priority', given.priority, TaskPriority.HIGH) };
}
