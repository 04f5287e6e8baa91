import { InvalidLifecycleOptionError } from '../core/invalid-option.error.js';
import { MAX_TIMER_MS } from '../core/lifecycle-options.validator.js';

/**
 * Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts. Either way the
 * timer is cleared and the listener removed: the sleep every loop and backoff needs, without the
 * leaked listener of the usual hand-written one.
 *
 * `ms` is a finite number of milliseconds `>= 0`, of any size: a delay longer than a Node timer
 * can hold (2³¹−1 ms, about 24.8 days — Node fires a longer timer after 1 ms) is waited in
 * several timer steps. `NaN`, `Infinity`, a negative number or a non-number throws an
 * `InvalidLifecycleOptionError` naming the value, synchronously: a rejection would be swallowed
 * by the `.catch(() => undefined)` of a polling loop and turn it into a busy loop.
 *
 * Why not `timers/promises`: it rejects with its own `AbortError` instead of the reason (a
 * `CancelledError` carrying the phase), and it escapes fake timers.
 *
 * @example
 * // before: the listener stays on the long-lived signal after every sleep that completes
 * await new Promise((resolve) => { setTimeout(resolve, 1000); signal.addEventListener('abort', resolve); });
 * // after
 * while (!signal.aborted) {
 *   await poll();
 *   await abortableDelay(1000, signal).catch(() => undefined);
 * }
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    // Thrown, not rejected: a loop's catch-all must not hide a programming error and spin.
    throw InvalidLifecycleOptionError.invalid('ms', ms, 'a finite number of milliseconds >= 0');
  }
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    let remaining = ms;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    // Node fires a timer longer than 2³¹−1 ms after 1 ms: wait in steps a timer can hold.
    const step = (): void => {
      const wait = Math.min(remaining, MAX_TIMER_MS);
      remaining -= wait;
      timer = setTimeout(remaining > 0 ? step : done, wait);
    };
    step();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
