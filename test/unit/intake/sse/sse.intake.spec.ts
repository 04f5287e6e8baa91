import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { registerSseIntake } from '../../../../lib/intake/sse/sse-intake.registry.js';
import type { SseIntake } from '../../../../lib/intake/sse/sse.intake.js';
import { deferred, type TestDeferred } from '../../../support/deferred.js';
import { RecordingLogger } from '../../../support/recording-logger.js';

const PHASES = { gracefulMs: 4000, forcefulMs: 500, terminateMs: 500 };

describe('SseIntake: long-lived responses end at intake close, spread over the window', () => {
  let coordinator: LifecycleCoordinator;
  let intake: SseIntake;
  let logger: RecordingLogger;
  let ended: string[];
  let busy: TestDeferred;

  /**
   * In an application each stream is an HTTP request, a task the shutdown waits for; here one
   * task that ignores its signal keeps the shutdown running while the spread goes on.
   */
  function keepShutdownRunning(on: LifecycleCoordinator): void {
    on.createTask(() => busy.promise, { name: 'request-like' });
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    jest.setSystemTime(0);
    logger = new RecordingLogger();
    coordinator = new LifecycleCoordinator({
      phases: PHASES,
      drainDelayMs: 500,
      progressIntervalMs: 0,
      logger: false,
    });
    intake = registerSseIntake(coordinator, { retryMs: 1000, spreadMs: 600 }, logger);
    ended = [];
    busy = deferred();
    keepShutdownRunning(coordinator);
  });

  afterEach(async () => {
    busy.resolve();
    // Whatever a test left open, the shutdown ends it; every timer is released.
    const done = coordinator.shutdown();
    await jest.runAllTimersAsync();
    await done;
  });

  const open = (name: string, kind: 'stream' | 'poll' = 'stream') =>
    intake.hold(kind, () => ended.push(`${name}@${Date.now()}`));

  it('leaves them alone during the drain, then ends them one after another over the window', async () => {
    open('a');
    open('b', 'poll');
    open('c');
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(499);
    expect(ended).toEqual([]); // the drain: the load balancer may still send reconnections here
    await jest.advanceTimersByTimeAsync(1);
    expect(ended).toEqual(['a@500']);
    await jest.advanceTimersByTimeAsync(400);
    expect(ended).toEqual(['a@500', 'b@700', 'c@900']);
    busy.resolve();
    await done;
    expect(coordinator.getReport()?.intakes.sse).toEqual({
      openAtStart: 3,
      streamsEnded: 2,
      pollsAnswered: 1,
      openedAfterClose: 0,
      endedAtForceful: 0,
    });
  });

  it('ends one opened after intake closed at once', async () => {
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(500);
    open('late');
    expect(ended).toEqual(['late@500']);
    busy.resolve();
    await done;
    expect(coordinator.getReport()?.intakes.sse).toMatchObject({
      openAtStart: 0,
      streamsEnded: 1,
      openedAfterClose: 1,
    });
  });

  it('never ends one released before its turn (the client left, the producer completed)', async () => {
    open('a');
    const release = open('b');
    open('c');
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(500);
    release();
    await jest.advanceTimersByTimeAsync(600);
    expect(ended).toEqual(['a@500', 'c@900']);
    busy.resolve();
    await done;
    expect(coordinator.getReport()?.intakes.sse).toMatchObject({ streamsEnded: 2 });
  });

  it('ends what the spread has not reached when FORCEFUL begins', async () => {
    open('a');
    open('b');
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(500);
    expect(ended).toEqual(['a@500']);
    coordinator.escalate();
    expect(ended).toEqual(['a@500', 'b@500']);
    await jest.advanceTimersByTimeAsync(300);
    expect(ended).toEqual(['a@500', 'b@500']);
    busy.resolve();
    await done;
    expect(coordinator.getReport()?.intakes.sse).toMatchObject({
      streamsEnded: 2,
      endedAtForceful: 1,
    });
  });

  it('ends whatever is left when the shutdown ends: nothing stays open past it', async () => {
    open('a');
    open('b');
    open('c');
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(500);
    expect(ended).toEqual(['a@500']);
    busy.resolve();
    await done;
    expect(ended).toEqual(['a@500', 'b@500', 'c@500']);
  });

  it('spreads over at most a quarter of GRACEFUL', async () => {
    const short = new LifecycleCoordinator({
      phases: { gracefulMs: 400, forcefulMs: 100, terminateMs: 100 },
      progressIntervalMs: 0,
      logger: false,
    });
    const spread = registerSseIntake(short, { retryMs: 1000, spreadMs: 10_000 });
    keepShutdownRunning(short);
    for (const name of ['a', 'b']) spread.hold('stream', () => ended.push(`${name}@${Date.now()}`));
    const done = short.shutdown();
    await jest.advanceTimersByTimeAsync(50);
    expect(ended).toEqual(['a@0', 'b@50']);
    busy.resolve();
    await done;
  });

  it('logs an end that throws, and still ends the others', async () => {
    intake.hold('stream', () => {
      throw new Error('downstream broke');
    });
    open('b');
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(800);
    expect(ended).toEqual(['b@800']);
    expect(logger.messages('warn')).toEqual([
      'Ending a long-lived stream failed: Error: downstream broke',
    ]);
    busy.resolve();
    await done;
  });

  it('is registered once per coordinator: the module option reconfigures a lazy one', () => {
    expect(registerSseIntake(coordinator, { retryMs: 5000, spreadMs: 0 })).toBe(intake);
    expect(intake.retryMs).toBe(5000);
  });
});
