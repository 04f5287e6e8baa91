import { InvalidLifecycleOptionError } from '../core/invalid-option.error.js';
import { checkDuration } from '../core/lifecycle-options.validator.js';
import { TimeoutError } from '../core/timeout.error.js';
import { toPromise } from './operation.js';

/**
 * Stops waiting for `promise` after `timeoutMs` (rejecting with a `TimeoutError`) but never
 * cancels the work behind it: it goes on, and its later failure is observed, never unhandled.
 * For work that must not be interrupted — a commit, a flush — when the caller cannot wait longer.
 *
 * A missing or bad `timeoutMs` (not a finite number of milliseconds between 0 and 2³¹−1)
 * returns a promise rejected with an `InvalidLifecycleOptionError` naming the value — never a
 * synchronous throw, and `promise` still gets its handler. Any value `promise` rejects with is
 * passed through as it is.
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
  // Adopted before the arguments are checked: the work is observed whatever happens below.
  const work = toPromise(promise);
  let ms: number;
  try {
    if (timeoutMs === undefined) {
      throw InvalidLifecycleOptionError.invalid('timeoutMs', undefined, 'a number of milliseconds');
    }
    ms = checkDuration('timeoutMs', timeoutMs, 0);
  } catch (error) {
    work.then(undefined, () => undefined);
    return Promise.reject(error);
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(ms, 'shieldedWaitFor')), ms);
    work.then(
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
