import { checkDuration } from '../../core/lifecycle-options.validator.js';
import type { TaskPriority } from '../../core/task-priority.enum.js';
import { resolveRequestTracking } from '../http/http-intake.options.js';

/**
 * HTTP/2 draining (module option `http2`), for an application whose adapter serves HTTP/2
 * (Fastify with `http2: true`): every stream in flight is a managed task of `priority`, drained
 * in its wave; sessions get GOAWAY at intake close, spread over `spreadMs`.
 *
 * A key of its own rather than inside `http`: a different server class, connections that are
 * sessions carrying many streams, and its own knob (`spreadMs`). `priority`, `requestTimeoutMs`
 * and `exclude` mean what they mean under `http`.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ http2: { exclude: ['/health'], spreadMs: 2_000 } });
 */
export interface Http2IntakeOptions {
  /** Default `TaskPriority.HIGH`. */
  priority?: TaskPriority;
  /** How long an in-flight stream may run once draining began; default: until GRACEFUL ends. */
  requestTimeoutMs?: number;
  /** Path prefixes never tracked nor refused (health probes, metrics). Default `['/health']`. */
  exclude?: string[];
  /**
   * Sessions open at intake close get their GOAWAY one after another over this window, so that
   * their clients do not all reconnect in the same instant. At most a quarter of the GRACEFUL
   * budget is used. Default 1000.
   */
  spreadMs?: number;
}

/**
 * The `http2` option after defaults.
 *
 * @example
 * const options: ResolvedHttp2IntakeOptions = {
 *   priority: TaskPriority.HIGH,
 *   requestTimeoutMs: undefined,
 *   exclude: ['/health'],
 *   spreadMs: 1_000,
 * };
 */
export interface ResolvedHttp2IntakeOptions {
  readonly priority: TaskPriority;
  readonly requestTimeoutMs: number | undefined;
  readonly exclude: readonly string[];
  readonly spreadMs: number;
}

/**
 * Validates the module option `http2` (`true` when absent) and fills in its defaults: HIGH
 * priority, `/health` left alone, GOAWAY spread over 1 s; `undefined` when it is `false`.
 *
 * @example
 * resolveHttp2IntakeOptions({ spreadMs: 500 });
 * // { priority: TaskPriority.HIGH, requestTimeoutMs: undefined, exclude: ['/health'], spreadMs: 500 }
 */
export function resolveHttp2IntakeOptions(value: unknown): ResolvedHttp2IntakeOptions | undefined {
  const resolved = resolveRequestTracking('http2', value, ['spreadMs']);
  if (resolved === undefined) return undefined;
  return {
    ...resolved.options,
    spreadMs: checkDuration('http2.spreadMs', resolved.given.spreadMs, 1000),
  };
}
