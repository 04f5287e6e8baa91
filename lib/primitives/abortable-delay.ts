/**
 * Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts. Either way the
 * timer is cleared and the listener removed: the sleep every loop and backoff needs, without the
 * leaked listener of the usual hand-written one.
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
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
