import {
  EventEmitter,
  ExponentialBackoff,
  type Event as PolicyEvent,
  type FailureReason,
  type IBackoff,
  type IBackoffFactory,
  type IFailureEvent,
  type IPolicy,
  type IRetryBackoffContext,
  type IRetryContext,
  type ISuccessEvent,
} from 'cockatiel';
import { isCancellation } from '../../core/cancellation.js';
import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import { checkDuration } from '../../core/lifecycle-options.validator.js';
import { abortableDelay } from '../abortable-delay.js';
import { linkCallSignal } from './call-signal.js';

/**
 * Options of {@link LifecycleRetry}.
 *
 * @example
 * const options: LifecycleRetryOptions = {
 *   maxAttempts: 5,
 *   initialDelayMs: 200,
 *   handle: (error) => (error as { status?: number }).status !== 400,
 *   signal: coordinator.shutdownSignal,
 * };
 */
export interface LifecycleRetryOptions {
  /** Attempts in all, the first one included; default 3. `Infinity` retries until cancelled. */
  maxAttempts?: number;
  /** Scale of the delays: the first retry waits about this long, later ones ~double; default 100. */
  initialDelayMs?: number;
  /** Cap of any backoff delay; default 10_000. */
  maxDelayMs?: number;
  /**
   * Whether a failure is worth another attempt; default every error. Cancellations never are. A
   * `handle` that throws (reading a property of a hostile error, say) counts as `false`: the
   * failure is not retried and the call rejects with it unchanged.
   */
  handle?: (error: unknown) => boolean;
  /** Stops every call, attempts and backoff sleeps alike; typically `coordinator.shutdownSignal`. */
  signal?: AbortSignal;
}

/**
 * What each attempt receives: cockatiel's `IRetryContext`.
 *
 * @example
 * await retry.execute(({ signal, attempt }) => {
 *   logger.debug(`sync, attempt ${attempt + 1}`);
 *   return sync(signal);
 * });
 */
export interface LifecycleRetryContext extends IRetryContext {
  /** Aborted when the call is cancelled (shutdown, caller's signal, managed task). */
  readonly signal: AbortSignal;
  /** 0 for the first attempt, 1 for the first retry, … (cockatiel's numbering). */
  readonly attempt: number;
}

/** What `onRetry` receives: the failure, the backoff delay about to start, the retry's number. */
export type RetryEvent = FailureReason<unknown> & { delay: number; attempt: number };

/**
 * Retries a call with exponential backoff and jitter, and stops the moment the application
 * shuts down. Delays come from cockatiel's `ExponentialBackoff` with its default generator,
 * decorrelated jitter (Polly's "DecorrelatedJitterV2"), so clients that failed together do not
 * retry together: with `initialDelayMs: 100` the median delays are about 90, 115, 200, 400,
 * 800 ms …, each spread over roughly 0 to 1.8 × its median, never more than `maxDelayMs`.
 *
 * Each call's signal aborts with the bound `signal`, the call's own `signal`, or the managed
 * task the call runs in (`currentTask()`). Then the call stops at once — during an attempt (its
 * `signal` aborts; the result of an attempt that ends anyway is kept) or during a backoff sleep
 * (the timer is cleared) — and rejects with the abort reason itself, so `isCancellation()`
 * recognises it. A call made after that rejects without running. A cancellation thrown by an
 * attempt is never retried. Nothing is left on the long-lived signals after a call.
 *
 * Why not cockatiel's `retry()`: in cockatiel 3.2.1 its backoff sleep is a bare `setTimeout`
 * that ignores the signal; after an abort it waits out the delay, then runs the function once
 * more. The attempt loop is therefore ours; the backoff and the event types are cockatiel's, and
 * the class is a cockatiel `IPolicy`, so it composes with `wrap()` like one.
 *
 * @example
 * const retry = new LifecycleRetry({ maxAttempts: 5, signal: coordinator.shutdownSignal });
 * const user = await retry.execute(({ signal }) => fetchUser(id, { signal }));
 *
 * // with a circuit breaker inside: every attempt goes through the breaker
 * const guarded = wrap(retry, breaker);
 * await guarded.execute(({ signal }) => charge(order, { signal }));
 */
export class LifecycleRetry implements IPolicy<LifecycleRetryContext> {
  /** Type-only member of cockatiel's `IPolicy`; never set. */
  declare readonly _altReturn: never;

  private readonly maxAttempts: number;
  private readonly maxDelayMs: number;
  private readonly backoff: IBackoffFactory<IRetryBackoffContext<unknown>>;
  private readonly handle: (error: unknown) => boolean;
  private readonly signal: AbortSignal | undefined;
  private readonly successEmitter = new EventEmitter<ISuccessEvent>();
  private readonly failureEmitter = new EventEmitter<IFailureEvent>();
  private readonly retryEmitter = new EventEmitter<RetryEvent>();
  private readonly giveUpEmitter = new EventEmitter<FailureReason<unknown>>();

  /**
   * Fires once a call succeeds, whatever the number of attempts it took.
   *
   * @example
   * retry.onSuccess(({ duration }) => metrics.observe('call-ms', duration));
   */
  readonly onSuccess: PolicyEvent<ISuccessEvent> = this.successEmitter.addListener;

  /**
   * Fires for every failed attempt; `handled` tells whether it may be retried.
   *
   * @example
   * retry.onFailure(({ handled, reason }) => handled || logger.warn(String(reason)));
   */
  readonly onFailure: PolicyEvent<IFailureEvent> = this.failureEmitter.addListener;

  /**
   * Fires before each backoff sleep, with the failure, the delay in ms and the retry's number.
   *
   * @example
   * retry.onRetry(({ delay, attempt }) => logger.warn(`retry ${attempt} in ${delay} ms`));
   */
  readonly onRetry: PolicyEvent<RetryEvent> = this.retryEmitter.addListener;

  /**
   * Fires when the attempts are spent, with the last failure; not on cancellation.
   *
   * @example
   * retry.onGiveUp((reason) => alerts.notify('sync gave up', reason));
   */
  readonly onGiveUp: PolicyEvent<FailureReason<unknown>> = this.giveUpEmitter.addListener;

  /** @param options validated now: a bad value throws an `InvalidLifecycleOptionError`. */
  constructor(options: LifecycleRetryOptions = {}) {
    this.maxAttempts = checkAttempts(options.maxAttempts);
    this.maxDelayMs = checkDuration('maxDelayMs', options.maxDelayMs, 10_000);
    this.backoff = new ExponentialBackoff({
      initialDelay: checkDuration('initialDelayMs', options.initialDelayMs, 100),
      maxDelay: this.maxDelayMs,
    });
    this.handle = options.handle ?? (() => true);
    this.signal = options.signal;
  }

  /**
   * Runs `fn` until it succeeds, fails with an error `handle` rejects, or the attempts are spent
   * (then rejects with the last failure). Rejects with the abort reason when the call is
   * cancelled.
   *
   * @example
   * const rows = await retry.execute(({ signal }) => db.query(sql, { signal }), request.signal);
   */
  async execute<T>(
    fn: (context: LifecycleRetryContext) => PromiseLike<T> | T,
    signal?: AbortSignal,
  ): Promise<T> {
    const link = linkCallSignal(this.signal, signal);
    try {
      return await this.attempt(fn, link.signal);
    } finally {
      link.dispose();
    }
  }

  private async attempt<T>(
    fn: (context: LifecycleRetryContext) => PromiseLike<T> | T,
    signal: AbortSignal,
  ): Promise<T> {
    let backoff: IBackoff<IRetryBackoffContext<unknown>> | undefined;
    for (let attempt = 0; ; attempt++) {
      // Level-triggered: once cancelled, no attempt starts, not even the first.
      if (signal.aborted) throw signal.reason;
      const startedAt = performance.now();
      let value: T;
      try {
        value = await fn({ signal, attempt });
      } catch (thrown) {
        // The abort wins over whatever the attempt failed with: it was told to stop.
        const error: unknown = signal.aborted ? signal.reason : thrown;
        const reason = { error: error as Error };
        const handled = !signal.aborted && !isCancellation(error) && this.worthRetrying(error);
        this.failureEmitter.emit({ duration: performance.now() - startedAt, handled, reason });
        if (!handled) throw error;
        if (attempt + 1 >= this.maxAttempts) {
          this.giveUpEmitter.emit(reason);
          throw error;
        }
        const context = { attempt: attempt + 1, signal, result: reason };
        backoff = backoff === undefined ? this.backoff.next(context) : backoff.next(context);
        const delay = safeDelay(backoff.duration, this.maxDelayMs);
        this.retryEmitter.emit({ ...reason, delay, attempt: attempt + 1 });
        // Abortable: shutdown must not wait out a backoff delay, nor leave its timer behind.
        await abortableDelay(delay, signal);
        continue;
      }
      // Outside the try: a throwing onSuccess listener must not count as a failed attempt.
      this.successEmitter.emit({ duration: performance.now() - startedAt });
      return value;
    }
  }

  private worthRetrying(error: unknown): boolean {
    try {
      return this.handle(error);
    } catch {
      // An error that cannot be classified is not retried: the call rejects with it unchanged.
      return false;
    }
  }
}

/**
 * A backoff delay a timer can take. Cockatiel's decorrelated jitter overflows to
 * `Infinity × initialDelayMs` after about 1024 retries: `NaN` when `initialDelayMs` is 0, where
 * every delay is 0 (a timer would fire NaN after 1 ms; abortableDelay refuses it).
 */
function safeDelay(duration: number, maxDelayMs: number): number {
  if (Number.isNaN(duration)) return 0;
  return Math.min(Math.max(duration, 0), maxDelayMs);
}

function checkAttempts(value: unknown): number {
  if (value === undefined) return 3;
  if (value !== Infinity && !(Number.isSafeInteger(value) && (value as number) >= 1)) {
    throw InvalidLifecycleOptionError.invalid('maxAttempts', value, 'an integer >= 1 or Infinity');
  }
  return value as number;
}
