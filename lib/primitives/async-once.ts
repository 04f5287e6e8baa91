/**
 * Wraps an asynchronous initialiser so it runs at most once at a time and, once it succeeded,
 * never again: concurrent callers share the attempt in flight and its result. A failed attempt
 * (a rejection, a synchronous throw, a cancellation) is delivered to every caller that shared
 * it, then rolled back, so the next call starts a fresh attempt. An `init` that returns a plain
 * value instead of a promise is treated as an attempt that succeeded with that value.
 *
 * @example
 * const connect = asyncOnce(() => createPool(config)); // nothing runs yet
 *
 * // three concurrent requests, one pool; if it failed, the next request tries again
 * const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
 */
export function asyncOnce<T>(init: () => Promise<T>): () => Promise<T> {
  let attempt: Promise<T> | undefined;

  const start = (): Promise<T> =>
    // The executor turns a synchronous throw into a rejection and adopts a non-promise result.
    new Promise<T>((resolve) => resolve(init())).catch((error: unknown) => {
      // Rolled back before any caller sees the failure: a caller retrying from its catch block
      // starts a fresh attempt instead of receiving this one again.
      attempt = undefined;
      throw error;
    });

  return () => (attempt ??= start());
}
