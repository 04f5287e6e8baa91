import type { AbortedResponse, ServerLedger } from './app-instance.js';
import type { ProxyLogSummary } from './load-balancer.interface.js';
import type { WrkResult } from './wrk-load.js';

/** One instance replaced during the rolling restart. */
export interface RestartRecord {
  readonly oldPort: number;
  readonly newPort: number | undefined;
  /** SIGTERM to the old instance's exit (undefined: killed at the hold limit). */
  readonly exitMs: number | undefined;
  readonly exit: string;
  /** SIGTERM to the replacement's `READY` (listening, readiness up). */
  readonly replacementReadyMs: number | undefined;
  /** The replacement's `READY` to its first routed request: healthy but unused. */
  readonly unusedMs: number | undefined;
  /** SIGTERM to the proxy marking the old instance down (HAProxy's log), if it did. */
  readonly proxyNoticedMs: number | undefined;
  /** The old instance's ledger. */
  readonly ledger: ServerLedger | undefined;
  /** Responses the old instance cut off, with ms after SIGTERM. */
  readonly aborted: (AbortedResponse & { afterSignalMs: number })[];
  /** The old instance's report (`drain`, `intakes`; lifecycle rows). */
  readonly report: unknown;
  readonly errorOutput: string;
}

/** One rolling restart of one row behind one proxy configuration. */
export interface RolloutRun {
  readonly setup: string;
  readonly row: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Where it ran: CPU model × cores, and the Node version. */
  readonly machine: string;
  readonly node: string;
  /** The machine's 1-minute load average when the run started (the machine is shared). */
  readonly loadAverage: number;
  /** What the client saw. */
  readonly load: WrkResult | undefined;
  /** Requests sent that got no 2xx (non-2xx responses + socket errors + timeouts). */
  readonly failed: number | undefined;
  readonly proxy: ProxyLogSummary | undefined;
  readonly restarts: RestartRecord[];
  /** Set when the run itself broke (an instance never started, a proxy failed …). */
  readonly error?: string;
}
