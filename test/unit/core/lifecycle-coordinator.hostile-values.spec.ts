import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import type { ShutdownReport } from '../../../lib/core/shutdown-report.interface.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { TaskOptions } from '../../../lib/core/task.interface.js';
import { untilAborted } from '../../support/deferred.js';
import { expectNoTimers } from '../../support/leak-checks.js';
import { ProcessFaults } from '../../support/process-faults.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import {
  causeCycle,
  hostileCause,
  revokedProxy,
  throwingGetters,
  throwingProxy,
} from '../primitives/support/hostile-values.js';

/*
 * DESIGN §7: "a value thrown or rejected that is hostile (a getter or toString that throws, a
 * Proxy, a cause cycle): described safely, recorded; the shutdown still ends". Each value below
 * is thrown or rejected by a task, its cleanup, its onError, or a shutdown hook; the shutdown
 * must resolve, record a failure (never "abandoned"), give a report JSON can serialise, and
 * leave no unhandled rejection nor uncaught exception behind.
 */

/** Hostile values that are not cancellations (a cancellation is not a failure). */
const HOSTILE: readonly (readonly [string, () => unknown])[] = [
  ['an error whose getters throw', throwingGetters],
  ['a Proxy whose traps throw', throwingProxy],
  ['a revoked Proxy', revokedProxy],
  ['a cause cycle', causeCycle],
  ['an error with a hostile cause', hostileCause],
];

describe('LifecycleCoordinator — hostile values from user code', () => {
  let coordinator: LifecycleCoordinator;
  let logger: RecordingLogger;
  let faults: ProcessFaults;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    logger = new RecordingLogger();
    coordinator = new LifecycleCoordinator({
      logger,
      progressIntervalMs: 0,
      phases: { gracefulMs: 1000, forcefulMs: 500, terminateMs: 200 },
    });
    faults = new ProcessFaults().start();
  });

  afterEach(() => faults.stop());

  /** Runs the shutdown to its end, then checks what every case must hold. */
  async function shutdown(): Promise<ShutdownReport> {
    const done = coordinator.shutdown({ reason: 'test' });
    await jest.advanceTimersByTimeAsync(5000);
    const report = await done;
    expectNoTimers();
    jest.useRealTimers();
    await faults.settle();
    expect(faults.faults).toEqual([]);
    expect(() => JSON.stringify(report)).not.toThrow();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    return report;
  }

  /** A task that rejects with `value` once its signal aborts. */
  function rejectingOnAbort(value: unknown, options: TaskOptions = {}): void {
    coordinator.createTask(
      async (ctx) => {
        await untilAborted(ctx.signal).catch(() => undefined);
        throw value;
      },
      { name: 'hostile', ...options },
    );
  }

  it.each(HOSTILE)('a task rejecting with %s is failed, described, reported', async (_, make) => {
    rejectingOnAbort(make());
    const report = await shutdown();
    expect(report.tasks).toMatchObject([{ name: 'hostile', state: TaskState.FAILED }]);
    expect(report).toMatchObject({ failed: 1, abandoned: 0, outcome: 'clean' });
    expect(typeof report.tasks[0].error).toBe('string');
    expect(logger.messages('error')).toEqual([expect.stringMatching(/^Task "hostile" failed: /)]);
  });

  it.each(HOSTILE)(
    'a task whose onError throws %s is still failed, and the handler failure logged',
    async (_, make) => {
      rejectingOnAbort(new Error('the task failed'), {
        onError: () => {
          throw make();
        },
      });
      const report = await shutdown();
      expect(report.tasks).toMatchObject([{ name: 'hostile', state: TaskState.FAILED }]);
      expect(report.tasks[0].error).toBe('Error: the task failed');
      expect(logger.messages('error')).toEqual([expect.stringMatching(/^Task "hostile" failed: /)]);
    },
  );

  it.each(HOSTILE)(
    'a task whose onError returns a promise rejecting with %s is still failed',
    async (_, make) => {
      rejectingOnAbort(new Error('the task failed'), {
        onError: () => Promise.reject(make()),
      });
      const report = await shutdown();
      expect(report.tasks).toMatchObject([{ name: 'hostile', state: TaskState.FAILED }]);
      expect(logger.messages('error')).toHaveLength(1);
    },
  );

  it.each([
    ['a Proxy whose traps throw', throwingProxy],
    ['a revoked Proxy', revokedProxy],
  ])(
    'a task whose onError returns %s (a then that cannot be read) is still failed',
    async (_, make) => {
      rejectingOnAbort(new Error('the task failed'), { onError: () => make() });
      const report = await shutdown();
      expect(report.tasks).toMatchObject([{ name: 'hostile', state: TaskState.FAILED }]);
      expect(logger.messages('error')).toHaveLength(1);
    },
  );

  it.each([
    ['a Proxy whose traps throw', throwingProxy],
    ['a revoked Proxy', revokedProxy],
  ])(
    'a task function returning %s fails as awaiting it would, without createTask throwing',
    async (_, make) => {
      let created = false;
      const block = coordinator.createTask((ctx) => untilAborted(ctx.signal), { name: 'holder' });
      expect(() => {
        coordinator.createTask(() => make(), { name: 'hostile' });
        created = true;
      }).not.toThrow();
      expect(created).toBe(true);
      // It ended at once, before the shutdown: only the holder is left to stop.
      expect(coordinator.tasks().map((task) => task.name)).toEqual(['holder']);
      expect(logger.messages('error')).toEqual([expect.stringMatching(/^Task "hostile" failed: /)]);
      const report = await shutdown();
      expect(report.tasks).toMatchObject([{ name: 'holder', state: TaskState.CANCELLED }]);
      await expect(block).rejects.toBeDefined();
    },
  );

  it.each(HOSTILE)(
    'a task throwing %s synchronously at start fails without createTask throwing',
    async (_, make) => {
      const value = make();
      expect(() =>
        coordinator.createTask(
          () => {
            throw value;
          },
          { name: 'hostile' },
        ),
      ).not.toThrow();
      expect(logger.messages('error')).toEqual([expect.stringMatching(/^Task "hostile" failed: /)]);
      await shutdown();
    },
  );

  it.each(HOSTILE)('a cleanup throwing %s is recorded as failed', async (_, make) => {
    coordinator.createTask((ctx) => untilAborted(ctx.signal), {
      name: 'cleaned',
      cleanup: () => {
        throw make();
      },
    });
    const report = await shutdown();
    expect(report.tasks).toMatchObject([
      { name: 'cleaned', state: TaskState.CANCELLED, cleanup: { outcome: 'failed' } },
    ]);
    expect(typeof report.tasks[0].cleanup?.error).toBe('string');
  });

  it.each(HOSTILE)('a cleanup rejecting with %s is recorded as failed', async (_, make) => {
    coordinator.createTask((ctx) => untilAborted(ctx.signal), {
      name: 'cleaned',
      cleanup: () => Promise.reject(make()),
    });
    const report = await shutdown();
    expect(report.tasks[0].cleanup).toMatchObject({ outcome: 'failed', error: expect.any(String) });
  });

  it.each(HOSTILE)(
    'a hook throwing or rejecting with %s is failed; later waves still run',
    async (_, make) => {
      const later: string[] = [];
      coordinator.registerShutdownHook('throws', () => {
        throw make();
      });
      coordinator.registerShutdownHook('rejects', () => Promise.reject(make()));
      coordinator.registerShutdownHook('pool', () => void later.push('pool closed'), {
        priority: TaskPriority.CRITICAL,
      });
      const report = await shutdown();
      expect(report.hooks.map((hook) => [hook.name, hook.outcome])).toEqual([
        ['throws', 'failed'],
        ['rejects', 'failed'],
        ['pool', 'ok'],
      ]);
      expect(later).toEqual(['pool closed']);
      expect(
        report.hooks.every((hook) => hook.error === undefined || typeof hook.error === 'string'),
      ).toBe(true);
    },
  );
});
