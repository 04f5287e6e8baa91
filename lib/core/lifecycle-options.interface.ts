import type { LifecycleLogger } from './lifecycle-logger.interface.js';

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
 * The measured drain (DESIGN §4): readiness is down and intake stays open at least `minMs`, then
 * until no new connection or request has arrived for `quietMs`, at most `maxMs`.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ drain: { minMs: 2_000, quietMs: 1_000, maxMs: 15_000 } });
 */
export interface DrainOptions {
  /** Default 0. */
  minMs?: number;
  /** Default 10000. */
  maxMs?: number;
  /** Default 1000. */
  quietMs?: number;
}

/**
 * Options of `new LifecycleCoordinator()` — the engine's own; the Nest module adds its intakes'
 * and the report file's (`AsyncLifecycleOptions`). Validated when the coordinator is built: an
 * unknown key or a bad value throws an `InvalidLifecycleOptionError` naming the option and the
 * value.
 *
 * @example
 * new LifecycleCoordinator({
 *   phases: { gracefulMs: 20_000 },
 *   drainDelayMs: 5_000,
 *   gracePeriodMs: 30_000,
 * });
 */
export interface LifecycleCoordinatorOptions {
  phases?: PhaseBudgets;
  /**
   * A fixed drain: readiness is down this long before intake closes and GRACEFUL starts —
   * `drain: { minMs: N, maxMs: N }`. Default 0. Not together with `drain`.
   */
  drainDelayMs?: number;
  /** The measured drain; see {@link DrainOptions}. Not together with `drainDelayMs`. */
  drain?: DrainOptions;
  /** Budget of one cleanup callback or shutdown hook; default 5000. */
  cleanupTimeoutMs?: number;
  /**
   * The orchestrator's hard limit (Kubernetes `terminationGracePeriodSeconds` × 1000); a warning
   * is logged when the drain and the phase budgets do not fit inside it.
   */
  gracePeriodMs?: number;
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

/** The drain after defaults: `drainDelayMs: N` is `{ minMs: N, maxMs: N }`. */
export interface ResolvedDrain {
  readonly minMs: number;
  readonly maxMs: number;
  readonly quietMs: number;
}

/** The options after defaults, as the engine uses them. */
export interface ResolvedLifecycleOptions {
  readonly gracefulMs: number;
  readonly forcefulMs: number;
  readonly terminateMs: number;
  readonly drain: ResolvedDrain;
  readonly cleanupTimeoutMs: number;
  readonly gracePeriodMs: number | undefined;
  readonly progressIntervalMs: number;
  readonly asyncContext: boolean;
  readonly logger: LifecycleLogger | undefined;
}
