import { afterEach, expect, jest } from '@jest/globals';

function fakeTimersInstalled(): boolean {
  return typeof (globalThis.setTimeout as unknown as { clock?: unknown }).clock === 'object';
}

// Every timer that code under test starts must be released by the time the test ends.
afterEach(() => {
  if (!fakeTimersInstalled()) return;
  const pending = jest.getTimerCount();
  jest.useRealTimers();
  expect(pending).toBe(0);
});
