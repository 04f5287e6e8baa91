import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { checkDuration, checkPriority } from '../core/lifecycle-options.validator.js';
import { MAX_NAME_LENGTH } from '../core/name-check.js';
import { TaskPriority } from '../core/task-priority.enum.js';
import type { StopMode } from '../core/task.interface.js';
import type { TaskStart } from '../decorators/managed-task.decorator.js';
import type { MethodSite } from './decorated-method.interface.js';
import {
  checkCleanup,
  checkDeclarationDependencies,
  checkDeclarationName,
  checkNotReserved,
  checkOptionKeys,
  hasReservedCallNames,
  inDeclaration,
  invalidOption,
  whereOf,
  type CleanupReference,
} from './declaration-checks.js';
import { InvalidLifecycleDeclarationError } from './invalid-declaration.error.js';

const KNOWN_KEYS = [
  'name',
  'priority',
  'dependsOn',
  'cleanup',
  'cleanupTimeoutMs',
  'onError',
  'start',
  'stop',
] as const;

/**
 * Longest name of a `start: 'call'` task: its calls are named `<name>#<n>`, and the longest
 * `#<n>` (n up to Number.MAX_SAFE_INTEGER) must still fit in a task name.
 */
const MAX_CALL_TASK_NAME_LENGTH = MAX_NAME_LENGTH - `#${Number.MAX_SAFE_INTEGER}`.length;

/**
 * A `@ManagedTask` whose options were checked and completed with their defaults.
 *
 * @example
 * // @ManagedTask({ start: 'call' }) on Jobs.process
 * { where: '@ManagedTask() on Jobs.process', start: 'call', name: 'Jobs.process',
 *   priority: TaskPriority.NORMAL, dependsOn: [], cleanupTimeoutMs: 5000 }
 */
export interface ManagedTaskDeclaration {
  /** `@ManagedTask() on Class.method`, for messages. */
  readonly where: string;
  readonly start: TaskStart;
  /** The task's name (`start: 'bootstrap'`), or the prefix of its calls' names (`start: 'call'`). */
  readonly name: string;
  readonly priority: TaskPriority;
  readonly dependsOn: readonly string[];
  readonly cleanup?: CleanupReference;
  readonly cleanupTimeoutMs: number;
  readonly onError?: (error: unknown) => unknown;
  /** How its wave stops it: `abort` for a bootstrap task, `drain` for calls, unless given. */
  readonly stop: StopMode;
}

/**
 * Checks the options of a `@ManagedTask` and resolves their defaults (name `Class.method`,
 * priority NORMAL, `cleanupTimeoutMs` from the module). Pure: it throws an
 * `InvalidLifecycleDeclarationError` naming the class, the method and the value, and changes
 * nothing.
 *
 * @example
 * validateManagedTask({ priority: 9 }, { instance, className: 'Worker', methodName: 'loop' }, { cleanupTimeoutMs: 5000 });
 * // throws: @ManagedTask() on Worker.loop: Invalid option priority = 9: expected a TaskPriority (0 = CRITICAL … 4 = LOWEST)
 */
export function validateManagedTask(
  options: object,
  site: MethodSite,
  defaults: { readonly cleanupTimeoutMs: number },
): ManagedTaskDeclaration {
  const where = whereOf('ManagedTask', site);
  checkOptionKeys(where, options, KNOWN_KEYS);
  const o = options as Record<(typeof KNOWN_KEYS)[number], unknown>;
  const start = o.start ?? 'bootstrap';
  if (start !== 'bootstrap' && start !== 'call') {
    throw invalidOption(where, 'start', start, `'bootstrap' or 'call'`);
  }
  const name = checkDeclarationName(where, o.name, `${site.className}.${site.methodName}`);
  // Refused here, at bootstrap, what the coordinator would refuse at the bootstrap task's
  // creation — or at every call of a start: 'call' task.
  if (start === 'bootstrap') {
    checkNotReserved(where, name);
  } else if (hasReservedCallNames(name)) {
    throw new InvalidLifecycleDeclarationError(LifecycleMessages.reservedCallName(where));
  } else if (name.length > MAX_CALL_TASK_NAME_LENGTH) {
    throw invalidOption(
      where,
      'name',
      name,
      `at most ${MAX_CALL_TASK_NAME_LENGTH} characters for a start: 'call' task, whose calls are named <name>#<n>`,
    );
  }
  const priority = inDeclaration(where, () =>
    checkPriority('priority', o.priority, TaskPriority.NORMAL),
  );
  const dependsOn = checkDeclarationDependencies(where, o.dependsOn);
  const cleanupTimeoutMs = inDeclaration(where, () =>
    checkDuration('cleanupTimeoutMs', o.cleanupTimeoutMs, defaults.cleanupTimeoutMs),
  );
  if (o.onError !== undefined && typeof o.onError !== 'function') {
    throw invalidOption(where, 'onError', o.onError, 'a function');
  }
  const cleanup = checkCleanup(where, site, o.cleanup);
  // A bootstrap task is a loop told to stop; a call is a unit of work its caller awaits.
  const stop = o.stop ?? (start === 'call' ? 'drain' : 'abort');
  if (stop !== 'abort' && stop !== 'drain') {
    throw invalidOption(where, 'stop', stop, `'abort' or 'drain'`);
  }
  return {
    where,
    start,
    name,
    priority,
    dependsOn,
    cleanup,
    cleanupTimeoutMs,
    onError: o.onError as ((error: unknown) => unknown) | undefined,
    stop,
  };
}
