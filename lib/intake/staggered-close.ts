/**
 * Acts on a set of long-lived connections (HTTP/2 sessions, SSE streams, long-polls) one after
 * another, evenly over a window, rather than all at once: clients told to go away together all
 * reconnect together, and the instances left take the whole burst (DESIGN §4 "Intakes", step 2).
 * The first item is acted on at once, item `i` of `n` after `i × windowMs / n`.
 *
 * @example
 * const goAway = new StaggeredClose<ServerHttp2Session>((session) => session.close());
 * goAway.start(sessions, 1_000);   // at intake close
 * goAway.remove(session);          // it closed by itself meanwhile
 * goAway.flush();                  // FORCEFUL: the rest now
 */
export class StaggeredClose<T> {
  private queue: { item: T; dueAt: number }[] = [];
  private next = 0;
  private readonly removed = new Set<T>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiters: (() => void)[] = [];

  /** `act` runs once per item; it must not throw (the caller guards its own callbacks). */
  constructor(private readonly act: (item: T) => void) {}

  /** Whether items are still waiting for their turn. */
  get pending(): boolean {
    return this.next < this.queue.length;
  }

  /** Schedules `items` over `windowMs` from now, after any still waiting. */
  start(items: Iterable<T>, windowMs: number): void {
    const list = [...items];
    const now = performance.now();
    const step = list.length === 0 ? 0 : windowMs / list.length;
    list.forEach((item, i) => this.queue.push({ item, dueAt: now + i * step }));
    this.run();
  }

  /** The item ended by itself: it is skipped when its turn comes. */
  remove(item: T): void {
    if (this.pending) this.removed.add(item);
  }

  /** Acts on every item not reached yet, now. */
  flush(): void {
    this.clearTimer();
    while (this.next < this.queue.length) this.actOn(this.queue[this.next++].item);
    this.settle();
  }

  /** Forgets the items not reached yet and releases the timer. */
  stop(): void {
    this.clearTimer();
    this.next = this.queue.length;
    this.settle();
  }

  /** Resolves once no item waits for its turn (at once when none does). */
  idle(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private run(): void {
    this.clearTimer();
    const now = performance.now();
    while (this.next < this.queue.length && this.queue[this.next].dueAt <= now) {
      this.actOn(this.queue[this.next++].item);
    }
    if (this.pending) {
      // One timer for the whole queue, re-armed for the next item; ref'd, like the shutdown's
      // own timers: the spread is part of the shutdown, and stop()/flush() always release it.
      this.timer = setTimeout(() => this.run(), Math.max(1, this.queue[this.next].dueAt - now));
    } else {
      this.settle();
    }
  }

  private actOn(item: T): void {
    if (this.removed.delete(item)) return;
    this.act(item);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private settle(): void {
    this.queue = [];
    this.next = 0;
    this.removed.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * The window an intake spreads its closes over: its `spreadMs` option, at most a quarter of
 * GRACEFUL, so that the last client has been told long before FORCEFUL cuts what is left.
 *
 * @example
 * spreadWindowMs(1_000, 2_000); // 500
 */
export function spreadWindowMs(spreadMs: number, gracefulMs: number): number {
  return Math.min(spreadMs, gracefulMs / 4);
}
