import { ShutdownPhase } from './shutdown-phase.enum.js';
import type { ShutdownPlan, TaskEntry } from './shutdown-plan.js';
import type { IntakeReports } from './intake.interface.js';
import type { DrainReport, ShutdownReport, TaskReport } from './shutdown-report.interface.js';
import { TaskState } from './task-state.enum.js';
import { describeError } from './describe.js';

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
}

function taskReport(entry: TaskEntry, origin: number): TaskReport {
  const record = entry.record;
  const report: TaskReport = {
    id: record.id,
    name: record.label,
    priority: record.priority,
    dependsOn: record.dependencies?.map((node) => node.label) ?? [],
    wave: entry.wave,
    state: record.state,
  };
  if (entry.endedIn !== undefined) report.endedIn = entry.endedIn;
  if (entry.stopStartedAt !== undefined && entry.endedAt !== undefined) {
    report.stopMs = roundMs(entry.endedAt - entry.stopStartedAt);
  }
  if (record.state === TaskState.FAILED) report.error = describeError(record.error);
  if (entry.cleanup !== undefined) {
    report.cleanup = {
      outcome: entry.cleanup.outcome,
      durationMs: roundMs(entry.cleanup.durationMs),
    };
    if (entry.cleanup.error !== undefined)
      report.cleanup.error = describeError(entry.cleanup.error);
  }
  if (entry.stopStartedAt !== undefined) {
    report.signalledAtMs = roundMs(entry.stopStartedAt - origin);
  }
  if (entry.endedAt !== undefined) report.endedAtMs = roundMs(entry.endedAt - origin);
  return report;
}

/** Assembles the plain-JSON report from the plan's bookkeeping. */
export function buildShutdownReport(input: ReportInput): ShutdownReport {
  // From the waves, not the list: a task admitted during the shutdown joined its wave.
  const tasks: TaskReport[] = [];
  for (const wave of input.plan.waves) {
    for (const entry of wave.tasks) tasks.push(taskReport(entry, input.startedAtMs));
  }
  let completed = 0;
  let cancelled = 0;
  let failed = 0;
  let abandoned = 0;
  for (const task of tasks) {
    if (task.state === TaskState.COMPLETED) completed++;
    else if (task.state === TaskState.CANCELLED) cancelled++;
    else if (task.state === TaskState.FAILED) failed++;
    else if (task.state === TaskState.ABANDONED) abandoned++;
  }
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
  const overBudget =
    tasks.some((task) => task.cleanup?.outcome === 'timeout') ||
    hooks.some((hook) => hook.outcome === 'timeout');
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
    total: tasks.length,
    completed,
    cancelled,
    failed,
    abandoned,
    phases: input.phases,
    tasks,
    hooks,
    lateFailures: input.lateFailures.map((failure) => ({ ...failure })),
    lingering: { ...input.lingering },
    intakes: input.intakes,
  };
  if (input.endedAt !== undefined) report.endedAt = input.endedAt;
  return report;
}
