/** Why the proxy answered a request with an error, from its own logs. */
export interface FailureCauses {
  /** The connect to the backend was refused (or failed before it was established). */
  refused: number;
  /** The backend reset or closed the connection before a complete response. */
  reset: number;
  /** No backend was available (HAProxy `<NOSRV>`, nginx `no live upstreams`). */
  noServer: number;
  /** The backend did not answer in time. */
  timeout: number;
  /** The backend itself answered 503 (a draining app refusing work). */
  app503: number;
  /** Anything else (named in `samples`). */
  other: number;
}

/** What the proxy's logs say about the run. */
export interface ProxyLogSummary {
  /** Requests the proxy logged (the load's requests; checks are not logged). */
  requests: number;
  /** Requests answered with a status ≥ 500, by cause. */
  causes: FailureCauses;
  /** Those requests by status. */
  statuses: Record<string, number>;
  /** Requests that succeeded only after a failed attempt (retried or redispatched). */
  retried: number;
  /** Failed attempts that were retried, by cause. */
  retriedCauses: FailureCauses;
  /** A few log lines of failed requests, for the findings. */
  samples: string[];
  /** The proxy's own warnings (a backend marked down, up, failed), epoch ms, with its port. */
  events: ProxyEvent[];
}

/** A backend's state change as the proxy logged it. */
export interface ProxyEvent {
  readonly at: number;
  readonly port: number | undefined;
  readonly text: string;
}

/**
 * A proxy in front of the instances, started by the bench in the foreground on loopback ports
 * with a generated configuration.
 */
export interface LoadBalancer {
  /** Where the load goes. */
  readonly url: string;
  /**
   * An instance is ready on `port`: route to it (HAProxy: a free server slot takes it; nginx:
   * nothing to do, its upstream lists fixed ports).
   */
  add(port: number): Promise<void>;
  /** The instance on `port` is gone: take it out (HAProxy: maintenance; nginx: nothing). */
  remove(port: number): Promise<void>;
  /** Whether a replacement gets the port of the instance it replaces (fixed upstream list). */
  readonly samePort: boolean;
  /** Stops the proxy, then reads its logs. */
  close(): Promise<ProxyLogSummary>;
}

export const noCauses = (): FailureCauses => ({
  refused: 0,
  reset: 0,
  noServer: 0,
  timeout: 0,
  app503: 0,
  other: 0,
});
