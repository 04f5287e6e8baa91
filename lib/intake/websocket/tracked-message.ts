import { createDeferred } from '../../core/deferred.js';

/** `syncError` when the handler did not throw. */
const NONE: unique symbol = Symbol('none');

/**
 * One gateway message admitted as a managed task: the task runs the handler, then lasts until
 * the adapter has sent what the handler returned (or the connection dropped it) — the reply is
 * part of the work, so the connection is not closed before it leaves.
 *
 * @example
 * const message = new TrackedMessage((settled) => count(settled));
 * coordinator.createTask(() => message.run(() => handler(data)));
 * // the adapter sends message.result, then calls message.finish(true)
 */
export class TrackedMessage {
  /** What the handler returned: the adapter turns it into the reply. */
  result: unknown = undefined;
  private syncError: unknown = NONE;
  private readonly done = createDeferred<void>();
  private finished = false;

  /** @param onFinish told once, with whether the reply stream completed (or the connection dropped it). */
  constructor(private readonly onFinish: (settled: boolean) => void) {}

  /** The task's body: calls the handler in the task's context, and ends when `finish` is called. */
  run(invoke: () => unknown): Promise<void> {
    try {
      this.result = invoke();
    } catch (error) {
      this.syncError = error;
      this.finish(false);
      throw error;
    }
    return this.done.promise;
  }

  /** The handler threw synchronously: the adapter must see the same error as without us. */
  rethrowSyncError(): void {
    if (this.syncError !== NONE) throw this.syncError;
  }

  /** The reply stream ended: completed or failed (`settled`), or unsubscribed (the client left). */
  finish(settled: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish(settled);
    this.done.resolve();
  }
}
