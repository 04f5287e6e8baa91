/**
 * What the HTTP intake did during a shutdown: `report.intakes.http`.
 *
 * @example
 * // { inFlightAtStart: 12, admitted: 40, refused: 3, idleClosed: 18, destroyed: 0 }
 */
export interface HttpIntakeReport {
  /** Requests in flight when the shutdown began. */
  inFlightAtStart: number;
  /** Requests that arrived during the shutdown and joined the HTTP wave. */
  admitted: number;
  /** Requests answered `503` with `Connection: close`: their wave had ended. */
  refused: number;
  /** Idle keep-alive connections closed after intake closed. */
  idleClosed: number;
  /** Connections destroyed with a request still running (FORCEFUL, or `requestTimeoutMs`). */
  destroyed: number;
}

declare module '../../core/intake.interface.js' {
  interface IntakeReports {
    http?: HttpIntakeReport;
  }
}
