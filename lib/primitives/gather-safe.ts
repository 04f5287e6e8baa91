import { AbortLink } from '../core/abort-link.js';
import { isCancellation } from '../core/cancellation.js';
import { CancelledError } from '../core/cancelled.error.js';
import { describeError } from '../core/describe.js';
import { currentTask } from '../core/task-context.storage.js';
import type { CleanupOptions } from './cleanup-options.interface.js';
import { observeOperation, startOperation, type Operation } from './operation.js';
import { checkCleanupOptions, runCleanup } from './run-cleanup.js';

/**
 * Options of {@link gatherSafe}.
 *
 * @example
 * const options: GatherSafeOptions = { returnErrors: true, cleanup: () => pool.release() };
 */
export interface GatherSafeOptions extends CleanupOptions {
  /** Like `Promise.allSettled`: failures stay in place as `Error`s, siblings are not aborted. */
  returnErrors?: boolean;
  /** Default: the current managed task's signal. */
  signal?: AbortSignal;
}

function asError(error: unknown): Error {
  try {
    if (error instanceof Error) return error;
  } catch {
    // `instanceof` runs a Proxy's getPrototypeOf trap, which may throw (a revoked Proxy does).
  }
  return new Error(describeError(error), { cause: error });
}

/**
 * Runs operations together, like `Promise.all` (or `allSettled` with `returnErrors`), without
 * losing work. When cancelled — or, without `returnErrors`, when one operation fails — it aborts
 * the others, waits for every one of them, runs the collective cleanup once (shielded, with its
 * own deadline), then rethrows the cancellation or the first failure.
 *
 * A cancellation is never kept in place, even with `returnErrors`: an operation rejecting with
 * one (that the gather did not cause) cancels the gather like a cancellation from outside. When
 * the signal is already aborted, no operation is started: it rejects at once with the abort
 * reason, runs no cleanup, and the promises passed in get a handler (their later rejection is
 * never unhandled). Any value may be rejected with: with `returnErrors`, a non-`Error` (a hostile
 * Proxy included) is kept in place as an `Error` describing it, the value in its `cause`.
 *
 * @example
 * // before: one failure rejects at once; the other uploads keep running, unobserved
 * await Promise.all(files.map((f) => upload(f)));
 * // after
 * await gatherSafe(files.map((f) => (signal: AbortSignal) => upload(f, { signal })), {
 *   cleanup: () => storage.deleteIncomplete(),
 * });
 */
export function gatherSafe<T>(
  ops: readonly Operation<T>[],
  options: GatherSafeOptions & { returnErrors: true },
): Promise<Array<T | Error>>;
export function gatherSafe<T>(
  ops: readonly Operation<T>[],
  options?: GatherSafeOptions,
): Promise<T[]>;
export async function gatherSafe<T>(
  ops: readonly Operation<T>[],
  options: GatherSafeOptions = {},
): Promise<Array<T | Error>> {
  try {
    checkCleanupOptions(options);
  } catch (error) {
    // Refused before it started: the promises passed in still get a handler.
    for (const op of ops) observeOperation(op);
    throw error;
  }
  const outer = options.signal ?? currentTask()?.signal;
  const link = new AbortLink(outer);
  if (link.signal.aborted) {
    // Level-triggered: cancelled before it began, so nothing starts and nothing needs cleaning.
    for (const op of ops) observeOperation(op);
    throw link.signal.reason;
  }
  const results: Array<T | Error> = new Array<T | Error>(ops.length);
  let failure: { error: unknown } | undefined;
  try {
    await Promise.all(
      ops.map((op, index) =>
        startOperation(op, link.signal).then(
          (value) => {
            results[index] = value;
          },
          (error: unknown) => {
            results[index] = asError(error);
            // Once aborted (a failure, or from outside), the others' rejections follow from it.
            if (failure !== undefined || link.signal.aborted) return;
            const cancelled = isCancellation(error);
            if (options.returnErrors === true && !cancelled) return;
            failure = { error };
            // The first failure stops the others; a cancellation stops them with itself.
            link.abort(
              cancelled
                ? error
                : new CancelledError('Another operation of the gather failed', { cause: error }),
            );
          },
        ),
      ),
    );
  } finally {
    link.dispose();
  }
  // A cancellation from outside wins over a failure: it is never swallowed.
  if (outer?.aborted === true) {
    await runCleanup(options, 'gatherSafe');
    throw outer.reason;
  }
  if (failure !== undefined) {
    await runCleanup(options, 'gatherSafe');
    throw failure.error;
  }
  return results;
}
