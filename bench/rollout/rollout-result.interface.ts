import type { ClientTally } from './client-tally.interface.js';

/** Which app the scenario runs: the HTTP adapter and how it shuts down. */
export interface RolloutTarget {
  readonly adapter: 'express' | 'fastify';
  /** `lifecycle`: AsyncLifecycleModule + enableLifecycleShutdown; `plain`: enableShutdownHooks. */
  readonly mode: 'lifecycle' | 'plain';
}

/** The sample's `LEDGER` line: every request the server accepted, and how its response ended. */
export interface ServerLedger {
  readonly accepted: number;
  readonly finished: number;
  readonly aborted: number;
}

/** autocannon's own totals, kept for comparison (see `ClientTracker` for what they mean). */
export interface AutocannonTotals {
  /** `requests.sent`: requests written, each reconnect attempt included. */
  readonly sent: number;
  /** `requests.total`: complete responses. */
  readonly completed: number;
  /** Connection errors (one per failed connection, not per request) plus timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** Request-pipeline resets (a `setupRequest` returned nothing): not TCP resets. */
  readonly resets: number;
}

/** One rollout: the server's ledger, the client's view, and how the process ended. */
export interface RolloutResult extends RolloutTarget {
  /** Undefined when the process printed no `LEDGER` line (it had to be killed). */
  readonly ledger: ServerLedger | undefined;
  /** Accepted by the server without a complete response (`accepted − finished`). */
  readonly lost: number | undefined;
  /** The client's counts (its timestamps are turned into the two `…AfterSignalMs` below). */
  readonly client: Omit<ClientTally, 'lastOkAt' | 'firstRefusalAt'>;
  readonly autocannon: AutocannonTotals;
  /** From SIGTERM to the last complete 2xx response the client received. */
  readonly lastOkAfterSignalMs: number | undefined;
  /** From SIGTERM to the first connection refused (the server stopped accepting). */
  readonly firstRefusalAfterSignalMs: number | undefined;
  /** From SIGTERM to the process's exit, as the parent saw it. */
  readonly signalToExitMs: number;
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  /**
   * The process was still running `holdLimitMs` after SIGTERM, so the load was stopped first: it
   * exited only once its clients had gone (or was killed).
   */
  readonly heldOpen: boolean;
  /** It did not exit even after the load stopped, and was SIGKILLed. */
  readonly killed: boolean;
  /** What the process wrote on stderr. */
  readonly errorOutput: string;
}
