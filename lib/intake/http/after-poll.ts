/**
 * The longest gap between asking for a check and running it that still counts as "no stall":
 * bytes that reached the kernel in that gap are not read yet when the check runs, so a longer
 * gap sends the check one more turn round the loop.
 */
export const STALL_MS = 20;

/**
 * Runs a check that judges connections by what the server has read — "idle", "quiet" — only
 * once the event loop has polled the sockets since it was asked for, with no stall in between.
 * A timer that fires after the loop stalled runs before the poll phase reads what arrived during
 * the stall: requests sitting in the socket buffers then look like silence, and closing such a
 * connection loses them. So the check runs in the check phase (`setImmediate`), after that
 * turn's poll phase; and if the loop stalled between the request and the check (more than
 * `stallMs`, default `STALL_MS`), it waits one more turn — the next poll reads what arrived meanwhile. Several
 * requests before it runs make one check.
 *
 * @example
 * const sweep = new AfterPoll((now) => closeIdleConnections(now));
 * setInterval(() => sweep.request(), 100);
 * // when done:
 * sweep.cancel();
 */
export class AfterPoll {
  private immediate: NodeJS.Immediate | undefined;

  /**
   * `run` gets `performance.now()` at the moment it runs; `stallMs`: the longest gap that does
   * not count as a stall.
   */
  constructor(
    private readonly run: (now: number) => void,
    private readonly stallMs = STALL_MS,
  ) {}

  /** Asks for the check; it runs once, after a poll phase with no stall since. */
  request(): void {
    if (this.immediate !== undefined) return;
    this.schedule(performance.now());
  }

  /** Drops a check asked for and not run yet. */
  cancel(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  private schedule(askedAt: number): void {
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      const now = performance.now();
      // Stalled since it was asked: what arrived meanwhile is still unread. The next turn's
      // poll phase reads it; a loop that stalls on every turn is busy with traffic anyway.
      if (now - askedAt > this.stallMs) {
        this.schedule(now);
        return;
      }
      this.run(now);
    });
  }
}
