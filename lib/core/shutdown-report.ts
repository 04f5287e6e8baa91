import { ShutdownPhase } from './shutdown-phase.enum.js';
import type { ShutdownPlan, TaskEntry, Wave } from './shutdown-plan.js';
import type { IntakeReports } from './intake.interface.js';
import type { DrainReport, ShutdownReport, TaskReport } from './shutdown-report.interface.js';
import { TaskState } from './task-state.enum.js';
import type { TaskPriority } from './task-priority.enum.js';
import { describeError } from './describe.js';
import type { DependencyNode } from './dependency-node.interface.js';

/** Durations in reports keep a tenth of a millisecond. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export interface ReportInput {
  reason: string;
  startedAt: string;
  endedAt: string | undefined;
  /** `performance.now()` at the start, to turn entry times into offsets. */
  startedAtMs: number;
  durationMs: number;
  drain: DrainReport;
  phaseReached: ShutdownPhase;
  finished: boolean;
  /** Cleanups and hooks still running when the shutdown stopped waiting. */
  expiredCallbacks: number;
  phases: ShutdownReport['phases'];
  plan: ShutdownPlan;
  lateFailures: readonly { name: string; error: string }[];
  lingering: Record<string, number>;
  intakes: IntakeReports;
  /**
   * A probe's view: rows only for the tasks neither completed nor cancelled, at most this many,
   * and `running` counted by priority. Every row when undefined.
   */
  probeRows?: number;
}

/** A probe's view of a report: its rows trimmed, the tasks still running counted by priority. */
export interface ProbeReport {
  report: ShutdownReport;
  running: Partial<Record<TaskPriority, number>>;
}

/** The labels of a task's dependencies: a fresh array per row (the report is the caller's). */
function dependencyLabels(dependencies: readonly DependencyNode[] | undefined): string[] {
  const labels: string[] = [];
  if (dependencies !== undefined) for (const node of dependencies) labels.push(node.label);
  return labels;
}

/**
 * One row of `ShutdownReport.tasks`. The rows a finished shutdown holds by the thousand — ended,
 * no error, no cleanup — are each one object literal with every key in place: adding the
 * optional keys one at a time cost a map transition and a growing property store per key
 * (about a third of the row's time, measured), on a path that runs once per task. The keys
 * keep `TaskReport`'s order either way, which JSON output shows.
 */
export function taskReport(entry: TaskEntry, origin: number): TaskReport {
  const record = entry.record;
  const state = record.state;
  const { stopStartedAt, endedAt, endedIn } = entry;
  if (
    endedIn !== undefined &&
    endedAt !== undefined &&
    entry.cleanup === undefined &&
    state !== TaskState.FAILED
  ) {
    if (stopStartedAt !== undefined) {
      return {
        id: record.id,
        name: record.label,
        priority: record.priority,
        dependsOn: dependencyLabels(record.dependencies),
        wave: entry.wave,
        state,
        endedIn,
        stopMs: roundMs(endedAt - stopStartedAt),
        signalledAtMs: roundMs(stopStartedAt - origin),
        endedAtMs: roundMs(endedAt - origin),
      };
    }
    // Ended on its own before its wave reached it.
    return {
      id: record.id,
      name: record.label,
      priority: record.priority,
      dependsOn: dependencyLabels(record.dependencies),
      wave: entry.wave,
      state,
      endedIn,
      endedAtMs: roundMs(endedAt - origin),
    };
  }
  const report: TaskReport = {
    id: record.id,
    name: record.label,
    priority: record.priority,
    dependsOn: dependencyLabels(record.dependencies),
    wave: entry.wave,
    state,
  };
  if (endedIn !== undefined) report.endedIn = endedIn;
  if (stopStartedAt !== undefined && endedAt !== undefined) {
    report.stopMs = roundMs(endedAt - stopStartedAt);
  }
  if (state === TaskState.FAILED) report.error = describeError(record.error);
  if (entry.cleanup !== undefined) {
    report.cleanup = {
      outcome: entry.cleanup.outcome,
      durationMs: roundMs(entry.cleanup.durationMs),
    };
    if (entry.cleanup.error !== undefined)
      report.cleanup.error = describeError(entry.cleanup.error);
  }
  if (stopStartedAt !== undefined) report.signalledAtMs = roundMs(stopStartedAt - origin);
  if (endedAt !== undefined) report.endedAtMs = roundMs(endedAt - origin);
  return report;
}

/** The tasks of a report, wave by wave: the waves, and how many entries each had then. */
interface TaskList {
  readonly waves: readonly Wave[];
  readonly lengths: readonly number[];
}

/**
 * The rows of `list`, in stop order; with `unfinishedOnly`, only those of tasks neither completed
 * nor cancelled, at most `limit` (a probe's view).
 */
function taskRows(list: TaskList, origin: number, unfinishedOnly = false, limit = Infinity) {
  const rows: TaskReport[] = [];
  const { waves, lengths } = list;
  for (let w = 0; w < lengths.length && rows.length < limit; w++) {
    const tasks = waves[w].tasks;
    for (let i = 0; i < lengths[w] && rows.length < limit; i++) {
      const state = tasks[i].record.state;
      if (unfinishedOnly && (state === TaskState.COMPLETED || state === TaskState.CANCELLED)) {
        continue;
      }
      rows.push(taskReport(tasks[i], origin));
    }
  }
  return rows;
}

/**
 * Puts `tasks` on `report` as a property that builds its rows when first read, then holds
 * them as a plain data property (JSON, spreading and `structuredClone` read it like any other).
 * Only for a report no later event can change: every task ended and no cleanup still runs.
 */
function defineLazyTasks(report: ShutdownReport, list: TaskList, origin: number) {
  let rows: TaskReport[] | undefined;
  const settle = (value: TaskReport[]): TaskReport[] => {
    rows = value;
    // A caller may have frozen the report: the accessor then keeps answering with these rows.
    if (Object.isExtensible(report)) {
      Object.defineProperty(report, 'tasks', {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return value;
  };
  Object.defineProperty(report, 'tasks', {
    get: () => rows ?? settle(taskRows(list, origin)),
    set: settle,
    enumerable: true,
    configurable: true,
  });
}

/**
 * Assembles the plain-JSON report from the plan's bookkeeping. The counts are taken now; the
 * rows of a finished shutdown that left nothing running are built when `tasks` is first read:
 * at 100k tasks they were an eighth of the shutdown's own time, spent before `shutdown()`
 * could resolve, for a list most callers log later or never read.
 */
export function buildShutdownReport(input: ReportInput): ShutdownReport {
  return buildReport(input).report;
}

/**
 * The report with a probe's rows (`input.probeRows`) and the tasks still running by priority,
 * counted in the same pass: a probe pays for its 20 rows, not for a row per task.
 */
export function buildProbeReport(input: ReportInput & { probeRows: number }): ProbeReport {
  return buildReport(input);
}

function buildReport(input: ReportInput): ProbeReport {
  const running: Partial<Record<TaskPriority, number>> = {};
  // From the waves, not the list: a task admitted during the shutdown joined its wave.
  // No list of the entries: their waves, and each wave's length now, say which they are.
  const waves = input.plan.waves;
  const lengths: number[] = [];
  let total = 0;
  let completed = 0;
  let cancelled = 0;
  let failed = 0;
  let abandoned = 0;
  let overBudget = false;
  const origin = input.startedAtMs;
  // One pass for the counts and the cleanups over their deadline.
  for (const wave of waves) {
    lengths.push(wave.tasks.length);
    total += wave.tasks.length;
    for (const entry of wave.tasks) {
      const state = entry.record.state;
      if (state === TaskState.COMPLETED) completed++;
      else if (state === TaskState.CANCELLED) cancelled++;
      else if (state === TaskState.FAILED) failed++;
      else if (state === TaskState.ABANDONED) abandoned++;
      else if (
        input.probeRows !== undefined &&
        (state === TaskState.RUNNING || state === TaskState.CANCELLING)
      ) {
        const priority = entry.record.priority;
        running[priority] = (running[priority] ?? 0) + 1;
      }
      if (entry.cleanup?.outcome === 'timeout') overBudget = true;
    }
  }
  // Rows read later must say what they would say now: nothing may still be running.
  const settled = input.finished && abandoned === 0 && input.expiredCallbacks === 0;
  const hooks: ShutdownReport['hooks'] = [];
  for (const entry of input.plan.hooks) {
    // A report taken mid-shutdown lists the hooks that have ended so far.
    if (entry.result === undefined) continue;
    const hook: ShutdownReport['hooks'][number] = {
      name: entry.hook.name,
      priority: entry.hook.priority,
      wave: entry.wave,
      outcome: entry.result.outcome,
      durationMs: roundMs(entry.result.durationMs),
    };
    if (entry.result.error !== undefined) hook.error = describeError(entry.result.error);
    if (entry.startedAt !== undefined)
      hook.startedAtMs = roundMs(entry.startedAt - input.startedAtMs);
    hooks.push(hook);
  }
  // A cleanup or hook over its deadline kept no budget: the shutdown was not clean.
  if (hooks.some((hook) => hook.outcome === 'timeout')) overBudget = true;
  const outcome: ShutdownReport['outcome'] =
    abandoned > 0 || input.expiredCallbacks > 0
      ? 'terminated'
      : input.phaseReached === ShutdownPhase.GRACEFUL && !overBudget
        ? 'clean'
        : 'forced';
  const report: ShutdownReport = {
    reason: input.reason,
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    drainMs: input.drain.durationMs,
    drain: input.drain,
    phaseReached: input.phaseReached,
    outcome,
    finished: input.finished,
    total,
    completed,
    cancelled,
    failed,
    abandoned,
    phases: input.phases,
    tasks:
      input.probeRows !== undefined
        ? taskRows({ waves, lengths }, origin, true, input.probeRows)
        : settled
          ? []
          : taskRows({ waves, lengths }, origin),
    hooks,
    lateFailures: input.lateFailures.map((failure) => ({ ...failure })),
    lingering: { ...input.lingering },
    intakes: input.intakes,
  };
  if (input.endedAt !== undefined) report.endedAt = input.endedAt;
  if (settled && input.probeRows === undefined) defineLazyTasks(report, { waves, lengths }, origin);
  return { report, running };
}
