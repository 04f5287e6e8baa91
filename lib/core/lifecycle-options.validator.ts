import { InvalidLifecycleOptionError } from './invalid-option.error.js';
import type { LifecycleLogger } from './lifecycle-logger.interface.js';
import type {
  LifecycleCoordinatorOptions,
  ResolvedDrain,
  ResolvedLifecycleOptions,
} from './lifecycle-options.interface.js';
import { CoreMessages } from './lifecycle.messages.js';
import { isTaskPriority, type TaskPriority } from './task-priority.enum.js';

/** setTimeout fires at once (with a warning) above this; a budget must stay below it. */
export const MAX_TIMER_MS = 2_147_483_647;

export const DEFAULT_BUDGETS = {
  gracefulMs: 30_000,
  forcefulMs: 10_000,
  terminateMs: 5_000,
  cleanupTimeoutMs: 5_000,
  progressIntervalMs: 5_000,
} as const;

/** Defaults of the measured drain (`drain: {}`). */
export const DEFAULT_DRAIN = { minMs: 0, maxMs: 10_000, quietMs: 1_000 } as const;

/** The engine's own option keys; the Nest module adds its own to these. */
export const COORDINATOR_OPTION_KEYS: readonly string[] = [
  'phases',
  'drainDelayMs',
  'drain',
  'cleanupTimeoutMs',
  'gracePeriodMs',
  'logger',
  'progressIntervalMs',
  'asyncContext',
];
const PHASE_KEYS = ['gracefulMs', 'forcefulMs', 'terminateMs'] as const;
const DRAIN_KEYS = ['minMs', 'maxMs', 'quietMs'] as const;

/** Whether `value` is a plain object (`{}` or `Object.create(null)`), not a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Throws for the first key of `value` not in `known`, naming it (`path` prefixes it). */
export function checkKeys(
  path: string,
  value: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      throw InvalidLifecycleOptionError.unknown(path + key, value[key], known);
  }
}

/**
 * The longest a shutdown may take before it is over, however tasks behave: the longest drain
 * plus the three phase budgets. What the watchdog, `isAlive` and `gracePeriodMs` compare with.
 *
 * @example
 * setTimeout(exitNow, totalBudgetMs(coordinator.options) + 5_000).unref();
 */
export function totalBudgetMs(options: ResolvedLifecycleOptions): number {
  return options.drain.maxMs + options.gracefulMs + options.forcefulMs + options.terminateMs;
}

/**
 * A duration option: `fallback` when absent, else a finite number of milliseconds in
 * [`min`, 2³¹−1] (above that, Node fires a timer at once).
 */
export function checkDuration(path: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw InvalidLifecycleOptionError.invalid(
      path,
      value,
      `a finite number of milliseconds between ${min} and ${MAX_TIMER_MS}`,
    );
  }
  return value;
}

/** A priority option: `fallback` when absent, else one of the five `TaskPriority` values. */
export function checkPriority(path: string, value: unknown, fallback: TaskPriority): TaskPriority {
  if (value === undefined) return fallback;
  if (!isTaskPriority(value)) {
    throw InvalidLifecycleOptionError.invalid(
      path,
      value,
      'a TaskPriority (0 = CRITICAL … 4 = LOWEST)',
    );
  }
  return value;
}

function isLogger(value: unknown): value is LifecycleLogger {
  if (typeof value !== 'object' || value === null) return false;
  const logger = value as Record<string, unknown>;
  return (
    typeof logger.log === 'function' &&
    typeof logger.warn === 'function' &&
    typeof logger.error === 'function'
  );
}

/**
 * Checks every option and fills in the defaults. Throws an `InvalidLifecycleOptionError` that
 * names the option and the value for an unknown key, a negative or non-number budget, a bad
 * priority, logger or report file.
 *
 * @example
 * resolveLifecycleOptions({ phases: { gracefulMs: 'soon' } });
 * // InvalidLifecycleOptionError: Invalid option phases.gracefulMs = "soon": expected a finite number …
 */
export function resolveLifecycleOptions(options: unknown = {}): ResolvedLifecycleOptions {
  if (!isPlainObject(options)) {
    throw InvalidLifecycleOptionError.invalid('options', options, 'a plain object');
  }
  checkKeys('', options, COORDINATOR_OPTION_KEYS);
  const o = options as LifecycleCoordinatorOptions;

  let phases: Record<string, unknown> = {};
  if (o.phases !== undefined) {
    if (!isPlainObject(o.phases)) {
      throw InvalidLifecycleOptionError.invalid('phases', o.phases, 'an object');
    }
    checkKeys('phases.', o.phases, PHASE_KEYS);
    phases = o.phases;
  }

  if (o.asyncContext !== undefined && typeof o.asyncContext !== 'boolean') {
    throw InvalidLifecycleOptionError.invalid('asyncContext', o.asyncContext, 'a boolean');
  }
  if (o.logger !== undefined && typeof o.logger !== 'boolean' && !isLogger(o.logger)) {
    throw InvalidLifecycleOptionError.invalid(
      'logger',
      o.logger,
      'a boolean or an object with log, warn and error methods',
    );
  }

  const resolved: ResolvedLifecycleOptions = {
    gracefulMs: checkDuration('phases.gracefulMs', phases.gracefulMs, DEFAULT_BUDGETS.gracefulMs),
    forcefulMs: checkDuration('phases.forcefulMs', phases.forcefulMs, DEFAULT_BUDGETS.forcefulMs),
    terminateMs: checkDuration(
      'phases.terminateMs',
      phases.terminateMs,
      DEFAULT_BUDGETS.terminateMs,
    ),
    drain: resolveDrain(o),
    cleanupTimeoutMs: checkDuration(
      'cleanupTimeoutMs',
      o.cleanupTimeoutMs,
      DEFAULT_BUDGETS.cleanupTimeoutMs,
    ),
    gracePeriodMs:
      o.gracePeriodMs === undefined
        ? undefined
        : checkDuration('gracePeriodMs', o.gracePeriodMs, 0, 1),
    progressIntervalMs: checkDuration(
      'progressIntervalMs',
      o.progressIntervalMs,
      DEFAULT_BUDGETS.progressIntervalMs,
    ),
    asyncContext: o.asyncContext ?? true,
    logger: isLogger(o.logger) ? o.logger : undefined,
  };
  // Each budget alone is in range; their sum must be too, or a watchdog timer over it overflows.
  const total = totalBudgetMs(resolved);
  if (total > MAX_TIMER_MS) {
    throw InvalidLifecycleOptionError.invalid(
      'phases',
      { drainMs: resolved.drain.maxMs, ...phases },
      `budgets whose sum (${total} ms with the drain) is at most ${MAX_TIMER_MS} ms`,
    );
  }
  return resolved;
}

function resolveDrain(o: LifecycleCoordinatorOptions): ResolvedDrain {
  if (o.drain === undefined) {
    const delay = checkDuration('drainDelayMs', o.drainDelayMs, 0);
    return { minMs: delay, maxMs: delay, quietMs: 0 };
  }
  if (o.drainDelayMs !== undefined) {
    throw InvalidLifecycleOptionError.invalid(
      'drainDelayMs',
      o.drainDelayMs,
      'nothing when `drain` is set (drainDelayMs: N is drain: { minMs: N, maxMs: N })',
    );
  }
  if (!isPlainObject(o.drain)) {
    throw InvalidLifecycleOptionError.invalid('drain', o.drain, 'an object');
  }
  checkKeys('drain.', o.drain, DRAIN_KEYS);
  const drain = o.drain;
  const minMs = checkDuration('drain.minMs', drain.minMs, DEFAULT_DRAIN.minMs);
  const maxMs = checkDuration('drain.maxMs', drain.maxMs, Math.max(minMs, DEFAULT_DRAIN.maxMs));
  const quietMs = checkDuration('drain.quietMs', drain.quietMs, DEFAULT_DRAIN.quietMs);
  if (maxMs < minMs) {
    throw InvalidLifecycleOptionError.invalid(
      'drain.maxMs',
      maxMs,
      `at least drain.minMs (${minMs})`,
    );
  }
  return { minMs, maxMs, quietMs };
}

/**
 * The warnings a valid configuration still deserves: budgets that do not fit in the
 * orchestrator's grace period.
 *
 * @example
 * for (const warning of lifecycleOptionWarnings(resolved)) logger.warn(warning);
 */
export function lifecycleOptionWarnings(options: ResolvedLifecycleOptions): string[] {
  const total = totalBudgetMs(options);
  if (options.gracePeriodMs !== undefined && total > options.gracePeriodMs) {
    return [CoreMessages.budgetsExceedGracePeriod(total, options.gracePeriodMs)];
  }
  return [];
}
