import { Inject, Injectable } from '@nestjs/common';
import { LifecycleCoordinator, probeReportOf } from '../core/lifecycle-coordinator.js';
import { totalBudgetMs } from '../core/lifecycle-options.validator.js';
import { LifecycleState } from '../core/lifecycle-state.enum.js';
import type { ShutdownPhase } from '../core/shutdown-phase.enum.js';
import type { ShutdownReport } from '../core/shutdown-report.interface.js';
import { priorityName, type TaskPriority } from '../core/task-priority.enum.js';

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

function runningByName(running: Partial<Record<TaskPriority, number>>): Record<string, number> {
  const named: Record<string, number> = {};
  for (const [priority, count] of Object.entries(running))
    named[priorityName(Number(priority))] = count;
  return named;
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
    // A row for 20 tasks at most, whatever the number of tasks: a probe comes every second.
    const view = probeReportOf(this.coordinator, PROBE_TASKS);
    if (view === undefined) return result(name, 'down', { state });
    const { report } = view;
    const phase: ShutdownPhase | 'drain' =
      report.phases.length === 0 ? 'drain' : report.phaseReached;
    return result(name, 'down', {
      state,
      phase,
      elapsedMs: report.durationMs,
      running: runningByName(view.running),
      report: { ...report, tasksShown: report.tasks.length },
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
    // Its duration only: no task rows (a liveness probe comes every few seconds).
    const report =
      state === LifecycleState.DRAINING ? probeReportOf(this.coordinator, 0)?.report : undefined;
    const limit = totalBudgetMs(this.coordinator.options) + WEDGED_AFTER_MS;
    if (report !== undefined && report.durationMs > limit) {
      return result(name, 'down', { state, elapsedMs: report.durationMs, limitMs: limit });
    }
    return result(name, 'up', { state });
  }
}
