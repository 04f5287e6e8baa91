/**
 * Work a primitive waits for: a promise already running, or a function that starts it with the
 * signal it must honour.
 *
 * @example
 * const op: Operation<Response> = (signal) => fetch(url, { signal });
 */
export type Operation<T> = PromiseLike<T> | ((signal: AbortSignal) => PromiseLike<T> | T);

/**
 * `Promise.resolve(value)` that never throws. It reads a promise's `constructor`, and a getter
 * there that throws makes the promise unobservable (every way to attach a handler reads it): the
 * result is then a promise rejected with what the getter threw.
 */
export function toPromise<T>(value: PromiseLike<T> | T): Promise<T> {
  try {
    return Promise.resolve(value);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Starts `op` (a synchronous throw becomes a rejection) and returns its promise. */
export function startOperation<T>(op: Operation<T>, signal: AbortSignal): Promise<T> {
  if (typeof op !== 'function') return toPromise(op);
  try {
    return toPromise(op(signal));
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

/**
 * Attaches a handler to work that is already running and will not be waited for, so its later
 * rejection is never unhandled; a lazy operation is left unstarted.
 */
export function observeOperation<T>(op: Operation<T>): void {
  if (!isLazyOperation(op)) toPromise(op).then(undefined, () => undefined);
}
