/**
 * What the SSE intake did during a shutdown: `report.intakes.sse`.
 *
 * @example
 * // { openAtStart: 120, streamsEnded: 118, pollsAnswered: 9, openedAfterClose: 7, endedAtForceful: 0 }
 */
export interface SseIntakeReport {
  /** SSE streams and long-polls open when the shutdown began. */
  openAtStart: number;
  /** SSE streams ended with a `retry:` hint. */
  streamsEnded: number;
  /** Long-polls answered early. */
  pollsAnswered: number;
  /** Of those, opened after intake closed, so ended at once. */
  openedAfterClose: number;
  /** Of those, still open when FORCEFUL began (the spread had not reached them). */
  endedAtForceful: number;
}

declare module '../../core/intake.interface.js' {
  interface IntakeReports {
    sse?: SseIntakeReport;
  }
}
