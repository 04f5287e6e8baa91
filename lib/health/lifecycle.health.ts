import { Inject, Injectable } from '@nestjs/common';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import { totalBudgetMs } from '../core/lifecycle-options.validator.js';
import { LifecycleState } from '../core/lifecycle-state.enum.js';
import type { ShutdownPhase } from '../core/shutdown-phase.enum.js';
import type { ShutdownReport } from '../core/shutdown-report.interface.js';
import { priorityName } from '../core/task-priority.enum.js';
import { TaskState } from '../core/task-state.enum.js';

/**
 * What an indicator returns: the shape of terminus' `HealthIndicatorResult`, built here so that
 * the module needs no `@nestjs/terminus` at run time (terminus reads `status` of each key).
 *
 * @example
 * // { lifecycle: { status: 'down', state: 'draining', phase: 'drain', … } }
 */
export type LifecycleIndicatorResult<K extends string> = {
  [key in K]: { status: 'up' | 'down'; [detail: string]: unknown };
};

function result<K extends string>(
  key: K,
  status: 'up' | 'down',
  data: Record<string, unknown>,
): LifecycleIndicatorResult<K> {
  return { [key]: { ...data, status } } as LifecycleIndicatorResult<K>;
}

/** Slack beyond the drain delay and the three budgets before a shutdown counts as wedged. */
const WEDGED_AFTER_MS = 5000;

/**
 * The previous process's shutdown in one line of data (read from `reportFile` at boot).
 *
 * @example
 * // { reason: 'SIGTERM', outcome: 'clean', startedAt: '…', durationMs: 1240, total: 12, failed: 0, abandoned: 0 }
 */
export interface LastShutdownSummary {
  reason: string;
  outcome: ShutdownReport['outcome'];
  startedAt: string;
  durationMs: number;
  total: number;
  failed: number;
  abandoned: number;
}

function summary(report: ShutdownReport): LastShutdownSummary {
  const { reason, outcome, startedAt, durationMs, total, failed, abandoned } = report;
  return { reason, outcome, startedAt, durationMs, total, failed, abandoned };
}

/** Tasks a probe body carries at most: each probe would otherwise carry every task. */
const PROBE_TASKS = 20;

/**
 * The report as a probe shows it: everything but the task list, which keeps the tasks still
 * running and those that failed or were abandoned, up to 20 (the whole report is in
 * `getReport()`, the log and `reportFile`).
 */
function probeReport(report: ShutdownReport): ShutdownReport & { tasksShown: number } {
  const notable = report.tasks.filter(
    (task) => task.state !== TaskState.COMPLETED && task.state !== TaskState.CANCELLED,
  );
  const tasks = notable.slice(0, PROBE_TASKS);
  return { ...report, tasks, tasksShown: tasks.length };
}

function runningByPriority(report: ShutdownReport): Record<string, number> {
  const running: Record<string, number> = {};
  for (const task of report.tasks) {
    if (task.state !== TaskState.RUNNING && task.state !== TaskState.CANCELLING) continue;
    const name = priorityName(task.priority);
    running[name] = (running[name] ?? 0) + 1;
  }
  return running;
}

/**
 * Terminus indicators for Kubernetes probes. `isReady` is up while the application runs and
 * `down` — never a thrown error — from the first instant of shutdown, with the phase, the time
 * elapsed, the tasks still running by priority and the report so far — its task list trimmed
 * to the tasks still running, failed or abandoned, at most 20 — (after the shutdown, the final
 * report, for as long as the server answers). Before any shutdown it shows the previous
 * process's outcome when `reportFile` is set. `isAlive` stays up while the shutdown makes
 * progress, and goes down only if it outlives its budgets. No data key is terminus' `status`.
 *
 * @example
 * @Get('health/ready')
 * @HealthCheck()
 * ready() {
 *   return this.health.check([() => this.lifecycle.isReady('lifecycle')]);
 * }
 */
@Injectable()
export class LifecycleHealthIndicator {
  constructor(@Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator) {}

  /**
   * Readiness: route traffic here only while this is up.
   *
   * @example
   * this.health.check([() => this.lifecycle.isReady()]);
   */
  isReady<const K extends string = 'lifecycle'>(key?: K): LifecycleIndicatorResult<K> {
    const name = (key ?? 'lifecycle') as K;
    const state = this.coordinator.state;
    if (state === LifecycleState.RUNNING) {
      const last = this.coordinator.getLastBootReport();
      return result(
        name,
        'up',
        last === undefined ? { state } : { state, lastShutdown: summary(last) },
      );
    }
    const report = this.coordinator.getReport();
    if (report === undefined) return result(name, 'down', { state });
    const phase: ShutdownPhase | 'drain' =
      report.phases.length === 0 ? 'drain' : report.phaseReached;
    return result(name, 'down', {
      state,
      phase,
      elapsedMs: report.durationMs,
      running: runningByPriority(report),
      report: probeReport(report),
    });
  }

  /**
   * Liveness: up unless the coordinator itself is wedged (a shutdown running longer than the
   * drain delay, the three budgets and a 5 s slack).
   *
   * @example
   * this.health.check([() => this.lifecycle.isAlive()]);
   */
  isAlive<const K extends string = 'lifecycle'>(key?: K): LifecycleIndicatorResult<K> {
    const name = (key ?? 'lifecycle') as K;
    const state = this.coordinator.state;
    const report = state === LifecycleState.DRAINING ? this.coordinator.getReport() : undefined;
    const limit = totalBudgetMs(this.coordinator.options) + WEDGED_AFTER_MS;
    if (report !== undefined && report.durationMs > limit) {
      return result(name, 'down', { state, elapsedMs: report.durationMs, limitMs: limit });
    }
    return result(name, 'up', { state });
  }
}
