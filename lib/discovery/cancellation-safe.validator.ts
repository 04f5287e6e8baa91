import { checkDuration } from '../core/lifecycle-options.validator.js';
import type { CancellationSafeMetadata } from '../decorators/cancellation-safe.decorator.js';
import type { CleanupWhen } from '../primitives/cancellation-safe.js';
import type { MethodSite } from './decorated-method.interface.js';
import {
  checkCleanup,
  checkOptionKeys,
  inDeclaration,
  invalidOption,
  whereOf,
  type CleanupReference,
} from './declaration-checks.js';

const KNOWN_KEYS = ['timeoutMs', 'suppress', 'fallback', 'on'] as const;

/**
 * A `@CancellationSafe` whose cleanup and options were checked and completed with their defaults.
 *
 * @example
 * // @CancellationSafe('unlock') on LockService.withLock
 * { where: '@CancellationSafe() on LockService.withLock', cleanup: 'unlock',
 *   cleanupTimeoutMs: 5000, suppress: undefined, fallback: undefined, on: 'cancel' }
 */
export interface CancellationSafeDeclaration {
  /** `@CancellationSafe() on Class.method`, for messages. */
  readonly where: string;
  readonly cleanup: CleanupReference;
  readonly cleanupTimeoutMs: number;
  readonly suppress: boolean | undefined;
  readonly fallback: unknown;
  readonly on: CleanupWhen;
}

/**
 * Checks the cleanup and the options of a `@CancellationSafe` and resolves their defaults
 * (`timeoutMs` from the module, `on: 'cancel'`). Pure: it throws an
 * `InvalidLifecycleDeclarationError` naming the class, the method and the value, and changes
 * nothing.
 *
 * @example
 * validateCancellationSafe({ cleanup: 'nope', options: {} }, { instance, className: 'IndexService', methodName: 'rebuild' }, { cleanupTimeoutMs: 5000 });
 * // throws: @CancellationSafe() on IndexService.rebuild: cleanup "nope" is not a method of IndexService
 */
export function validateCancellationSafe(
  metadata: CancellationSafeMetadata,
  site: MethodSite,
  defaults: { readonly cleanupTimeoutMs: number },
): CancellationSafeDeclaration {
  const where = whereOf('CancellationSafe', site);
  const options = metadata.options as Record<(typeof KNOWN_KEYS)[number], unknown>;
  checkOptionKeys(where, options, KNOWN_KEYS);
  const cleanup = checkCleanup(where, site, metadata.cleanup);
  if (cleanup === undefined) {
    throw invalidOption(where, 'cleanup', metadata.cleanup, 'a method name or a function');
  }
  const cleanupTimeoutMs = inDeclaration(where, () =>
    checkDuration('timeoutMs', options.timeoutMs, defaults.cleanupTimeoutMs),
  );
  if (options.suppress !== undefined && typeof options.suppress !== 'boolean') {
    throw invalidOption(where, 'suppress', options.suppress, 'a boolean');
  }
  const on = options.on ?? 'cancel';
  if (on !== 'cancel' && on !== 'error' && on !== 'always') {
    throw invalidOption(where, 'on', on, `'cancel', 'error' or 'always'`);
  }
  return {
    where,
    cleanup,
    cleanupTimeoutMs,
    suppress: options.suppress,
    fallback: options.fallback,
    on,
  };
}
