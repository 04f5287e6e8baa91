import { checkDuration, checkPriority } from '../core/lifecycle-options.validator.js';
import { TaskPriority } from '../core/task-priority.enum.js';
import type { MethodSite } from './decorated-method.interface.js';
import {
  checkDeclarationDependencies,
  checkDeclarationName,
  checkNotReserved,
  checkOptionKeys,
  inDeclaration,
  whereOf,
} from './declaration-checks.js';

const KNOWN_KEYS = ['priority', 'dependsOn', 'name', 'timeoutMs'] as const;

/**
 * An `@OnShutdown` whose options were checked and completed with their defaults.
 *
 * @example
 * // @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'db-pool' }) on Pool.close
 * { where: '@OnShutdown() on Pool.close', name: 'db-pool', priority: TaskPriority.CRITICAL,
 *   dependsOn: [], timeoutMs: 5000 }
 */
export interface OnShutdownDeclaration {
  /** `@OnShutdown() on Class.method`, for messages. */
  readonly where: string;
  readonly name: string;
  readonly priority: TaskPriority;
  readonly dependsOn: readonly string[];
  readonly timeoutMs: number;
}

/**
 * Checks the options of an `@OnShutdown` and resolves their defaults (name `Class.method`,
 * priority NORMAL, `timeoutMs` from the module's `cleanupTimeoutMs`). Pure: it throws an
 * `InvalidLifecycleDeclarationError` naming the class, the method and the value, and changes
 * nothing.
 *
 * @example
 * validateOnShutdown({ timeoutMs: -1 }, { instance, className: 'Pool', methodName: 'close' }, { cleanupTimeoutMs: 5000 });
 * // throws: @OnShutdown() on Pool.close: Invalid option timeoutMs = -1: expected a finite number of milliseconds between 0 and 2147483647
 */
export function validateOnShutdown(
  options: object,
  site: MethodSite,
  defaults: { readonly cleanupTimeoutMs: number },
): OnShutdownDeclaration {
  const where = whereOf('OnShutdown', site);
  checkOptionKeys(where, options, KNOWN_KEYS);
  const o = options as Record<(typeof KNOWN_KEYS)[number], unknown>;
  const name = checkDeclarationName(where, o.name, `${site.className}.${site.methodName}`);
  checkNotReserved(where, name);
  const priority = inDeclaration(where, () =>
    checkPriority('priority', o.priority, TaskPriority.NORMAL),
  );
  const timeoutMs = inDeclaration(where, () =>
    checkDuration('timeoutMs', o.timeoutMs, defaults.cleanupTimeoutMs),
  );
  const dependsOn = checkDeclarationDependencies(where, o.dependsOn);
  return { where, name, priority, dependsOn, timeoutMs };
}
