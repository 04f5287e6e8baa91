import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Subject } from 'rxjs';
import type { IntakeHandle } from '../../../../lib/core/intake.interface.js';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import type { LifecycleEvent } from '../../../../lib/core/lifecycle-event.interface.js';
import { ShutdownPhase } from '../../../../lib/core/shutdown-phase.enum.js';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import { watchWaveEnd } from '../../../../lib/intake/http/wave-end.watch.js';
import { deferred, flushMicrotasks, untilAborted } from '../../../support/deferred.js';

const { CRITICAL, HIGH, LOW } = TaskPriority;

describe('watchWaveEnd', () => {
  describe('on the events alone', () => {
    const at = 0;
    const wave = (index: number): LifecycleEvent => ({
      type: 'wave',
      wave: index,
      phase: ShutdownPhase.GRACEFUL,
      tasks: 0,
      hooks: 0,
      at,
    });
    const hook = (outcome?: 'ok'): LifecycleEvent => ({
      type: 'hook',
      name: 'pool',
      priority: CRITICAL,
      ...(outcome === undefined ? {} : { outcome }),
      at,
    });

    it('ends at the first hook started once the wave began, at a later wave, or at TERMINATE', () => {
      const cases: [LifecycleEvent[], number][] = [
        [[wave(0), hook(), wave(3)], 0], // a hook of an earlier wave: still open
        [[wave(3), hook('ok')], 0], // a hook ending is not one starting
        [[wave(3), hook()], 1],
        [[wave(2), wave(4)], 1],
        [[{ type: 'phase', phase: ShutdownPhase.TERMINATE, by: 'budget', at }], 1],
        [[{ type: 'phase', phase: ShutdownPhase.FORCEFUL, by: 'budget', at }], 0],
        [[wave(4), wave(5), hook()], 1], // once only
      ];
      for (const [events, expected] of cases) {
        const subject = new Subject<LifecycleEvent>();
        const onEnd = jest.fn();
        const watch = watchWaveEnd(subject, HIGH, onEnd);
        for (const event of events) subject.next(event);
        watch.unsubscribe();
        expect([events, onEnd.mock.calls.length]).toEqual([events, expected]);
      }
    });
  });

  describe('on a real shutdown', () => {
    let coordinator: LifecycleCoordinator;
    let handle: IntakeHandle;

    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
      coordinator = new LifecycleCoordinator({
        phases: { gracefulMs: 1000, forcefulMs: 300, terminateMs: 200 },
        progressIntervalMs: 0,
      });
      handle = coordinator.registerIntake({ name: 'http' });
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it('fires exactly when a unit of work of the priority can no longer be admitted', async () => {
      const log: string[] = [];
      const low = deferred();
      coordinator.createTask(
        async ({ signal }) => {
          await untilAborted(signal).catch(() => undefined);
          await low.promise;
        },
        { name: 'low', priority: LOW },
      );
      const request = deferred();
      void handle.admit(() => request.promise, { name: 'GET /a', priority: HIGH });
      coordinator.registerShutdownHook('pool', () => void log.push('pool hook'), {
        priority: CRITICAL,
      });
      const watch = watchWaveEnd(coordinator.events$, HIGH, () => {
        // At that instant the HTTP wave refuses new work, and nothing after it has run yet.
        const admitted = handle.admit(() => undefined, { priority: HIGH }) !== undefined;
        log.push(`ended; admits: ${String(admitted)}`);
      });

      const done = coordinator.shutdown();
      await flushMicrotasks();
      // The LOW wave is still stopping: requests still join the HIGH wave.
      expect(handle.admit(() => undefined, { name: 'GET /b', priority: HIGH })).toBeDefined();
      low.resolve();
      await flushMicrotasks();
      expect(log).toEqual([]); // the HIGH wave waits for GET /a
      request.resolve();
      await done;
      watch.unsubscribe();
      expect(log).toEqual(['ended; admits: false', 'pool hook']);
    });

    it('fires at TERMINATE when the last wave was forced and something still hangs', async () => {
      const onEnd = jest.fn();
      void handle.admit(() => new Promise(() => undefined), { name: 'hang', priority: HIGH });
      const watch = watchWaveEnd(coordinator.events$, HIGH, onEnd);
      const done = coordinator.shutdown();
      // FORCEFUL forces the HIGH wave, the last one: the run settles, waiting for the task, and
      // emits nothing (the intake hears of it from a refused request, or at shutdownEnded).
      await jest.advanceTimersByTimeAsync(1000);
      expect(onEnd).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(300); // TERMINATE
      expect(onEnd).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(200);
      await done;
      watch.unsubscribe();
      expect(onEnd).toHaveBeenCalledTimes(1);
    });
  });
});
