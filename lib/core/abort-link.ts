/**
 * A per-call AbortController that follows longer-lived signals: it aborts, with the source's
 * reason, as soon as any source does, and `dispose()` removes every listener it added.
 *
 * Why not `AbortSignal.any`: it keeps every derived signal alive on its sources, a leak when the
 * source is a long-lived signal (a task's, the shutdown signal) and calls are many.
 *
 * @example
 * const link = new AbortLink(coordinator.shutdownSignal, callerSignal);
 * try {
 *   await fetch(url, { signal: link.signal });
 * } finally {
 *   link.dispose();
 * }
 */
export class AbortLink implements Disposable {
  private readonly controller = new AbortController();
  private readonly sources: AbortSignal[] = [];
  private readonly follow = (event: Event): void => {
    this.abort((event.target as AbortSignal).reason);
  };

  constructor(...sources: (AbortSignal | undefined)[]) {
    for (const source of sources) {
      if (source === undefined) continue;
      if (source.aborted) {
        this.abort(source.reason);
        break;
      }
      source.addEventListener('abort', this.follow, { once: true });
      this.sources.push(source);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the linked signal (first reason wins) and stops listening to the sources. */
  abort(reason: unknown): void {
    this.dispose();
    this.controller.abort(reason);
  }

  /** Removes the listeners from the sources; the linked signal keeps its state. */
  dispose(): void {
    for (const source of this.sources) source.removeEventListener('abort', this.follow);
    this.sources.length = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
