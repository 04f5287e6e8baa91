import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { spreadWindowMs, StaggeredClose } from '../../../lib/intake/staggered-close.js';

describe('StaggeredClose', () => {
  let acted: string[];
  let stagger: StaggeredClose<string>;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    acted = [];
    stagger = new StaggeredClose<string>((item) => acted.push(`${item}@${Date.now() % 100_000}`));
    jest.setSystemTime(0);
  });

  afterEach(() => stagger.stop());

  it('acts on the first item at once and on the others evenly over the window', async () => {
    stagger.start(['a', 'b', 'c', 'd'], 400);
    expect(acted).toEqual(['a@0']);
    await jest.advanceTimersByTimeAsync(99);
    expect(acted).toEqual(['a@0']);
    await jest.advanceTimersByTimeAsync(1);
    expect(acted).toEqual(['a@0', 'b@100']);
    await jest.advanceTimersByTimeAsync(200);
    expect(acted).toEqual(['a@0', 'b@100', 'c@200', 'd@300']);
    expect(stagger.pending).toBe(false);
  });

  it('skips an item removed before its turn', async () => {
    stagger.start(['a', 'b', 'c'], 300);
    stagger.remove('b');
    await jest.advanceTimersByTimeAsync(300);
    expect(acted).toEqual(['a@0', 'c@200']);
  });

  it('flush acts on every item not reached yet, now, and releases its timer', async () => {
    stagger.start(['a', 'b', 'c'], 300);
    await jest.advanceTimersByTimeAsync(150);
    stagger.flush();
    expect(acted).toEqual(['a@0', 'b@100', 'c@150']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stop forgets the items not reached and resolves idle()', async () => {
    stagger.start(['a', 'b'], 1000);
    const idle = stagger.idle();
    stagger.stop();
    await idle;
    await jest.advanceTimersByTimeAsync(1000);
    expect(acted).toEqual(['a@0']);
  });

  it('idle() resolves once the last item had its turn, at once when nothing waits', async () => {
    await stagger.idle();
    stagger.start(['a', 'b'], 200);
    let idle = false;
    void stagger.idle().then(() => (idle = true));
    await jest.advanceTimersByTimeAsync(99);
    expect(idle).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(idle).toBe(true);
  });

  it('acts on everything at once with a window of 0', () => {
    stagger.start(['a', 'b'], 0);
    expect(acted).toEqual(['a@0', 'b@0']);
  });
});

describe('spreadWindowMs', () => {
  it('is spreadMs, at most a quarter of the GRACEFUL budget', () => {
    expect(spreadWindowMs(1000, 30_000)).toBe(1000);
    expect(spreadWindowMs(1000, 2000)).toBe(500);
    expect(spreadWindowMs(0, 2000)).toBe(0);
  });
});
