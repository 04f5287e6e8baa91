import type { LifecycleLogger } from './lifecycle-logger.interface.js';
import type { TaskPriority } from './task-priority.enum.js';

/**
 * Budgets of the three shutdown phases, in milliseconds.
 *
 * @example
 * const phases: PhaseBudgets = { gracefulMs: 20_000, forcefulMs: 5_000, terminateMs: 2_000 };
 */
export interface PhaseBudgets {
  /** Default 30000. */
  gracefulMs?: number;
  /** Default 10000. */
  forcefulMs?: number;
  /** Default 5000. */
  terminateMs?: number;
}

/**
 * HTTP request tracking: every request in flight is a managed task of `priority`.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ http: { priority: TaskPriority.HIGH, requestTimeoutMs: 10_000 } });
 */
export interface HttpTrackingOptions {
  /** Default `TaskPriority.HIGH`. */
  priority?: TaskPriority;
  /** How long an in-flight request may run once draining began; default: until GRACEFUL ends. */
  requestTimeoutMs?: number;
  /**
   * Path prefixes never tracked nor refused — health probes and metrics, which must answer
   * while the server is up, even after the HTTP wave ended. Default `['/health']`.
   */
  exclude?: string[];
}

/**
 * Options of `AsyncLifecycleModule.forRoot()` and of `new LifecycleCoordinator()`. Validated
 * when the coordinator is built: an unknown key or a bad value throws an
 * `InvalidLifecycleOptionError` naming the option and the value.
 *
 * @example
 * AsyncLifecycleModule.forRoot({
 *   phases: { gracefulMs: 20_000 },
 *   drainDelayMs: 5_000,
 *   gracePeriodMs: 30_000,
 *   reportFile: '/var/run/app/last-shutdown.json',
 * });
 */
export interface AsyncLifecycleOptions {
  phases?: PhaseBudgets;
  /** Readiness is down this long before intake closes and GRACEFUL starts; default 0. */
  drainDelayMs?: number;
  /** Budget of one cleanup callback or shutdown hook; default 5000. */
  cleanupTimeoutMs?: number;
  /**
   * The orchestrator's hard limit (Kubernetes `terminationGracePeriodSeconds` × 1000); a warning
   * is logged when `drainDelayMs` + the phase budgets do not fit inside it.
   */
  gracePeriodMs?: number;
  /** Track HTTP requests as managed tasks; default `true`. */
  http?: boolean | HttpTrackingOptions;
  /** Persist each shutdown report here (atomically) and read it back at the next boot. */
  reportFile?: string;
  /** `false` silences the library; a logger replaces the default one. */
  logger?: boolean | LifecycleLogger;
  /** A progress line is logged this often while a shutdown waits; default 5000, `0` disables. */
  progressIntervalMs?: number;
  /**
   * Run each task in an AsyncLocalStorage context, so that `currentTask()`, `shield()` and
   * `@CancellationSafe` see it across awaits; default `true`. On Node 20, AsyncLocalStorage
   * puts hook fields on every promise created inside: `false` saves about 0.8 µs and a few
   * hundred bytes per task, for engines running very many short tasks that never need it.
   */
  asyncContext?: boolean;
}

/** The options after defaults, as the engine uses them. */
export interface ResolvedLifecycleOptions {
  readonly gracefulMs: number;
  readonly forcefulMs: number;
  readonly terminateMs: number;
  readonly drainDelayMs: number;
  readonly cleanupTimeoutMs: number;
  readonly gracePeriodMs: number | undefined;
  readonly progressIntervalMs: number;
  readonly asyncContext: boolean;
  readonly logger: LifecycleLogger | undefined;
}
