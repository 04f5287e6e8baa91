/**
 * Work a primitive waits for: a promise already running, or a function that starts it with the
 * signal it must honour.
 *
 * @example
 * const op: Operation<Response> = (signal) => fetch(url, { signal });
 */
export type Operation<T> = PromiseLike<T> | ((signal: AbortSignal) => PromiseLike<T> | T);

/** Starts `op` (a synchronous throw becomes a rejection) and returns its promise. */
export function startOperation<T>(op: Operation<T>, signal: AbortSignal): Promise<T> {
  if (typeof op !== 'function') return Promise.resolve(op);
  try {
    return Promise.resolve(op(signal));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Whether starting `op` begins new work (a function) rather than joining running work. */
export function isLazyOperation<T>(
  op: Operation<T>,
): op is (signal: AbortSignal) => PromiseLike<T> | T {
  return typeof op === 'function';
}
