import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { CancelledError } from '../../../../lib/core/cancelled.error.js';
import { CircuitBreakerRegistry } from '../../../../lib/primitives/resilience/circuit-breaker.registry.js';
import { DuplicateCircuitBreakerError } from '../../../../lib/primitives/resilience/duplicate-circuit-breaker.error.js';
import { LifecycleCircuitBreaker } from '../../../../lib/primitives/resilience/lifecycle-circuit-breaker.js';

describe('CircuitBreakerRegistry', () => {
  let shutdown: AbortController;
  let registry: CircuitBreakerRegistry;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    shutdown = new AbortController();
    registry = new CircuitBreakerRegistry({ consecutiveFailures: 1, signal: shutdown.signal });
  });

  afterEach(() => {
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });

  it('creates named breakers and finds them by name', () => {
    const payments = registry.create('payments');
    expect(payments).toBeInstanceOf(LifecycleCircuitBreaker);
    expect(payments.name).toBe('payments');
    expect(registry.get('payments')).toBe(payments);
    expect(registry.get('search')).toBeUndefined();
  });

  it('refuses a duplicate name with an error naming the breaker', () => {
    registry.create('payments');
    expect(() => registry.create('payments')).toThrow(DuplicateCircuitBreakerError);
    expect(() => registry.create('payments')).toThrow(
      'A circuit breaker named "payments" already exists in this registry',
    );
  });

  it('reports every state by name, in creation order, in a fresh object', async () => {
    registry.create('payments');
    const search = registry.create('search', { consecutiveFailures: 2 });
    registry.create('mail').policy.isolate();
    await search.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(registry.states()).toEqual({ payments: 'closed', search: 'closed', mail: 'isolated' });
    await search.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const states = registry.states();
    expect(Object.entries(states)).toEqual([
      ['payments', 'closed'],
      ['search', 'open'],
      ['mail', 'isolated'],
    ]);
    states.search = 'closed';
    expect(registry.states().search).toBe('open');
  });

  it("applies its defaults, a breaker's own options winning", async () => {
    const strict = registry.create('strict');
    const lenient = registry.create('lenient', { consecutiveFailures: 3 });
    for (const breaker of [strict, lenient]) {
      await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    }
    expect(registry.states()).toEqual({ strict: 'open', lenient: 'closed' });
    const reason = new CancelledError('shutting down');
    shutdown.abort(reason);
    await expect(lenient.execute(() => 'late')).rejects.toBe(reason);
  });

  it('keeps no global state: registries are independent', () => {
    registry.create('payments');
    const other = new CircuitBreakerRegistry();
    expect(() => other.create('payments')).not.toThrow();
    expect(other.states()).toEqual({ payments: 'closed' });
    expect(new CircuitBreakerRegistry().states()).toEqual({});
  });
});
