/**
 * How a primitive runs its cleanup: once, shielded from the cancellation that triggered it, with
 * its own deadline. A cleanup failure never replaces the primitive's own outcome (a cancellation
 * must stay a cancellation): it goes to `onCleanupError`, or to a process warning.
 *
 * @example
 * await waitForSafe(upload, {
 *   timeoutMs: 5_000,
 *   cleanup: () => tmp.remove(),
 *   cleanupTimeoutMs: 1_000,
 *   onCleanupError: (error) => logger.warn(`tmp not removed: ${String(error)}`),
 * });
 */
export interface CleanupOptions {
  /** Runs once, shielded, when the primitive's condition is met (see each primitive). */
  cleanup?: () => unknown;
  /** Deadline of the cleanup; default 5000. */
  cleanupTimeoutMs?: number;
  /**
   * Receives a cleanup's failure or its TimeoutError; default: `process.emitWarning`. It may be
   * async; if it throws or rejects, a process warning names both failures instead.
   */
  onCleanupError?: (error: unknown) => unknown;
}
