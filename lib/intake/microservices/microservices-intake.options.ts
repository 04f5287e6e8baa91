import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import { checkKeys, checkPriority, isPlainObject } from '../../core/lifecycle-options.validator.js';
import { TaskPriority } from '../../core/task-priority.enum.js';

/**
 * Draining of Nest microservice transports (module option `microservices`): every message in
 * flight is a managed task of `priority`, drained in its wave; at shutdown start each server
 * stops taking new messages; at FORCEFUL what is left is handed back.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ microservices: { priority: TaskPriority.HIGH } });
 */
export interface MicroservicesIntakeOptions {
  /** Default `TaskPriority.HIGH`, as for HTTP requests. */
  priority?: TaskPriority;
}

/**
 * The `microservices` option after defaults.
 *
 * @example
 * const resolved: ResolvedMicroservicesIntakeOptions = { priority: TaskPriority.HIGH };
 */
export interface ResolvedMicroservicesIntakeOptions {
  readonly priority: TaskPriority;
}

const MICROSERVICES_KEYS = ['priority'];

/**
 * Validates the module option `microservices` (`true` when absent: on for every microservice
 * server the application creates) and fills in its defaults; `undefined` when it is `false`.
 *
 * @example
 * resolveMicroservicesIntakeOptions({ priority: TaskPriority.CRITICAL });
 * // { priority: TaskPriority.CRITICAL }
 */
export function resolveMicroservicesIntakeOptions(
  value: unknown,
): ResolvedMicroservicesIntakeOptions | undefined {
  if (value === false) return undefined;
  if (value !== undefined && value !== true && !isPlainObject(value)) {
    throw InvalidLifecycleOptionError.invalid('microservices', value, 'a boolean or an object');
  }
  const given = isPlainObject(value) ? value : {};
  checkKeys('microservices.', given, MICROSERVICES_KEYS);
  return { priority: checkPriority('microservices.priority', given.priority, TaskPriority.HIGH) };
}
