import { SetMetadata } from '@nestjs/common';
import { CANCELLATION_SAFE_METADATA } from '../async-lifecycle.constants.js';
import type { CleanupWhen } from '../primitives/cancellation-safe.js';
import { installDispatch } from './method-dispatch.js';

/**
 * Options of `@CancellationSafe`.
 *
 * @example
 * @CancellationSafe('releaseLock', { timeoutMs: 2_000, suppress: true, fallback: [] })
 */
export interface CancellationSafeDecoratorOptions {
  /** Deadline of the cleanup; default the module's `cleanupTimeoutMs`. */
  timeoutMs?: number;
  /** Resolve to `fallback` instead of rethrowing the cancellation. */
  suppress?: boolean;
  fallback?: unknown;
  /** `cancel` (default): on cancellation; `error`: on cancellation or failure; `always`. */
  on?: CleanupWhen;
}

/** What `@CancellationSafe` records. */
export interface CancellationSafeMetadata {
  readonly cleanup: unknown;
  readonly options: CancellationSafeDecoratorOptions;
}

/**
 * When the method is cancelled — the managed task it runs in is cancelled, or it throws a
 * cancellation — its cleanup (a method name of the same class, or a function) runs once with the
 * same arguments, shielded from that cancellation and with its own deadline; then the
 * cancellation is rethrown (or, with `suppress`, the method resolves to `fallback`). Built on
 * `cancellationSafe()`; the method returns a promise. A missing cleanup method fails bootstrap.
 *
 * @example
 * @CancellationSafe('unlock')
 * async rebuildIndex(key: string) {
 *   await this.lock(key);
 *   await this.index.rebuild(key, currentTask()?.signal);
 *   await this.unlock(key);
 * }
 */
export function CancellationSafe(
  cleanup: string | ((...args: never[]) => unknown),
  options: CancellationSafeDecoratorOptions = {},
): MethodDecorator {
  const metadata: CancellationSafeMetadata = { cleanup, options: { ...options } };
  return (target, key, descriptor) => {
    installDispatch(descriptor, 'cancellation-safe');
    SetMetadata(CANCELLATION_SAFE_METADATA, metadata)(target, key, descriptor);
    return descriptor;
  };
}
