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
  /**
   * Once the listener has closed, how long connections still in use keep being served before
   * they are told to go (`Connection: close`, a FIN when idle). A successor on the same port —
   * a restart behind a proxy with a fixed list of backends, such as nginx — binds it in that
   * time, and the proxy's reconnections find it rather than a closed port. Default 500 ms
   * (measured: a booted successor bound the freed port 10–300 ms later on a loaded 2-core
   * machine); longer when the successor boots slower, 0 when no successor takes the port.
   */
  handoverMs?: number;
}

/**
 * The request-tracking options `http` and `http2` share, after defaults.
 *
 * @example
 * const tracking: ResolvedRequestTracking = {
 *   priority: TaskPriority.HIGH,
 *   requestTimeoutMs: undefined,
 *   exclude: ['/health'],
 * };
 */
export interface ResolvedRequestTracking {
  readonly priority: TaskPriority;
  readonly requestTimeoutMs: number | undefined;
  readonly exclude: readonly string[];
}

/**
 * The `http` option after defaults.
 *
 * @example
 * resolveHttpIntakeOptions(true)?.handoverMs; // 500
 */
export interface ResolvedHttpIntakeOptions extends ResolvedRequestTracking {
  readonly handoverMs: number;
}

/** Default `http.handoverMs`. */
export const DEFAULT_HANDOVER_MS = 500;

const HTTP_KEYS = ['priority', 'requestTimeoutMs', 'exclude'];

/**
 * Validates a request-tracking option (`http`, `http2`: `true` when absent) and fills in the
 * defaults they share — HIGH priority, `/health` left alone; `undefined` when it is `false`.
 * `extraKeys` are the option's own keys, left in `given` for its caller to check.
 *
 * @example
 * resolveRequestTracking('http2', { spreadMs: 500 }, ['spreadMs']);
 * // { options: { priority: TaskPriority.HIGH, requestTimeoutMs: undefined, exclude: ['/health'] },
 * //   given: { spreadMs: 500 } }
 */
export function resolveRequestTracking(
  option: string,
  value: unknown,
  extraKeys: readonly string[] = [],
): { options: ResolvedRequestTracking; given: Record<string, unknown> } | undefined {
  if (value === false) return undefined;
  if (value !== undefined && value !== true && !isPlainObject(value)) {
    throw InvalidLifecycleOptionError.invalid(option, value, 'a boolean or an object');
  }
  const given = isPlainObject(value) ? value : {};
  checkKeys(`${option}.`, given, [...HTTP_KEYS, ...extraKeys]);
  const exclude: unknown = given.exclude;
  if (
    exclude !== undefined &&
    (!Array.isArray(exclude) ||
      exclude.some((path) => typeof path !== 'string' || !path.startsWith('/')))
  ) {
    throw InvalidLifecycleOptionError.invalid(
      `${option}.exclude`,
      exclude,
      "an array of paths starting with '/'",
    );
  }
  const options = {
    priority: checkPriority(`${option}.priority`, given.priority, TaskPriority.HIGH),
    requestTimeoutMs:
      given.requestTimeoutMs === undefined
        ? undefined
        : checkDuration(`${option}.requestTimeoutMs`, given.requestTimeoutMs, 0),
    exclude: exclude === undefined ? ['/health'] : [...(exclude as string[])],
  };
  return { options, given };
}

/**
 * Validates the module option `http` (`true` when absent) and fills in its defaults: HIGH
 * priority, `/health` left alone, a 500 ms hand-over; `undefined` when it is `false`.
 *
 * @example
 * resolveHttpIntakeOptions({ exclude: ['/metrics'] });
 * // { priority: TaskPriority.HIGH, requestTimeoutMs: undefined, exclude: ['/metrics'],
 * //   handoverMs: 500 }
 */
export function resolveHttpIntakeOptions(value: unknown): ResolvedHttpIntakeOptions | undefined {
  const resolved = resolveRequestTracking('http', value, ['handoverMs']);
  if (resolved === undefined) return undefined;
  return {
    ...resolved.options,
    handoverMs: checkDuration('http.handoverMs', resolved.given.handoverMs, DEFAULT_HANDOVER_MS),
  };
}
