import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Observable, Subject, type Subscription } from 'rxjs';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import {
  endOnShutdown,
  type SseEvent,
} from '../../../../lib/intake/sse/end-on-shutdown.operator.js';
import { registerSseIntake } from '../../../../lib/intake/sse/sse-intake.registry.js';
import { deferred, type TestDeferred } from '../../../support/deferred.js';

describe('endOnShutdown()', () => {
  let coordinator: LifecycleCoordinator;
  let busy: TestDeferred;
  let source: Subject<SseEvent>;
  let received: (SseEvent | string)[];
  let completed: boolean;
  let subscription: Subscription | undefined;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    coordinator = new LifecycleCoordinator({
      drainDelayMs: 200,
      phases: { gracefulMs: 4000, forcefulMs: 500, terminateMs: 500 },
      progressIntervalMs: 0,
      logger: false,
    });
    busy = deferred();
    // Stands for the HTTP request a stream is: the shutdown waits for it.
    coordinator.createTask(() => busy.promise, { name: 'request-like' });
    source = new Subject<SseEvent>();
    received = [];
    completed = false;
  });

  afterEach(async () => {
    subscription?.unsubscribe();
    subscription = undefined;
    busy.resolve();
    const done = coordinator.shutdown();
    await jest.runAllTimersAsync();
    await done;
  });

  function subscribe(stream: Observable<SseEvent | string>): void {
    subscription = stream.subscribe({
      next: (event) => received.push(event),
      complete: () => (completed = true),
    });
  }

  it('mirrors the stream during the drain, then ends it at intake close with a retry: hint', async () => {
    registerSseIntake(coordinator, { retryMs: 2500, spreadMs: 0 });
    subscribe(source.pipe(endOnShutdown(coordinator)));
    source.next({ id: '7', data: 'before' });
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(100);
    source.next({ id: '8', data: 'during the drain' });
    expect(completed).toBe(false);
    await jest.advanceTimersByTimeAsync(100);
    // The last event repeats the last id: the reconnection's Last-Event-ID stays what it was.
    expect(received).toEqual([
      { id: '7', data: 'before' },
      { id: '8', data: 'during the drain' },
      { id: '8', retry: 2500 },
    ]);
    expect(completed).toBe(true);
    expect(source.observed).toBe(false); // the producer was unsubscribed
    expect(coordinator.getReport()?.intakes.sse).toMatchObject({ openAtStart: 1, streamsEnded: 1 });
  });

  it('sends a bare retry: when the source never set ids, and takes a retryMs of its own', async () => {
    subscribe(source.pipe(endOnShutdown(coordinator, { retryMs: 300 })));
    source.next({ data: 'no id' });
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(200);
    expect(received).toEqual([{ data: 'no id' }, { retry: 300 }]);
  });

  it('uses the default retry hint (1 s) without the module', async () => {
    subscribe(new Subject<string>().pipe(endOnShutdown(coordinator)));
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(200);
    expect(received).toEqual([{ retry: 1000 }]);
  });

  it('ends a stream opened after intake closed at once', async () => {
    registerSseIntake(coordinator, { retryMs: 1000, spreadMs: 1000 }); // as the module does
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(200);
    subscribe(source.pipe(endOnShutdown(coordinator)));
    expect(received).toEqual([{ retry: 1000 }]);
    expect(completed).toBe(true);
    expect(source.observed).toBe(false);
    expect(coordinator.getReport()?.intakes.sse).toMatchObject({ openedAfterClose: 1 });
  });

  it('lets the stream go when it ends first: completed, failed, or the client left', async () => {
    const completing = new Subject<SseEvent>();
    const failing = new Subject<SseEvent>();
    subscribe(completing.pipe(endOnShutdown(coordinator)));
    const errors: unknown[] = [];
    failing.pipe(endOnShutdown(coordinator)).subscribe({ error: (e: unknown) => errors.push(e) });
    const left = source.pipe(endOnShutdown(coordinator)).subscribe();
    completing.complete();
    failing.error(new Error('feed down'));
    left.unsubscribe();
    void coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(200);
    expect(completed).toBe(true);
    expect(received).toEqual([]);
    expect(errors).toEqual([new Error('feed down')]);
    expect(coordinator.getReport()?.intakes.sse).toMatchObject({ openAtStart: 0, streamsEnded: 0 });
  });

  it('ends a stream at once on a coordinator whose shutdown began before any stream', async () => {
    const late = new LifecycleCoordinator({ drainDelayMs: 1000, progressIntervalMs: 0 });
    const done = late.shutdown();
    subscribe(source.pipe(endOnShutdown(late)));
    expect(received).toEqual([{ retry: 1000 }]);
    await jest.runAllTimersAsync();
    await done;
  });

  it.each([
    ['a missing coordinator', undefined, {}, 'Invalid option coordinator = undefined'],
    ['a bad retryMs', 'coordinator', { retryMs: -1 }, 'Invalid option retryMs = -1'],
    ['an unknown option', 'coordinator', { retry: 1 }, 'Unknown option retry = 1'],
  ])('throws where the route is built for %s', (_what, which, options, message) => {
    const target = which === 'coordinator' ? coordinator : (undefined as never);
    expect(() => endOnShutdown(target, options as never)).toThrow(message);
  });
});
