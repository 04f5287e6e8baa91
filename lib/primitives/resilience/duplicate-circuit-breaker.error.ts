import { ResilienceMessages } from './resilience.messages.js';

/**
 * A {@link CircuitBreakerRegistry} was asked to create a breaker under a name it already holds.
 *
 * @example
 * registry.create('payments');
 * registry.create('payments'); // throws DuplicateCircuitBreakerError
 */
export class DuplicateCircuitBreakerError extends Error {
  readonly isDuplicateCircuitBreakerError = true as const;
  override readonly name: string = 'DuplicateCircuitBreakerError';

  constructor(readonly breakerName: string) {
    super(ResilienceMessages.duplicateBreaker(breakerName));
  }
}
