/** Counts keyed by a socket error code (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, or `EOF`). */
export type CountsByCode = Record<string, number>;

/**
 * What the load generator saw, one request at a time (autocannon's own totals count connection
 * attempts and events, not requests: see `ClientTracker`).
 */
export interface ClientTally {
  /** Requests written to a socket (including those whose connection then failed). */
  sent: number;
  /** Complete responses, by status code. */
  responses: Record<string, number>;
  /** Responses that carried `Connection: close`, and how many of those were 503s. */
  closeAnnounced: { responses: number; status503: number };
  /** 503 responses without `Connection: close`. */
  status503WithoutClose: number;
  /**
   * Requests whose connection could not be opened (refused cleanly: they never reached the
   * server), by error code.
   */
  refused: CountsByCode;
  /**
   * Requests on an established connection that ended — reset (`ECONNRESET`, `EPIPE`) or closed
   * (`EOF`) — without their response, the server not having announced `Connection: close`: what
   * a client experiences as a failed request.
   */
  unanswered: CountsByCode;
  /**
   * Requests autocannon wrote on a connection after a response on it had said
   * `Connection: close` (autocannon ignores that header; a compliant client opens a new
   * connection instead). The server never read them: not counted as failures.
   */
  afterClose: CountsByCode;
  /** Requests that got no response within autocannon's timeout. */
  timeouts: number;
  /** Requests in flight when the load generator itself stopped (not failures). */
  inFlightAtStop: number;
  /** `performance.now()` of the last complete 2xx response, if any. */
  lastOkAt: number | undefined;
  /** `performance.now()` of the first refused connection, if any. */
  firstRefusalAt: number | undefined;
}
