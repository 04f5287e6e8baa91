/**
 * What the BullMQ intake did during a shutdown: `report.intakes.bullmq`.
 *
 * @example
 * // { workers: 2, workersPaused: 2, inFlightAtStart: 5, notManagedAtStart: 0, completed: 4,
 * //   handedBack: 1, refused: 0, failed: 0, handBackFailed: 0 }
 */
export interface BullmqIntakeReport {
  /** Workers the intake drains. */
  workers: number;
  /** Workers told to stop fetching when the shutdown began. */
  workersPaused: number;
  /** Jobs being processed when the shutdown began. */
  inFlightAtStart: number;
  /**
   * Jobs the workers were processing when the shutdown began that the intake does not manage:
   * started before it attached to their worker (bootstrap was still running other modules'
   * `onModuleInit`). The shutdown does not wait for them, nor hand them back; the worker's owner
   * waits for them in `worker.close()`. Logged with their ids.
   */
  notManagedAtStart: number;
  /** Jobs that completed after the shutdown began (the drain let them finish). */
  completed: number;
  /**
   * Jobs the shutdown stopped and moved back to their queue (`job.moveToWait`): another worker
   * takes them at once. Not failed, and their `attemptsMade` unchanged.
   */
  handedBack: number;
  /**
   * Jobs a worker fetched after the shutdown began (a fetch already on its way when the worker
   * paused): moved back to their queue before their processor ran.
   */
  refused: number;
  /** Jobs that failed after the shutdown began, with an error of their own (not the shutdown's). */
  failed: number;
  /**
   * Hand-backs Redis refused (the job's lock was lost, the connection closed): those jobs come
   * back through BullMQ's stalled-job check instead. Each is logged with its error. Known when
   * Redis answers, just after the job's task ended: the report `shutdown()` resolves with may
   * not have it yet; the one completed when the application closed (logged, `reportFile`) and
   * `getReport()` after do.
   */
  handBackFailed: number;
}

declare module '../../core/intake.interface.js' {
  interface IntakeReports {
    bullmq?: BullmqIntakeReport;
  }
}
