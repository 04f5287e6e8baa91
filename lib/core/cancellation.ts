import type { CancelledError } from './cancelled.error.js';

const MAX_CAUSE_DEPTH = 16;

/** Reads `key` from a thrown value; a throwing getter or Proxy trap reads as `undefined`. */
function read(value: object, key: 'isCancelledError' | 'name' | 'cause'): unknown {
  try {
    return (value as Partial<Record<typeof key, unknown>>)[key];
  } catch {
    return undefined;
  }
}

function isDirectCancellation(error: object): boolean {
  if (read(error, 'isCancelledError' satisfies keyof CancelledError) === true) return true;
  // DOMException('…', 'AbortError') from AbortController.abort() and fetch/streams/timers APIs.
  return read(error, 'name') === 'AbortError';
}

/**
 * Whether `error` means "this work was cancelled": our {@link CancelledError}, a DOMException
 * `AbortError`, or any error whose `cause` chain holds one. Timeouts are not cancellations.
 *
 * Total: it never throws, whatever was thrown. A property it cannot read (a throwing getter, a
 * Proxy trap that throws, a revoked Proxy) reads as absent, so a value it cannot read is not a
 * cancellation; a `cause` cycle ends the walk.
 *
 * @example
 * try {
 *   await work(signal);
 * } catch (error) {
 *   if (isCancellation(error)) throw error; // never swallow a cancel
 *   logger.warn('work failed', error);
 * }
 */
export function isCancellation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // The common case first, without allocating: a cancellation itself (every task a shutdown
  // cancels ends here).
  if (isDirectCancellation(error)) return true;
  let current: unknown = read(error, 'cause');
  const seen = new Set<object>([error]);
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null || seen.has(current)) return false;
    if (isDirectCancellation(current)) return true;
    seen.add(current);
    current = read(current, 'cause');
  }
  return false;
}

/**
 * Rethrows `error` when it is a cancellation; put it first in a catch-all so cancellations
 * pass through. Never throws anything else, whatever `error` is.
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
