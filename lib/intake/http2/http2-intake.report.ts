/**
 * What the HTTP/2 intake did during a shutdown: `report.intakes.http2`.
 *
 * @example
 * // { sessionsAtStart: 40, goawaySent: 40, streamsAtStart: 12, admitted: 3, refused: 0,
 * //   streamsDrained: 15, streamsCancelled: 0, closedAtForceful: 0, destroyedAtClose: 0 }
 */
export interface Http2IntakeReport {
  /** Sessions (HTTP/2 connections) open when the shutdown began. */
  sessionsAtStart: number;
  /** Sessions told to go away with GOAWAY (`NO_ERROR`) after intake closed. */
  goawaySent: number;
  /** Streams (requests) in flight when the shutdown began. */
  streamsAtStart: number;
  /** Streams that arrived during the shutdown and joined the HTTP/2 wave. */
  admitted: number;
  /** Streams answered `503`: their wave had ended. */
  refused: number;
  /** Streams in flight during the shutdown that finished their response. */
  streamsDrained: number;
  /** Streams cancelled (`RST_STREAM CANCEL`) at FORCEFUL or after `requestTimeoutMs`. */
  streamsCancelled: number;
  /** Sessions still open when FORCEFUL began: given their final GOAWAY then. */
  closedAtForceful: number;
  /** Sessions still open when Nest closed the server: destroyed, so that the close ends. */
  destroyedAtClose: number;
}

declare module '../../core/intake.interface.js' {
  interface IntakeReports {
    http2?: Http2IntakeReport;
  }
}
