import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import {
  checkDuration,
  checkKeys,
  checkPriority,
  isPlainObject,
} from '../../core/lifecycle-options.validator.js';
import { TaskPriority } from '../../core/task-priority.enum.js';

/**
 * HTTP request tracking (module option `http`): every request in flight is a managed task of
 * `priority`, drained in its wave.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ http: { priority: TaskPriority.HIGH, requestTimeoutMs: 10_000 } });
 */
export interface HttpIntakeOptions {
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

/** The `http` option after defaults. */
export interface ResolvedHttpIntakeOptions {
  readonly priority: TaskPriority;
  readonly requestTimeoutMs: number | undefined;
  readonly exclude: readonly string[];
}

const HTTP_KEYS = ['priority', 'requestTimeoutMs', 'exclude'];

/**
 * Validates the module option `http` (`true` when absent) and fills in its defaults: HIGH
 * priority, `/health` left alone; `undefined` when it is `false`.
 *
 * @example
 * resolveHttpIntakeOptions({ exclude: ['/metrics'] });
 * // { priority: TaskPriority.HIGH, requestTimeoutMs: undefined, exclude: ['/metrics'] }
 */
export function resolveHttpIntakeOptions(value: unknown): ResolvedHttpIntakeOptions | undefined {
  if (value === false) return undefined;
  if (value !== undefined && value !== true && !isPlainObject(value)) {
    throw InvalidLifecycleOptionError.invalid('http', value, 'a boolean or an object');
  }
  const given = isPlainObject(value) ? value : {};
  checkKeys('http.', given, HTTP_KEYS);
  const exclude: unknown = given.exclude;
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
  return {
    priority: checkPriority('http.priority', given.priority, TaskPriority.HIGH),
    requestTimeoutMs:
      given.requestTimeoutMs === undefined
        ? undefined
        : checkDuration('http.requestTimeoutMs', given.requestTimeoutMs, 0),
    exclude: exclude === undefined ? ['/health'] : [...(exclude as string[])],
  };
}
