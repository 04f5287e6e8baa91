import { checkDuration } from '../core/lifecycle-options.validator.js';
import { TimeoutError } from '../core/timeout.error.js';

/**
 * Stops waiting for `promise` after `timeoutMs` (rejecting with a `TimeoutError`) but never
 * cancels the work behind it: it goes on, and its later failure is observed, never unhandled.
 * For work that must not be interrupted — a commit, a flush — when the caller cannot wait longer.
 *
 * @example
 * // before: Promise.race leaves a timer and, if the flush fails later, an unhandled rejection
 * // after
 * try {
 *   await shieldedWaitFor(buffer.flush(), 3_000);
 * } catch (error) {
 *   if ((error as TimeoutError).isTimeoutError) logger.warn('flush still running in background');
 * }
 */
export function shieldedWaitFor<T>(promise: PromiseLike<T>, timeoutMs: number): Promise<T> {
  const ms = checkDuration('timeoutMs', timeoutMs, 0);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(ms, 'shieldedWaitFor')), ms);
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error); // a no-op once timed out: the failure is observed all the same
      },
    );
  });
}
