import { DuplicateCircuitBreakerError } from './duplicate-circuit-breaker.error.js';
import {
  LifecycleCircuitBreaker,
  type BreakerState,
  type LifecycleCircuitBreakerOptions,
} from './lifecycle-circuit-breaker.js';

/**
 * Options every breaker of a registry starts from (a breaker's own options win). No `breaker`:
 * a cockatiel breaker instance holds one circuit's counts and cannot be shared.
 *
 * @example
 * const defaults: CircuitBreakerDefaults = { signal: coordinator.shutdownSignal };
 */
export type CircuitBreakerDefaults = Omit<LifecycleCircuitBreakerOptions, 'name' | 'breaker'>;

/**
 * Creates and keeps an application's named circuit breakers, so their states can be read in
 * one place (the health indicator). A plain class: make one per application, typically bound to
 * the coordinator's `shutdownSignal`.
 *
 * @example
 * const breakers = new CircuitBreakerRegistry({ signal: coordinator.shutdownSignal });
 * const payments = breakers.create('payments', { consecutiveFailures: 3 });
 * await payments.execute(({ signal }) => charge(order, { signal }));
 * breakers.states(); // { payments: 'closed' }
 */
export class CircuitBreakerRegistry {
  private readonly breakers = new Map<string, LifecycleCircuitBreaker>();

  constructor(private readonly defaults: CircuitBreakerDefaults = {}) {}

  /**
   * Creates a breaker named `name` and keeps it. Throws `DuplicateCircuitBreakerError` when the
   * name is taken.
   *
   * @example
   * const search = breakers.create('search', { halfOpenAfterMs: 5_000 });
   */
  create(
    name: string,
    options?: Omit<LifecycleCircuitBreakerOptions, 'name'>,
  ): LifecycleCircuitBreaker {
    if (this.breakers.has(name)) throw new DuplicateCircuitBreakerError(name);
    const breaker = new LifecycleCircuitBreaker({ ...this.defaults, ...options, name });
    this.breakers.set(name, breaker);
    return breaker;
  }

  /**
   * The breaker named `name`, or `undefined`.
   *
   * @example
   * await breakers.get('payments')?.execute(({ signal }) => refund(order, { signal }));
   */
  get(name: string): LifecycleCircuitBreaker | undefined {
    return this.breakers.get(name);
  }

  /**
   * Every breaker's state by name, in creation order; a fresh object each call.
   *
   * @example
   * const states = breakers.states(); // { payments: 'open', search: 'closed' }
   * const healthy = Object.values(states).every((state) => state !== 'open');
   */
  states(): Record<string, BreakerState> {
    const states: Record<string, BreakerState> = {};
    for (const [name, breaker] of this.breakers) states[name] = breaker.state;
    return states;
  }
}
