import { AbortLink } from '../core/abort-link.js';
import { isCancellation } from '../core/cancellation.js';
import { InvalidLifecycleOptionError } from '../core/invalid-option.error.js';
import { checkDuration } from '../core/lifecycle-options.validator.js';
import { currentTask } from '../core/task-context.storage.js';
import { TimeoutError } from '../core/timeout.error.js';
import type { CleanupOptions } from './cleanup-options.interface.js';
import { isLazyOperation, observeOperation, startOperation, type Operation } from './operation.js';
import { checkCleanupOptions, runCleanup } from './run-cleanup.js';
import { settleRace } from './settle-race.js';

/**
 * Options of {@link waitForSafe}.
 *
 * @example
 * const options: WaitForSafeOptions<null> = { timeoutMs: 2_000, fallback: null };
 */
export interface WaitForSafeOptions<D = never> extends CleanupOptions {
  timeoutMs: number;
  /** Resolve to this instead of throwing on timeout or failure (never on cancellation). */
  fallback?: D;
  /** Cancels the wait and the operation; default: the current managed task's signal. */
  signal?: AbortSignal;
}

/**
 * Waits for an operation with a deadline, without the usual leaks. On timeout it aborts the
 * operation's signal; on timeout, cancellation or failure the cleanup runs once, shielded, with
 * its own deadline; then it throws the typed error (`TimeoutError`, the cancellation, the
 * failure) — or, with `fallback`, resolves to it, except for a cancellation, which is always
 * rethrown. Inside a managed task it follows the task's signal. It leaves no timer, no listener
 * and no unhandled rejection behind, whatever the operation does later or rejects with.
 *
 * Bad options — a missing or bad `timeoutMs`, a bad `cleanupTimeoutMs`, a `cleanup` that is not
 * a function — reject with an `InvalidLifecycleOptionError` naming the option before anything
 * starts (a promise passed in still gets a handler).
 *
 * @example
 * // before: the timer is never cleared, the request is never aborted, a late failure is unhandled
 * await Promise.race([fetch(url), new Promise((_, reject) => setTimeout(reject, 2000))]);
 * // after
 * const res = await waitForSafe((signal) => fetch(url, { signal }), {
 *   timeoutMs: 2_000,
 *   cleanup: () => metrics.increment('fetch-timeout'),
 * });
 */
export function waitForSafe<T, D>(
  op: Operation<T>,
  options: WaitForSafeOptions<D> & { fallback: D },
): Promise<T | D>;
export function waitForSafe<T>(op: Operation<T>, options: WaitForSafeOptions): Promise<T>;
export async function waitForSafe<T, D>(
  op: Operation<T>,
  options: WaitForSafeOptions<D>,
): Promise<T | D> {
  let timeoutMs: number;
  try {
    if (options?.timeoutMs === undefined) {
      throw InvalidLifecycleOptionError.invalid('timeoutMs', undefined, 'a number of milliseconds');
    }
    timeoutMs = checkDuration('timeoutMs', options.timeoutMs, 0);
    checkCleanupOptions(options);
  } catch (error) {
    // Refused before it started: a promise passed in still gets a handler.
    observeOperation(op);
    throw error;
  }
  const link = new AbortLink(options.signal ?? currentTask()?.signal);
  let outcome;
  try {
    if (link.signal.aborted && isLazyOperation(op)) throw link.signal.reason; // never started
    outcome = await settleRace(startOperation(op, link.signal), link.signal, timeoutMs);
    // The operation hears of its deadline before the cleanup runs.
    if (outcome.kind === 'timeout') link.abort(new TimeoutError(timeoutMs));
  } finally {
    link.dispose();
  }

  if (outcome.kind === 'value') return outcome.value;
  const error =
    outcome.kind === 'timeout'
      ? (link.signal.reason as TimeoutError)
      : outcome.kind === 'aborted'
        ? outcome.reason
        : outcome.error;
  await runCleanup(options, 'waitForSafe');
  if ('fallback' in options && !isCancellation(error)) return options.fallback as D;
  throw error;
}
