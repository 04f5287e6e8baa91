import { expect, jest } from '@jest/globals';
import { getEventListeners } from 'node:events';

/** No abort listener is left on `signal` (a long-lived signal must not accumulate them). */
export function expectNoAbortListeners(signal: AbortSignal): void {
  expect(getEventListeners(signal, 'abort')).toHaveLength(0);
}

/** No fake timer is pending. */
export function expectNoTimers(): void {
  expect(jest.getTimerCount()).toBe(0);
}
