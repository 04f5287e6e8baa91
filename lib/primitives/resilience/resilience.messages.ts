/** Every user-facing message of the resilience helpers, as small factories. */
export const ResilienceMessages = {
  circuitOpen: (name: string, halfOpenAfterMs: number) =>
    `Circuit breaker "${name}" is open: calls are refused until it lets a trial call through, ` +
    `${halfOpenAfterMs} ms after it opened`,
  duplicateBreaker: (name: string) =>
    `A circuit breaker named "${name}" already exists in this registry; breaker names must be unique`,
} as const;
