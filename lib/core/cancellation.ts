import type { CancelledError } from './cancelled.error.js';

const MAX_CAUSE_DEPTH = 16;

function isDirectCancellation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as Partial<CancelledError>).isCancelledError === true) return true;
  // DOMException('…', 'AbortError') from AbortController.abort() and fetch/streams/timers APIs.
  return (error as { name?: unknown }).name === 'AbortError';
}

/**
 * Whether `error` means "this work was cancelled": our {@link CancelledError}, a DOMException
 * `AbortError`, or any error whose `cause` chain holds one. Timeouts are not cancellations.
 *
 * @example
 * try {
 *   await work(signal);
 * } catch (error) {
 *   if (isCancellation(error)) throw error; // never swallow a cancel
 *   logger.warn(`work failed: ${String(error)}`);
 * }
 */
export function isCancellation(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (isDirectCancellation(current)) return true;
    if (typeof current !== 'object' || current === null || !('cause' in current)) return false;
    const next: unknown = current.cause;
    if (next === current) return false;
    current = next;
  }
  return false;
}

/**
 * Rethrows `error` when it is a cancellation; put it first in a catch-all so cancellations
 * pass through.
 *
 * @example
 * try {
 *   await sync(signal);
 * } catch (error) {
 *   rethrowIfCancellation(error);
 *   metrics.increment('sync-failed');
 * }
 */
export function rethrowIfCancellation(error: unknown): void {
  if (isCancellation(error)) throw error;
}
