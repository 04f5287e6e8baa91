import { AbortLink } from '../core/abort-link.js';
import { isCancellation } from '../core/cancellation.js';
import { CancelledError } from '../core/cancelled.error.js';
import { createDeferred, type Deferred } from '../core/deferred.js';
import { currentTask } from '../core/task-context.storage.js';
import { TaskGroupError } from './task-group.error.js';

/**
 * Structured concurrency: tasks spawned in a group live no longer than the group. A failing
 * task aborts its siblings; the group always waits for every task; it then rejects with a
 * `TaskGroupError` holding the real failures only (the siblings' cancellations are filtered
 * out). A group cancelled from outside — its `signal` option, or by default the current managed
 * task — aborts its tasks, waits for them, and rejects with that cancellation.
 *
 * A cancellation the group did not cause — a task or the body rejecting with one while the
 * group was not aborted (a task's own fetch aborted, a signal other than the group's) — is never
 * swallowed: it aborts the other tasks and, once they ended, the group rejects with it. A
 * cancellation wins over failures, as one from outside does. Any value may be thrown: hostile
 * ones (throwing getters, Proxies, cause cycles) are collected as they are, never read unsafely.
 *
 * @example
 * // before: Promise.all rejects at the first failure and leaves the others running
 * await Promise.all([syncUsers(), syncOrders()]);
 * // after
 * await TaskGroup.run(async (group) => {
 *   group.spawn((signal) => syncUsers(signal));
 *   group.spawn((signal) => syncOrders(signal));
 * });
 */
export class TaskGroup {
  private readonly link: AbortLink;
  private readonly failures: unknown[] = [];
  /** The first cancellation a task or the body threw while the group was not aborted. */
  private foreignCancellation: { reason: unknown } | undefined;
  private running = 0;
  private idle: Deferred<void> | undefined;
  private closed = false;

  private constructor(outer: AbortSignal | undefined) {
    this.link = new AbortLink(outer);
  }

  /**
   * Runs `body` with a new group and waits for it and every task it spawned.
   *
   * @example
   * const [users, orders] = await TaskGroup.run(async (group) =>
   *   Promise.all([group.spawn(fetchUsers), group.spawn(fetchOrders)]),
   * );
   */
  static async run<T>(
    body: (group: TaskGroup) => PromiseLike<T> | T,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const outer = options.signal ?? currentTask()?.signal;
    const group = new TaskGroup(outer);
    let result: T | undefined;
    let bodyError: { error: unknown } | undefined;
    try {
      try {
        result = await body(group);
      } catch (error) {
        bodyError = { error };
        group.fail(error);
      }
      // Tasks may spawn tasks: wait until none is left running.
      while (group.running > 0) {
        group.idle ??= createDeferred<void>();
        await group.idle.promise;
      }
    } finally {
      group.closed = true;
      group.link.dispose();
    }
    if (outer?.aborted === true) throw outer.reason;
    if (group.foreignCancellation !== undefined) throw group.foreignCancellation.reason;
    if (group.failures.length > 0) throw new TaskGroupError(group.failures);
    // Not reached while each abort of the group records its cause above; kept so that a body's
    // error can never turn into a result.
    if (bodyError !== undefined) throw bodyError.error;
    return result as T;
  }

  /** Aborted when a task fails or the group is cancelled; every task receives it. */
  get signal(): AbortSignal {
    return this.link.signal;
  }

  /**
   * Starts `fn` in the group. The returned promise settles with the task; a failure is also
   * collected for the group's `TaskGroupError`, so not awaiting it never leaves an unhandled
   * rejection. Spawning into a group that was aborted rejects at once with the abort reason.
   *
   * @example
   * const user = await group.spawn((signal) => api.getUser(id, { signal }));
   */
  spawn<T>(fn: (signal: AbortSignal) => PromiseLike<T> | T): Promise<T> {
    if (this.closed) throw new Error('TaskGroup.spawn() after the group ended');
    if (this.link.signal.aborted) return this.handled(Promise.reject(this.link.signal.reason));
    let work: Promise<T>;
    try {
      work = Promise.resolve(fn(this.link.signal));
    } catch (error) {
      work = Promise.reject(error);
    }
    this.running++;
    work.then(
      () => this.ended(),
      (error: unknown) => {
        // Counted down whatever fail() does: a task that is not counted down hangs the group.
        try {
          this.fail(error);
        } finally {
          this.ended();
        }
      },
    );
    return this.handled(work);
  }

  private fail(error: unknown): void {
    if (isCancellation(error)) {
      // Caused by the group itself (a sibling failed, or the outer signal aborted): not a failure.
      if (this.link.signal.aborted) return;
      // Caused elsewhere: the group cannot finish its work, and the cancellation must surface.
      this.foreignCancellation = { reason: error };
      this.link.abort(error);
      return;
    }
    this.failures.push(error);
    if (!this.link.signal.aborted) {
      this.link.abort(new CancelledError('Another task of the group failed', { cause: error }));
    }
  }

  private ended(): void {
    if (--this.running === 0 && this.idle !== undefined) {
      const idle = this.idle;
      this.idle = undefined;
      idle.resolve();
    }
  }

  private handled<T>(promise: Promise<T>): Promise<T> {
    promise.then(undefined, () => undefined);
    return promise;
  }
}
