import { describe, expect, it } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator, probeReportOf } from '../../../lib/core/lifecycle-coordinator.js';
import { planShutdown, type TaskEntry } from '../../../lib/core/shutdown-plan.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import { taskReport } from '../../../lib/core/shutdown-report.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { recordClassFor, type TaskObserver } from '../../../lib/core/task-record.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { ShutdownReport } from '../../../lib/core/shutdown-report.interface.js';
import { deferred, untilAborted } from '../../support/deferred.js';

const observer: TaskObserver = {
  cleanupTimeoutMs: 1000,
  phase: undefined,
  taskChanged: () => undefined,
  taskFailed: () => undefined,
  cleanupEnded: () => undefined,
  taskFinished: () => undefined,
  generatedNameRead: () => undefined,
  lateFailure: () => undefined,
};

/** Two planned tasks, the second depending on the first, both still running. */
function plannedEntries(): [TaskEntry, TaskEntry] {
  const Record = recordClassFor(observer);
  const db = new Record(1, 'db', TaskPriority.HIGH, undefined, undefined, 'abort');
  const worker = new Record(2, undefined, TaskPriority.LOW, [db], undefined, 'abort');
  db.next = worker;
  worker.previous = db;
  for (const record of [db, worker]) record.start(() => new Promise(() => undefined), false);
  const plan = planShutdown(db, []);
  return [plan.entries[0], plan.entries[1]] as [TaskEntry, TaskEntry];
}

// Rows are built by the thousand: the common ones as one literal, which must not differ from
// the general path in any key, value or key order (JSON output shows the order).
describe('shutdown report rows', () => {
  it('a task stopped by its wave and ended: every key, in TaskReport order', () => {
    const [, worker] = plannedEntries();
    worker.stopStartedAt = 110.04;
    worker.record.requestCancel(new CancelledError());
    worker.record.settle(new CancelledError(), true);
    worker.endedAt = 112.56;
    worker.endedIn = ShutdownPhase.GRACEFUL;
    const row = taskReport(worker, 100);
    expect(Object.keys(row)).toEqual([
      'id',
      'name',
      'priority',
      'dependsOn',
      'wave',
      'state',
      'endedIn',
      'stopMs',
      'signalledAtMs',
      'endedAtMs',
    ]);
    expect(row).toEqual({
      id: '2',
      name: 'task#2',
      priority: TaskPriority.LOW,
      dependsOn: ['db'],
      wave: 1,
      state: TaskState.CANCELLED,
      endedIn: ShutdownPhase.GRACEFUL,
      stopMs: 2.5,
      signalledAtMs: 10,
      endedAtMs: 12.6,
    });
  });

  it('a task that ended before its wave reached it has no stop figures', () => {
    const [db] = plannedEntries();
    db.record.settle('done', false);
    db.endedAt = 101;
    db.endedIn = ShutdownPhase.GRACEFUL;
    const row = taskReport(db, 100);
    expect(JSON.stringify(row)).toBe(
      '{"id":"1","name":"db","priority":1,"dependsOn":[],"wave":3,"state":"completed","endedIn":"graceful","endedAtMs":1}',
    );
  });

  it('failed rows, rows with a cleanup and rows still running keep the optional keys in order', () => {
    const [db, worker] = plannedEntries();
    db.record.settle(new Error('disk full'), true);
    db.stopStartedAt = 100;
    db.endedAt = 102;
    db.endedIn = ShutdownPhase.FORCEFUL;
    db.cleanup = { outcome: 'timeout', durationMs: 5.04, error: new Error('stuck') };
    expect(Object.keys(taskReport(db, 100))).toEqual([
      'id',
      'name',
      'priority',
      'dependsOn',
      'wave',
      'state',
      'endedIn',
      'stopMs',
      'error',
      'cleanup',
      'signalledAtMs',
      'endedAtMs',
    ]);
    expect(taskReport(db, 100)).toMatchObject({
      state: TaskState.FAILED,
      error: expect.stringContaining('disk full') as unknown,
      cleanup: { outcome: 'timeout', durationMs: 5, error: expect.stringContaining('stuck') },
    });
    // Signalled, not ended yet (a report taken mid-shutdown).
    worker.stopStartedAt = 103;
    expect(taskReport(worker, 100)).toEqual({
      id: '2',
      name: 'task#2',
      priority: TaskPriority.LOW,
      dependsOn: ['db'],
      wave: 1,
      state: TaskState.RUNNING,
      signalledAtMs: 3,
    });
  });

  it('gives every row its own dependsOn array', () => {
    const [db] = plannedEntries();
    db.endedAt = 101;
    db.endedIn = ShutdownPhase.GRACEFUL;
    db.record.settle('done', false);
    const first = taskReport(db, 100);
    first.dependsOn.push('mutated');
    expect(taskReport(db, 100).dependsOn).toEqual([]);
  });
});

// A finished report builds its rows when `tasks` is first read: it must read like one built
// at once, and a report that something can still change must not wait to be read.
describe('shutdown report task list', () => {
  async function finishedReport(): Promise<ShutdownReport> {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    coordinator.createTask((ctx) => untilAborted(ctx.signal), { name: 'db' });
    coordinator.createTask((ctx) => untilAborted(ctx.signal), {
      name: 'worker',
      dependsOn: ['db'],
    });
    const release = deferred<void>();
    coordinator.createTask(() => release.promise, { name: 'draining', stop: 'drain' });
    queueMicrotask(release.resolve);
    return coordinator.shutdown({ reason: 'test' });
  }

  it('a finished report lists every task, in wave order, where JSON expects the list', async () => {
    const report = await finishedReport();
    expect(report.total).toBe(3);
    expect(report.tasks.map((task) => [task.name, task.wave, task.state])).toEqual([
      ['worker', 2, TaskState.CANCELLED],
      ['draining', 2, TaskState.COMPLETED],
      ['db', 3, TaskState.CANCELLED],
    ]);
    const keys = Object.keys(JSON.parse(JSON.stringify(report)) as object);
    expect(keys.slice(keys.indexOf('phases'), keys.indexOf('phases') + 3)).toEqual([
      'phases',
      'tasks',
      'hooks',
    ]);
    // Read twice, the same rows: built once.
    expect(report.tasks).toBe(report.tasks);
    expect(structuredClone(report).tasks).toEqual(report.tasks);
    expect({ ...report }.tasks).toEqual(report.tasks);
  });

  it('a frozen report still lists its tasks, and the list can be replaced', async () => {
    const frozen = Object.freeze(await finishedReport());
    expect(frozen.tasks).toHaveLength(3);
    const report = await finishedReport();
    report.tasks = report.tasks.slice(0, 1);
    expect(report.tasks.map((task) => task.name)).toEqual(['worker']);
    const copy = JSON.parse(JSON.stringify(report)) as { tasks: unknown[] };
    expect(copy.tasks).toHaveLength(1);
  });

  it('a report taken mid-shutdown keeps what it said when the tasks end later', async () => {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const release = deferred<void>();
    coordinator.createTask(() => release.promise, { name: 'slow', stop: 'drain' });
    const done = coordinator.shutdown({ reason: 'test' });
    const during = coordinator.getReport();
    expect(during?.finished).toBe(false);
    release.resolve();
    const after = await done;
    expect(during?.tasks.map((task) => task.state)).toEqual([TaskState.RUNNING]);
    expect(after.tasks.map((task) => task.state)).toEqual([TaskState.COMPLETED]);
  });
});

describe("a probe's view of the report", () => {
  it('rows for the tasks still running only, at most as many as asked, running counted by priority', async () => {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    expect(probeReportOf(coordinator, 20)).toBeUndefined();
    const release = deferred<void>();
    for (let i = 0; i < 25; i++) {
      coordinator.createTask(() => release.promise, { name: `drain-${i}`, stop: 'drain' });
    }
    coordinator.createTask(() => release.promise, {
      name: 'critical',
      priority: TaskPriority.CRITICAL,
      stop: 'drain',
    });
    // Ends as soon as its wave signals it: cancelled, no row.
    const lowest = coordinator.createTask((ctx) => untilAborted(ctx.signal), {
      priority: TaskPriority.LOWEST,
    });
    const done = coordinator.shutdown({ reason: 'test' });
    await expect(lowest).rejects.toBeInstanceOf(CancelledError);
    const view = probeReportOf(coordinator, 20);
    expect(view?.report.total).toBe(27);
    expect(view?.report.cancelled).toBe(1);
    expect(view?.report.tasks).toHaveLength(20);
    expect(view?.report.tasks.every((task) => task.state === TaskState.RUNNING)).toBe(true);
    expect(view?.running).toEqual({ [TaskPriority.NORMAL]: 25, [TaskPriority.CRITICAL]: 1 });
    expect(probeReportOf(coordinator, 0)?.report.tasks).toEqual([]);
    release.resolve();
    await done;
  });
});
