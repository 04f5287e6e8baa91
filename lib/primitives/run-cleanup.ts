import { describeError } from '../core/describe.js';
import { DeadlineRun, type CallbackResult } from '../core/deadline-run.js';
import { checkDuration, DEFAULT_BUDGETS } from '../core/lifecycle-options.validator.js';
import type { CleanupOptions } from './cleanup-options.interface.js';

/** The code of the process warning for a cleanup that failed with nobody to tell. */
export const CLEANUP_WARNING_CODE = 'ASYNC_LIFECYCLE_CLEANUP_FAILED';

function report(error: unknown, options: CleanupOptions, what: string): void {
  if (options.onCleanupError !== undefined) {
    options.onCleanupError(error);
    return;
  }
  process.emitWarning(`${what} failed: ${describeError(error)}`, { code: CLEANUP_WARNING_CODE });
}

/**
 * Runs `options.cleanup` (if any) the way the engine runs task cleanups — the same
 * `DeadlineRun`: shielded from the caller's task context, with its own signal and deadline —
 * and resolves when it ended. Never rejects: failures go to `onCleanupError` or a warning, and
 * so does a failure after the deadline.
 */
export function runCleanup(
  options: CleanupOptions,
  what: string,
): Promise<CallbackResult | undefined> {
  const cleanup = options.cleanup;
  if (cleanup === undefined) return Promise.resolve(undefined);
  const timeoutMs = checkDuration(
    'cleanupTimeoutMs',
    options.cleanupTimeoutMs,
    DEFAULT_BUDGETS.cleanupTimeoutMs,
  );
  return new Promise((resolve) => {
    new DeadlineRun({
      timeoutMs,
      what: `cleanup of ${what}`,
      onDone: (result) => {
        if (result.outcome !== 'ok') report(result.error, options, `cleanup of ${what}`);
        resolve(result);
      },
      onLateFailure: (error) => report(error, options, `cleanup of ${what} (after its deadline)`),
    }).start(cleanup);
  });
}
