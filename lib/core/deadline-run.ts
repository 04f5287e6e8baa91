import { isCancellation } from './cancellation.js';
import { createDeferred, type Deferred } from './deferred.js';
import { isThenable } from './thenable.js';
import type { CallbackOutcome } from './shutdown-report.interface.js';
import { taskContextStorage } from './task-context.storage.js';
import type { TaskContext } from './task.interface.js';
import { TimeoutError } from './timeout.error.js';
import { CoreMessages } from './lifecycle.messages.js';

/** How a callback run under a deadline ended. */
export interface CallbackResult {
  readonly outcome: CallbackOutcome;
  readonly durationMs: number;
  readonly error?: unknown;
}

export interface DeadlineRunOptions {
  readonly timeoutMs: number;
  /** Names the callback in its TimeoutError: `cleanup of task "poller"`. */
  readonly what: string;
  readonly onDone: (result: CallbackResult) => void;
  /** The callback failed after its outcome was already decided (it timed out or expired). */
  readonly onLateFailure?: (error: unknown) => void;
}

/**
 * Milliseconds spent, process-wide, inside the synchronous part of callbacks run under a
 * deadline. A callback that blocks the event loop delays every other callback's settlement; the
 * time it spent is subtracted from theirs, so that a callback that had finished is not blamed for
 * a sibling that blocked (both started in one wave).
 */
let synchronousMsTotal = 0;

/**
 * The promise to wait for when `value` is a thenable, or `undefined` when it is a plain value.
 * Never throws: a `then` (or a promise's `constructor`) that cannot be read gives a promise
 * rejected with what the read threw, as `await value` would.
 */
function awaitable(value: unknown): Promise<unknown> | undefined {
  try {
    return isThenable(value) ? Promise.resolve(value) : undefined;
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs one callback — a task cleanup, a shutdown hook, a primitive's cleanup — with its own
 * signal and its own deadline, outside the cancellation of whatever started it. The outcome is
 * reported exactly once; a failure after the deadline goes to `onLateFailure`, never unhandled.
 * A callback that returns after its deadline (sync or async: it blocked the event loop, so the
 * deadline's timer never got to run) is a `timeout`, not `ok`.
 */
export class DeadlineRun {
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private settled = false;
  private expiredWith: TimeoutError | undefined;
  private expiry: Deferred<unknown> | undefined;
  private readonly startedAt = performance.now();
  /** `synchronousMsTotal` once this callback's own synchronous part returned. */
  private othersFrom: number | undefined;

  constructor(private readonly options: DeadlineRunOptions) {}

  /** The callback's own signal, aborted with a TimeoutError at its deadline; made on first read. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Level-triggered: a callback that reads its signal after expiry sees it aborted.
      if (this.expiredWith !== undefined) this.controller.abort(this.expiredWith);
    }
    return this.controller.signal;
  }

  /** The deadline has passed (or an outer budget ended): what a hook's `ctx.stopping` reads. */
  get stopping(): boolean {
    return this.expiredWith !== undefined;
  }

  /** Resolves with the TimeoutError at the deadline; made on first read (`ctx.stopped`). */
  get stopped(): Promise<unknown> {
    if (this.expiredWith !== undefined) return Promise.resolve(this.expiredWith);
    this.expiry ??= createDeferred<unknown>();
    return this.expiry.promise;
  }

  /**
   * Runs `callback` now. It sees `context` through `currentTask()`; without one it runs
   * shielded, outside whatever task started it. Never throws, whatever the callback throws or
   * returns (a value whose `then` cannot be read fails it, as awaiting that value would).
   */
  start(callback: () => unknown, context?: TaskContext): this {
    let result: unknown;
    const calledAt = performance.now();
    try {
      result = taskContextStorage.run(context as TaskContext, callback);
    } catch (error) {
      this.finish('failed', error);
      return this;
    } finally {
      synchronousMsTotal += performance.now() - calledAt;
      this.othersFrom = synchronousMsTotal;
    }
    const pending = awaitable(result);
    if (pending === undefined) {
      this.finish('ok', undefined);
      return this;
    }
    // Observed even when it already expired (an expire() from inside the callback): its later
    // failure goes to onLateFailure, never unhandled.
    pending.then(
      () => this.finish('ok', undefined),
      (error: unknown) => this.finish('failed', error),
    );
    if (!this.settled) this.timer = setTimeout(() => this.expire(), this.options.timeoutMs);
    return this;
  }

  /**
   * Gives up now: at the deadline, or earlier when an outer budget ended (then the error carries
   * the time actually given). The outcome is `timeout`.
   */
  expire(givenMs = this.options.timeoutMs): void {
    if (this.settled) return;
    const error = new TimeoutError(Math.round(givenMs), this.options.what);
    this.expiredWith = error;
    // Abort first: the callback hears of its deadline before anything moves on without it.
    this.controller?.abort(error);
    this.expiry?.resolve(error);
    this.finish('timeout', error);
  }

  private finish(outcome: CallbackOutcome, error: unknown): void {
    if (this.settled) {
      // Rejecting with our own abort reason, or any cancellation, is the callback obeying us.
      if (outcome === 'failed' && error !== this.expiredWith && !isCancellation(error)) {
        this.options.onLateFailure?.(error);
      }
      return;
    }
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const durationMs = performance.now() - this.startedAt;
    const { timeoutMs, what } = this.options;
    // Time other callbacks held the event loop synchronously since this one returned is theirs.
    const othersMs = this.othersFrom === undefined ? 0 : synchronousMsTotal - this.othersFrom;
    if (outcome === 'ok' && durationMs - othersMs > timeoutMs) {
      // It returned after its deadline — it blocked the event loop, so the deadline's timer
      // could not run first. Over budget is a timeout, whatever the order of the callbacks.
      outcome = 'timeout';
      error = new TimeoutError(timeoutMs, CoreMessages.returnedLate(what, durationMs));
    }
    this.options.onDone(
      error === undefined ? { outcome, durationMs } : { outcome, durationMs, error },
    );
  }
}
