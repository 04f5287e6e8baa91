import type { ShutdownReport } from 'nestjs-async-lifecycle';

/**
 * Figures of a shutdown report that results.json keeps next to the timing: the number of waves,
 * the engine's own duration, and when (from the start of the shutdown) the last task ended.
 *
 * @example
 * return { ms, detail: reportDetail(report) };
 */
export function reportDetail(report: ShutdownReport): Record<string, number> {
  let waves = 0;
  let lastTaskEndedAtMs = 0;
  for (const task of report.tasks) {
    if (task.wave >= waves) waves = task.wave + 1;
    if (task.endedAtMs !== undefined && task.endedAtMs > lastTaskEndedAtMs) {
      lastTaskEndedAtMs = task.endedAtMs;
    }
  }
  return { waves, engineDurationMs: report.durationMs, lastTaskEndedAtMs };
}
