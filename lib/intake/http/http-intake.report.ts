/**
 * What the HTTP intake did during a shutdown: `report.intakes.http`. Requests are counted by
 * what happened to them, connections by how they ended (each connection once).
 *
 * @example
 * // { inFlightAtStart: 12, admitted: 40, admittedDuringDrain: 31, admittedAfterIntakeClosed: 9,
 * //   refused: 0, ignoredAfterClose: 0, idleClosed: 6, closedWithResponse: 14, closedByClient: 3,
 * //   destroyed: 0, reset: 0, upgraded: 1 }
 */
export interface HttpIntakeReport {
  /** Requests in flight when the shutdown began. */
  inFlightAtStart: number;
  /** Requests that arrived during the shutdown and joined the HTTP wave (the next two summed). */
  admitted: number;
  /** …of which during the drain, while the load balancer still routed traffic here. */
  admittedDuringDrain: number;
  /** …of which after intake closed: a load balancer that noticed late, served all the same. */
  admittedAfterIntakeClosed: number;
  /**
   * Requests answered `503` with `Connection: close` and `Retry-After`: the HTTP wave had ended,
   * or (at the final close) the request was still arriving.
   */
  refused: number;
  /**
   * Requests pipelined behind a response that already said `Connection: close`: not run (their
   * response could not be sent), so the client retries them.
   */
  ignoredAfterClose: number;
  /** Keep-alive connections the intake closed with nothing in progress nor arriving. */
  idleClosed: number;
  /** Connections that ended after a response saying `Connection: close`. */
  closedWithResponse: number;
  /** Connections the client closed itself. */
  closedByClient: number;
  /** Connections destroyed with a request still running (FORCEFUL, or `requestTimeoutMs`). */
  destroyed: number;
  /**
   * Connections cut at the final close with a request still running: an excluded path that
   * hangs, a request the shutdown gave up on.
   */
  reset: number;
  /** Upgraded connections (WebSockets) seen during the shutdown and left to their owner. */
  upgraded: number;
}

declare module '../../core/intake.interface.js' {
  interface IntakeReports {
    http?: HttpIntakeReport;
  }
}
