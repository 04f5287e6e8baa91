import { describe, expect, it } from '@jest/globals';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { planShutdown, type TaskEntry } from '../../../lib/core/shutdown-plan.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import { taskReport } from '../../../lib/core/shutdown-report.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskRecord, type TaskObserver } from '../../../lib/core/task-record.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';

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
  const db = new TaskRecord(observer, 1, 'db', TaskPriority.HIGH, undefined, undefined, 'abort');
  const worker = new TaskRecord(observer, 2, undefined, TaskPriority.LOW, [db], undefined, 'abort');
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
