import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  type CircuitBreakerPolicy,
  type Event as PolicyEvent,
  type IBreaker,
  type IDefaultPolicyContext,
  type IFailureEvent,
  type IPolicy,
  type ISuccessEvent,
} from 'cockatiel';
import { isCancellation } from '../../core/cancellation.js';
import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import { checkDuration } from '../../core/lifecycle-options.validator.js';
import { linkCallSignal } from './call-signal.js';
import { ResilienceMessages } from './resilience.messages.js';

/**
 * A circuit breaker's state, as the health indicator shows it: `closed` (calls pass), `open`
 * (calls are refused), `half-open` (one trial call is running), `isolated` (held open by hand
 * with `breaker.policy.isolate()`).
 *
 * @example
 * const down = Object.values(registry.states()).some((state: BreakerState) => state === 'open');
 */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

const STATE_NAMES: Readonly<Record<CircuitState, BreakerState>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * Options of {@link LifecycleCircuitBreaker}.
 *
 * @example
 * const options: LifecycleCircuitBreakerOptions = {
 *   name: 'payments',
 *   consecutiveFailures: 3,
 *   halfOpenAfterMs: 30_000,
 *   signal: coordinator.shutdownSignal,
 * };
 */
export interface LifecycleCircuitBreakerOptions {
  /** Names the breaker in its errors and in the health indicator. */
  name: string;
  /** How long the breaker stays open before it lets a trial call through; default 10_000. */
  halfOpenAfterMs?: number;
  /** Failures in a row that open the breaker; default 5. */
  consecutiveFailures?: number;
  /**
   * Another cockatiel breaker (`SamplingBreaker`, `CountBreaker`) instead of the consecutive
   * one; one instance per circuit breaker, never shared.
   */
  breaker?: IBreaker;
  /**
   * Whether an error counts as a failure; default every error. Cancellations never do. A
   * `handle` that throws (reading a property of a hostile error, say) counts as `false`; the
   * call rejects with the error unchanged.
   */
  handle?: (error: unknown) => boolean;
  /** Stops every call; typically `coordinator.shutdownSignal`. */
  signal?: AbortSignal;
}

/**
 * A named circuit breaker — cockatiel's `circuitBreaker()` with a `ConsecutiveBreaker` — that
 * lets cancellations through without counting them: a shutdown that aborts calls in flight
 * never opens it. After `consecutiveFailures` failures in a row it opens and refuses calls with
 * a `BrokenCircuitError` (cockatiel's, `isBrokenCircuitError` recognises it) naming the breaker;
 * the first call after `halfOpenAfterMs` runs as a trial: success closes it, failure opens it
 * again. Cockatiel moves from open to half-open lazily, on that call: a breaker nobody calls
 * reads `open` until then.
 *
 * Each call's signal aborts with the bound `signal`, the call's own `signal`, or the managed
 * task the call runs in; the call then rejects with the abort reason itself. An abort reason
 * that is not a cancellation (a per-call `TimeoutError`) counts as a failure. A cockatiel
 * quirk: a trial call that is cancelled closes the breaker (cockatiel treats any error it does
 * not count as a success).
 *
 * It is a cockatiel `IPolicy`: compose it with `wrap()`, or use `policy` for cockatiel's own
 * events (`onBreak`, `onReset`, `onStateChange`), `isolate()` and `toJSON()`.
 *
 * @example
 * const breaker = new LifecycleCircuitBreaker({
 *   name: 'payments',
 *   signal: coordinator.shutdownSignal,
 * });
 * try {
 *   await breaker.execute(({ signal }) => payments.charge(order, { signal }));
 * } catch (error) {
 *   if (isBrokenCircuitError(error)) return reply.code(503).send();
 *   throw error;
 * }
 */
export class LifecycleCircuitBreaker implements IPolicy<IDefaultPolicyContext> {
  /** Type-only member of cockatiel's `IPolicy`; never set. */
  declare readonly _altReturn: never;

  /**
   * The name given in the options.
   *
   * @example
   * logger.warn(`breaker ${breaker.name} is ${breaker.state}`);
   */
  readonly name: string;

  /**
   * The cockatiel policy underneath, for its events, `isolate()` and `toJSON()`. Calls made
   * on it directly skip the lifecycle binding.
   *
   * @example
   * breaker.policy.onBreak(() => logger.warn('payments breaker opened'));
   */
  readonly policy: CircuitBreakerPolicy;

  /**
   * Fires for every successful call.
   *
   * @example
   * breaker.onSuccess(({ duration }) => metrics.observe('payments-ms', duration));
   */
  readonly onSuccess: PolicyEvent<ISuccessEvent>;

  /**
   * Fires for every failed call; `handled` tells whether it counted as a failure.
   *
   * @example
   * breaker.onFailure(({ handled }) => handled && metrics.increment('payments-failures'));
   */
  readonly onFailure: PolicyEvent<IFailureEvent>;

  private readonly halfOpenAfterMs: number;
  private readonly signal: AbortSignal | undefined;

  /** @param options validated now: a bad value throws an `InvalidLifecycleOptionError`. */
  constructor(options: LifecycleCircuitBreakerOptions) {
    if (typeof options?.name !== 'string' || options.name === '') {
      throw InvalidLifecycleOptionError.invalid('name', options?.name, 'a non-empty string');
    }
    this.name = options.name;
    this.halfOpenAfterMs = checkDuration('halfOpenAfterMs', options.halfOpenAfterMs, 10_000);
    this.signal = options.signal;
    const handle = options.handle ?? (() => true);
    this.policy = circuitBreaker(
      handleWhen((error) => !isCancellation(error) && counts(handle, error)),
      {
        halfOpenAfter: this.halfOpenAfterMs,
        breaker:
          options.breaker ?? new ConsecutiveBreaker(checkFailures(options.consecutiveFailures)),
      },
    );
    this.onSuccess = this.policy.onSuccess;
    this.onFailure = this.policy.onFailure;
  }

  /**
   * `closed`, `open`, `half-open` or `isolated`; what the health indicator shows.
   *
   * @example
   * if (breaker.state === 'open') logger.warn('payments are failing');
   */
  get state(): BreakerState {
    return STATE_NAMES[this.policy.state];
  }

  /**
   * Runs `fn` through the breaker. Rejects with `fn`'s error, with a `BrokenCircuitError` while
   * the breaker is open, or with the abort reason when the call is cancelled.
   *
   * @example
   * const quote = await breaker.execute(({ signal }) => pricing.quote(cart, { signal }));
   */
  async execute<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal?: AbortSignal,
  ): Promise<T> {
    const link = linkCallSignal(this.signal, signal);
    let ran = false;
    try {
      // Refused before the breaker sees it: a call made after shutdown began counts for nothing.
      if (link.signal.aborted) throw link.signal.reason;
      return await this.policy.execute(async () => {
        ran = true;
        try {
          return await fn({ signal: link.signal });
        } catch (error) {
          // The abort wins, and reaches the breaker as such: a cancellation is not counted.
          throw link.signal.aborted ? link.signal.reason : error;
        }
      }, link.signal);
    } catch (error) {
      // Also turns cockatiel's own TaskCancelledError (a caller that waited for a trial call)
      // into the reason, which isCancellation() recognises.
      if (link.signal.aborted) throw link.signal.reason;
      // Only when refused here: a BrokenCircuitError from a breaker inside fn is not ours.
      // (cockatiel 3.2.1's isIsolatedCircuitError() tests the wrong brand: check it directly.)
      if (!ran && isBrokenCircuitError(error) && !('isIsolatedCircuitError' in error)) {
        throw new BrokenCircuitError(
          ResilienceMessages.circuitOpen(this.name, this.halfOpenAfterMs),
        );
      }
      throw error;
    } finally {
      link.dispose();
    }
  }
}

function counts(handle: (error: unknown) => boolean, error: unknown): boolean {
  try {
    return handle(error);
  } catch {
    // Inside cockatiel a throwing filter would reject the call with the filter's error instead.
    return false;
  }
}

function checkFailures(value: unknown): number {
  if (value === undefined) return 5;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw InvalidLifecycleOptionError.invalid('consecutiveFailures', value, 'an integer >= 1');
  }
  return value as number;
}
