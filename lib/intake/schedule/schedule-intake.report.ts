/**
 * What the schedule intake did during a shutdown: `report.intakes.schedule`.
 *
 * @example
 * // { stopped: { cronJobs: 2, intervals: 1, timeouts: 1 }, stoppedLate: 0, inFlightAtStart: 1,
 * //   admitted: 0, drained: 1, failed: 0, cancelled: 0, running: 0, untracked: 0 }
 */
export interface ScheduleIntakeReport {
  /**
   * Schedules stopped when the shutdown began: cron jobs that were running or that something
   * tried to start afterwards (an `initialDelay` ending, a `job.start()`), and the intervals and
   * timeouts of `SchedulerRegistry` — a timeout that had already fired included: Node does not
   * tell.
   */
  stopped: { cronJobs: number; intervals: number; timeouts: number };
  /** Cron jobs, intervals and timeouts added to `SchedulerRegistry` during the shutdown: stopped at once. */
  stoppedLate: number;
  /** Ticks running when the shutdown began. */
  inFlightAtStart: number;
  /** Runs of a scheduled method that started during the shutdown (called by work in flight) and joined it. */
  admitted: number;
  /** Ticks of the shutdown (in flight at its start, or admitted) that finished on their own. */
  drained: number;
  /** … that failed (the scheduler logs their error, as it always does). */
  failed: number;
  /** … that ended by cancellation: still running when FORCEFUL aborted their signal. */
  cancelled: number;
  /** … still running when this report was read: at the end of the shutdown, abandoned ones. */
  running: number;
  /** Runs of a scheduled method called during the shutdown after their wave ended: run untracked. */
  untracked: number;
}

declare module '../../core/intake.interface.js' {
  interface IntakeReports {
    schedule?: ScheduleIntakeReport;
  }
}
