import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import type { ShutdownReport } from '../../../lib/core/shutdown-report.interface.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { CleanupInfo } from '../../../lib/core/task.interface.js';
import { expectNoTimers } from '../../support/leak-checks.js';
import { ProcessFaults } from '../../support/process-faults.js';
import { RecordingLogger } from '../../support/recording-logger.js';

const { CRITICAL, NORMAL, LOW } = TaskPriority;

/*
 * escalate() called from inside the shutdown it escalates: from a cleanup the run forces, from a
 * hook the run starts — in FORCEFUL and in TERMINATE, synchronously (inside the run's pass) or
 * later. The run applies an escalation asked for during a pass after the pass (DESIGN §7:
 * "second / third signal during shutdown"); none may raise an unhandled rejection, and no hook
 * may start once the shutdown has finished.
 */
describe('escalate() from inside the shutdown', () => {
  let coordinator: LifecycleCoordinator;
  let faults: ProcessFaults;
  /** Hook starts, cleanups and the end, in order. */
  let log: string[];

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    coordinator = new LifecycleCoordinator({
      logger: new RecordingLogger(),
      progressIntervalMs: 0,
      phases: { gracefulMs: 1000, forcefulMs: 500, terminateMs: 200 },
      cleanupTimeoutMs: 100,
    });
    faults = new ProcessFaults().start();
    log = [];
  });

  afterEach(() => faults.stop());

  /** A task that ignores its signal; its cleanup runs `onCleanup` (forced in FORCEFUL). */
  function stubborn(name: string, priority: TaskPriority, onCleanup?: (info: CleanupInfo) => void) {
    coordinator.createTask(() => new Promise<void>(() => undefined), {
      name,
      priority,
      cleanup: (info) => {
        log.push(`cleanup ${name} (${info.phase ?? '-'})`);
        onCleanup?.(info);
      },
    });
  }

  function hook(name: string, priority: TaskPriority, fn: () => unknown = () => undefined): void {
    coordinator.registerShutdownHook(
      name,
      () => {
        log.push(`hook ${name} (${coordinator.getReport()?.phaseReached ?? '-'})`);
        return fn();
      },
      { priority, timeoutMs: 100 },
    );
  }

  /** Starts the shutdown, logging when it resolves. */
  function begin(phase?: ShutdownPhase): Promise<ShutdownReport> {
    return coordinator.shutdown({ reason: 'test', phase }).then((report) => {
      log.push('end');
      return report;
    });
  }

  /** Runs the shutdown to its end; checks what every case holds. */
  async function end(done: Promise<ShutdownReport>): Promise<ShutdownReport> {
    await jest.advanceTimersByTimeAsync(5000);
    const report = await done;
    // Nothing after the end: no hook started, no cleanup run.
    expect(log.at(-1)).toBe('end');
    expectNoTimers();
    jest.useRealTimers();
    await faults.settle();
    expect(faults.faults).toEqual([]);
    return report;
  }

  it('a cleanup forced in FORCEFUL escalates synchronously: TERMINATE once the pass is over', async () => {
    stubborn('stuck', LOW, (info) => {
      if (info.phase === ShutdownPhase.FORCEFUL) coordinator.escalate();
    });
    hook('pool', CRITICAL);
    const report = await end(begin());
    expect(report.phases.map((p) => [p.phase, p.endedBy])).toEqual([
      ['graceful', 'budget'],
      ['forceful', 'escalate'],
      ['terminate', 'budget'],
    ]);
    // The pass that forced the cleanup went on to the next wave's hook, then TERMINATE.
    expect(log).toEqual(['cleanup stuck (forceful)', 'hook pool (forceful)', 'end']);
    expect(report.hooks).toMatchObject([{ name: 'pool', outcome: 'ok' }]);
    expect(report.tasks).toMatchObject([{ name: 'stuck', state: TaskState.ABANDONED }]);
  });

  it('a hook in TERMINATE escalates synchronously: every hook of the batch still starts, none after the end', async () => {
    stubborn('stuck', LOW);
    hook('flush', NORMAL, () => coordinator.escalate());
    hook('pool', CRITICAL);
    const report = await end(begin(ShutdownPhase.TERMINATE));
    expect(report.phases.map((p) => [p.phase, p.endedBy])).toEqual([['terminate', 'escalate']]);
    expect(log).toEqual([
      'cleanup stuck (terminate)',
      'hook flush (terminate)',
      'hook pool (terminate)',
      'end',
    ]);
    expect(report.hooks.map((h) => [h.name, h.outcome])).toEqual([
      ['flush', 'ok'],
      ['pool', 'ok'],
    ]);
  });

  it('a hook in TERMINATE escalates after an await: the end comes at once; what still runs timed out', async () => {
    stubborn('stuck', LOW);
    hook('flush', NORMAL, async () => {
      await Promise.resolve();
      coordinator.escalate();
    });
    hook('pool', CRITICAL, () => new Promise(() => undefined));
    const done = begin(ShutdownPhase.TERMINATE);
    const report = await end(done);
    expect(report.phases).toMatchObject([{ phase: 'terminate', endedBy: 'escalate' }]);
    // flush had not returned yet when its own escalate() ended the shutdown.
    expect(report.hooks.map((h) => [h.name, h.outcome])).toEqual([
      ['flush', 'timeout'],
      ['pool', 'timeout'],
    ]);
    expect(report.outcome).toBe('terminated');
  });

  it('a cleanup forced in TERMINATE escalates synchronously, before the batch starts its hooks: they start, then the end', async () => {
    stubborn('stuck', LOW, (info) => {
      if (info.phase === ShutdownPhase.TERMINATE) coordinator.escalate();
    });
    hook('flush', NORMAL);
    hook('pool', CRITICAL);
    const report = await end(begin(ShutdownPhase.TERMINATE));
    expect(log).toEqual([
      'cleanup stuck (terminate)',
      'hook flush (terminate)',
      'hook pool (terminate)',
      'end',
    ]);
    expect(report.phases).toMatchObject([{ phase: 'terminate', endedBy: 'escalate' }]);
    expect(report.hooks.map((h) => [h.name, h.outcome])).toEqual([
      ['flush', 'ok'],
      ['pool', 'ok'],
    ]);
  });

  it('a hook calling escalate() three times in GRACEFUL: FORCEFUL, TERMINATE, the end — one at a time, after its pass', async () => {
    hook('impatient', NORMAL, () => {
      coordinator.escalate();
      coordinator.escalate();
      coordinator.escalate();
    });
    hook('pool', CRITICAL, () => new Promise((resolve) => setTimeout(resolve, 10)));
    const report = await end(begin());
    expect(report.phases.map((p) => [p.phase, p.endedBy])).toEqual([
      ['graceful', 'escalate'],
      ['forceful', 'escalate'],
      ['terminate', 'escalate'],
    ]);
    expect(log).toEqual(['hook impatient (graceful)', 'hook pool (graceful)', 'end']);
    expect(report.hooks.map((h) => [h.name, h.outcome])).toEqual([
      ['impatient', 'ok'],
      ['pool', 'timeout'],
    ]);
  });

  it('escalate() after the end, from a hook the shutdown gave up on, changes nothing', async () => {
    let late: (() => void) | undefined;
    hook('slow', NORMAL, () => new Promise<void>((resolve) => (late = resolve)));
    hook('after', CRITICAL);
    const done = begin(ShutdownPhase.TERMINATE);
    coordinator.escalate(); // the end, with `slow` still running
    const report = await done;
    late?.();
    coordinator.escalate();
    await jest.advanceTimersByTimeAsync(1000);
    expect(log).toEqual(['hook slow (terminate)', 'hook after (terminate)', 'end']);
    expect(report.hooks.map((h) => [h.name, h.outcome])).toEqual([
      ['slow', 'timeout'],
      ['after', 'ok'],
    ]);
    expect(coordinator.getReport()).toEqual(report);
    expectNoTimers();
    jest.useRealTimers();
    await faults.settle();
    expect(faults.faults).toEqual([]);
  });
});
