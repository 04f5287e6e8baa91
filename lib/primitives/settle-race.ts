/** How waiting for an operation ended. */
export type RaceOutcome<T> =
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'aborted'; readonly reason: unknown }
  | { readonly kind: 'timeout' };

/**
 * Waits for the first of: `work` settling, `signal` aborting, `timeoutMs` passing. Settles once;
 * the timer is cleared and the listener removed whatever wins, and `work` keeps a handler, so
 * its later failure is observed, never unhandled.
 */
export function settleRace<T>(
  work: Promise<T>,
  signal: AbortSignal,
  timeoutMs?: number,
): Promise<RaceOutcome<T>> {
  return new Promise((resolve) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => done({ kind: 'aborted', reason: signal.reason });
    function done(outcome: RaceOutcome<T>): void {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    }
    work.then(
      (value) => done({ kind: 'value', value }),
      (error: unknown) => done({ kind: 'error', error }),
    );
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
  });
}
