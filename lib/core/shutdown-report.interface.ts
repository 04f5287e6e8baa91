import type { IntakeReports } from './intake.interface.js';
import type { ShutdownPhase } from './shutdown-phase.enum.js';
import type { TaskPriority } from './task-priority.enum.js';
import type { TaskState } from './task-state.enum.js';

/** How a cleanup or a shutdown hook ended. */
export type CallbackOutcome = 'ok' | 'failed' | 'timeout';

/**
 * `clean`: all ended in GRACEFUL and every cleanup and hook kept its deadline; `forced`: FORCEFUL
 * was needed, or a cleanup or hook went over its deadline; `terminated`: something abandoned.
 */
export type ShutdownOutcome = 'clean' | 'forced' | 'terminated';

/**
 * One phase the shutdown went through.
 *
 * @example
 * // { phase: 'graceful', budgetMs: 30000, elapsedMs: 1240, ended: 12, endedBy: 'done' }
 */
export interface PhaseReport {
  phase: ShutdownPhase;
  budgetMs: number;
  elapsedMs: number;
  /** Tasks that ended during this phase. */
  ended: number;
  /** Why the phase ended; absent while it is the current phase. */
  endedBy?: 'done' | 'budget' | 'escalate';
}

/**
 * One task alive when the shutdown began, in stop order (wave, then first created first).
 *
 * @example
 * // { id: '7', name: 'poller', priority: 3, dependsOn: [], wave: 1, state: 'cancelled',
 * //   endedIn: 'graceful', stopMs: 12, cleanup: { outcome: 'ok', durationMs: 3 } }
 */
export interface TaskReport {
  id: string;
  name: string;
  priority: TaskPriority;
  dependsOn: string[];
  wave: number;
  state: TaskState;
  endedIn?: ShutdownPhase;
  /** From the moment its wave began stopping it (its signal, or the wait for it) to its end. */
  stopMs?: number;
  error?: string;
  cleanup?: { outcome: CallbackOutcome; durationMs: number; error?: string };
  /** Offsets from the shutdown start, for the timeline. */
  signalledAtMs?: number;
  endedAtMs?: number;
}

/**
 * One shutdown hook (`@OnShutdown` or `registerShutdownHook`).
 *
 * @example
 * // { name: 'db-pool', priority: 0, wave: 4, outcome: 'ok', durationMs: 8 }
 */
export interface HookReport {
  name: string;
  priority: TaskPriority;
  wave: number;
  outcome: CallbackOutcome;
  durationMs: number;
  error?: string;
  startedAtMs?: number;
}

/**
 * How the drain before GRACEFUL went (DESIGN §4 "The measured drain"): readiness was down and
 * intake open for `durationMs`; it ended because traffic went `quiet`, at `max`, on `escalate`,
 * or there was none (`none`: no drain configured).
 *
 * @example
 * // { endedBy: 'quiet', durationMs: 2150, arrivals: 38, lastArrivalMs: 1150 }
 */
export interface DrainReport {
  endedBy: 'quiet' | 'max' | 'escalate' | 'none';
  durationMs: number;
  /** Connections and requests the intakes saw arrive after readiness went down. */
  arrivals: number;
  /** When the last of them arrived, from the shutdown start. */
  lastArrivalMs?: number;
}

/**
 * What a shutdown did: returned by `shutdown()`, by `getReport()`, logged, served on `/health`
 * while the server is up and persisted to `reportFile`. Plain JSON; no top-level `status` key.
 *
 * @example
 * const report = await coordinator.shutdown({ reason: 'deploy' });
 * if (report.outcome === 'terminated') alert(`abandoned: ${report.abandoned}`);
 */
export interface ShutdownReport {
  reason: string;
  startedAt: string;
  /** Present once the shutdown finished. */
  endedAt?: string;
  durationMs: number;
  /** Time spent draining before GRACEFUL (`drain.durationMs`). */
  drainMs: number;
  drain: DrainReport;
  phaseReached: ShutdownPhase;
  outcome: ShutdownOutcome;
  /** `false` while the shutdown is still running (a report so far). */
  finished: boolean;
  total: number;
  completed: number;
  cancelled: number;
  failed: number;
  abandoned: number;
  phases: PhaseReport[];
  tasks: TaskReport[];
  hooks: HookReport[];
  /** Abandoned work (tasks, cleanups, hooks) that failed after the shutdown gave up on it. */
  lateFailures: { name: string; error: string }[];
  /** Handle types alive after the shutdown that were not there when the coordinator started. */
  lingering: Record<string, number>;
  /** One section per intake in use (`http`, `websockets`, `bullmq` …), by name. */
  intakes: IntakeReports;
}
