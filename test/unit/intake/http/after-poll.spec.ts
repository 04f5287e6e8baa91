import { describe, expect, it } from '@jest/globals';
import { AfterPoll } from '../../../../lib/intake/http/after-poll.js';

/** Blocks the event loop, as a busy machine does. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Resolves after two more turns of the event loop (two check phases). */
function twoTurns(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

describe('AfterPoll', () => {
  it('runs the check in the check phase of the same turn when the loop did not stall', async () => {
    const ran: string[] = [];
    // A threshold no descheduling of this process on a busy machine reaches.
    const check = new AfterPoll(() => ran.push('check'), 10_000);
    check.request();
    setImmediate(() => ran.push('queued after'));
    await twoTurns();
    expect(ran).toEqual(['check', 'queued after']);
  });

  it('waits one more turn — one more poll phase — when the loop stalled after it was asked', async () => {
    const ran: string[] = [];
    const check = new AfterPoll(() => ran.push('check'), 20);
    check.request();
    stall(60);
    setImmediate(() => ran.push('queued after'));
    await twoTurns();
    expect(ran).toEqual(['queued after', 'check']);
  });

  it('makes one check of several requests, passes the time it runs, and drops a cancelled one', async () => {
    const times: number[] = [];
    const check = new AfterPoll((now) => times.push(now), 10_000);
    const asked = performance.now();
    check.request();
    check.request();
    await twoTurns();
    expect(times).toHaveLength(1);
    expect(times[0]).toBeGreaterThanOrEqual(asked);

    check.request();
    check.cancel();
    await twoTurns();
    expect(times).toHaveLength(1);
  });
});
