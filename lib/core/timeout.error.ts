import { CoreMessages } from './lifecycle.messages.js';

/**
 * An operation did not finish within its deadline. Not a cancellation: `isCancellation()`
 * returns `false` for it, so a timeout is never mistaken for a shutdown.
 *
 * @example
 * try {
 *   await waitForSafe((signal) => fetch(url, { signal }), { timeoutMs: 2000 });
 * } catch (error) {
 *   if ((error as TimeoutError).isTimeoutError) return cached;
 *   throw error;
 * }
 */
export class TimeoutError extends Error {
  readonly isTimeoutError = true as const;
  override readonly name: string = 'TimeoutError';

  constructor(
    readonly timeoutMs: number,
    what = 'The operation',
    options?: { cause?: unknown },
  ) {
    super(CoreMessages.timedOut(what, timeoutMs), options);
  }
}
