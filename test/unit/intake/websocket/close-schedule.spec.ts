import { describe, expect, it } from '@jest/globals';
import { closeSchedule } from '../../../../lib/intake/websocket/close-schedule.js';

describe('closeSchedule', () => {
  it('spreads the closes evenly from 0 to the end of the window', () => {
    expect(closeSchedule(5, 1000, 1000)).toEqual([0, 250, 500, 750, 1000]);
  });

  it('keeps a few closes at most maxIntervalMs apart instead of stretching them over the window', () => {
    expect(closeSchedule(3, 30_000, 10)).toEqual([0, 10, 20]);
  });

  it('closes many within the window, however many there are', () => {
    const offsets = closeSchedule(10_000, 15_000, 10);
    expect(offsets[offsets.length - 1]).toBeCloseTo(15_000);
    expect(offsets[1]).toBeCloseTo(1.5);
  });

  it('closes one at once, and none for none', () => {
    expect(closeSchedule(1, 1000, 10)).toEqual([0]);
    expect(closeSchedule(0, 1000, 10)).toEqual([]);
  });
});
