import { describeError } from '../core/describe.js';
import { DeadlineRun, type CallbackResult } from '../core/deadline-run.js';
import { InvalidLifecycleOptionError } from '../core/invalid-option.error.js';
import { checkDuration, DEFAULT_BUDGETS } from '../core/lifecycle-options.validator.js';
import { isThenable } from '../core/thenable.js';
import type { CleanupOptions } from './cleanup-options.interface.js';

/** The code of the process warning for a cleanup that failed with nobody to tell. */
export const CLEANUP_WARNING_CODE = 'ASYNC_LIFECYCLE_CLEANUP_FAILED';

function warn(message: string): void {
  process.emitWarning(message, { code: CLEANUP_WARNING_CODE });
}

function handlerFailed(what: string, error: unknown, handlerError: unknown): void {
  warn(
    `${what} failed: ${describeError(error)}; ` +
      `its onCleanupError handler failed too: ${describeError(handlerError)}`,
  );
}

/**
 * Hands a cleanup failure to `onCleanupError`, else to a process warning. Total: a handler that
 * throws or rejects must not replace the primitive's outcome (nor hang it, nor go unhandled), so
 * its failure becomes a warning naming both.
 */
function report(error: unknown, options: CleanupOptions, what: string): void {
  const handler = options.onCleanupError;
  if (handler === undefined) {
    warn(`${what} failed: ${describeError(error)}`);
    return;
  }
  try {
    const result: unknown = handler(error);
    if (isThenable(result)) {
      Promise.resolve(result).then(undefined, (handlerError: unknown) =>
        handlerFailed(what, error, handlerError),
      );
    }
  } catch (handlerError) {
    handlerFailed(what, error, handlerError);
  }
}

/**
 * Validates the cleanup options of a primitive before it starts any work, so a bad value is
 * reported as such up front — not, after the work was cancelled, in place of the cancellation.
 */
export function checkCleanupOptions(options: CleanupOptions, cleanupRequired = false): void {
  const { cleanup, onCleanupError } = options;
  if (cleanup === undefined ? cleanupRequired : typeof cleanup !== 'function') {
    throw InvalidLifecycleOptionError.invalid('cleanup', cleanup, 'a function');
  }
  if (onCleanupError !== undefined && typeof onCleanupError !== 'function') {
    throw InvalidLifecycleOptionError.invalid('onCleanupError', onCleanupError, 'a function');
  }
  checkDuration('cleanupTimeoutMs', options.cleanupTimeoutMs, DEFAULT_BUDGETS.cleanupTimeoutMs);
}

/**
 * Runs `options.cleanup` (if any) the way the engine runs task cleanups — the same
 * `DeadlineRun`: shielded from the caller's task context, with its own signal and deadline —
 * and resolves when it ended. Never rejects, whatever the cleanup throws or returns: failures go
 * to `onCleanupError` or a warning, and so does a failure after the deadline. The options must
 * have passed {@link checkCleanupOptions}.
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
        // Resolved first: whatever reporting does, the primitive moves on.
        resolve(result);
        if (result.outcome !== 'ok') report(result.error, options, `cleanup of ${what}`);
      },
      onLateFailure: (error) => report(error, options, `cleanup of ${what} (after its deadline)`),
    }).start(cleanup);
  });
}
