import { InvalidLifecycleOptionError } from './invalid-option.error.js';
import type { LifecycleLogger } from './lifecycle-logger.interface.js';
import type {
  AsyncLifecycleOptions,
  ResolvedLifecycleOptions,
} from './lifecycle-options.interface.js';
import { CoreMessages } from './lifecycle.messages.js';
import { isTaskPriority, TaskPriority } from './task-priority.enum.js';

/** setTimeout fires at once (with a warning) above this; a budget must stay below it. */
export const MAX_TIMER_MS = 2_147_483_647;

export const DEFAULT_BUDGETS = {
  gracefulMs: 30_000,
  forcefulMs: 10_000,
  terminateMs: 5_000,
  cleanupTimeoutMs: 5_000,
  progressIntervalMs: 5_000,
} as const;

const OPTION_KEYS = [
  'phases',
  'drainDelayMs',
  'cleanupTimeoutMs',
  'gracePeriodMs',
  'http',
  'reportFile',
  'logger',
  'progressIntervalMs',
  'asyncContext',
] as const;
const PHASE_KEYS = ['gracefulMs', 'forcefulMs', 'terminateMs'] as const;
const HTTP_KEYS = ['priority', 'requestTimeoutMs', 'exclude'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkKeys(path: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      throw InvalidLifecycleOptionError.unknown(path + key, value[key], known);
  }
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
  checkKeys('', options, OPTION_KEYS);
  const o = options as AsyncLifecycleOptions;

  let phases: Record<string, unknown> = {};
  if (o.phases !== undefined) {
    if (!isPlainObject(o.phases)) {
      throw InvalidLifecycleOptionError.invalid('phases', o.phases, 'an object');
    }
    checkKeys('phases.', o.phases, PHASE_KEYS);
    phases = o.phases;
  }

  if (o.http !== undefined && typeof o.http !== 'boolean') {
    if (!isPlainObject(o.http)) {
      throw InvalidLifecycleOptionError.invalid('http', o.http, 'a boolean or an object');
    }
    checkKeys('http.', o.http, HTTP_KEYS);
    checkPriority('http.priority', o.http.priority, TaskPriority.HIGH);
    checkDuration('http.requestTimeoutMs', o.http.requestTimeoutMs, 0);
    const exclude: unknown = o.http.exclude;
    if (
      exclude !== undefined &&
      (!Array.isArray(exclude) ||
        exclude.some((path) => typeof path !== 'string' || !path.startsWith('/')))
    ) {
      throw InvalidLifecycleOptionError.invalid(
        'http.exclude',
        exclude,
        "an array of paths starting with '/'",
      );
    }
  }
  if (o.reportFile !== undefined && (typeof o.reportFile !== 'string' || o.reportFile === '')) {
    throw InvalidLifecycleOptionError.invalid('reportFile', o.reportFile, 'a non-empty file path');
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

  return {
    gracefulMs: checkDuration('phases.gracefulMs', phases.gracefulMs, DEFAULT_BUDGETS.gracefulMs),
    forcefulMs: checkDuration('phases.forcefulMs', phases.forcefulMs, DEFAULT_BUDGETS.forcefulMs),
    terminateMs: checkDuration(
      'phases.terminateMs',
      phases.terminateMs,
      DEFAULT_BUDGETS.terminateMs,
    ),
    drainDelayMs: checkDuration('drainDelayMs', o.drainDelayMs, 0),
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
}

/**
 * The warnings a valid configuration still deserves: budgets that do not fit in the
 * orchestrator's grace period.
 *
 * @example
 * for (const warning of lifecycleOptionWarnings(resolved)) logger.warn(warning);
 */
export function lifecycleOptionWarnings(options: ResolvedLifecycleOptions): string[] {
  const total =
    options.drainDelayMs + options.gracefulMs + options.forcefulMs + options.terminateMs;
  if (options.gracePeriodMs !== undefined && total > options.gracePeriodMs) {
    return [CoreMessages.budgetsExceedGracePeriod(total, options.gracePeriodMs)];
  }
  return [];
}
