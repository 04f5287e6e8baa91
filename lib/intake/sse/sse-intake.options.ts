import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import { checkDuration, checkKeys, isPlainObject } from '../../core/lifecycle-options.validator.js';

/**
 * How SSE streams and long-polls end when intake closes (module option `sse`). Only responses
 * that opted in — with `endOnShutdown()` or `longPoll()` — are ended; nothing else changes.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ sse: { retryMs: 2_000, spreadMs: 5_000 } });
 */
export interface SseIntakeOptions {
  /**
   * The `retry:` hint of a stream's last event: how long an `EventSource` waits before it
   * reconnects (to another instance). Default 1000.
   */
  retryMs?: number;
  /**
   * Streams and long-polls open at intake close are ended one after another over this window, so
   * that their clients do not all reconnect in the same instant. At most a quarter of the
   * GRACEFUL budget is used. Default 1000.
   */
  spreadMs?: number;
}

/**
 * The `sse` option after defaults.
 *
 * @example
 * const options: ResolvedSseIntakeOptions = { retryMs: 1_000, spreadMs: 1_000 };
 */
export interface ResolvedSseIntakeOptions {
  readonly retryMs: number;
  readonly spreadMs: number;
}

const SSE_KEYS = ['retryMs', 'spreadMs'];

/** Defaults of the `sse` option. */
export const DEFAULT_SSE_OPTIONS: ResolvedSseIntakeOptions = { retryMs: 1000, spreadMs: 1000 };

/**
 * Validates the module option `sse` (`true` when absent) and fills in its defaults. There is
 * nothing to turn off — only the streams that use the helpers are ended — so `false` is refused
 * rather than silently ignored.
 *
 * @example
 * resolveSseIntakeOptions({ retryMs: 3_000 }); // { retryMs: 3000, spreadMs: 1000 }
 */
export function resolveSseIntakeOptions(value: unknown): ResolvedSseIntakeOptions {
  if (value !== undefined && value !== true && !isPlainObject(value)) {
    throw InvalidLifecycleOptionError.invalid(
      'sse',
      value,
      'true or an object { retryMs, spreadMs } (only streams that use endOnShutdown() or longPoll() are ended: there is nothing to turn off)',
    );
  }
  const given = isPlainObject(value) ? value : {};
  checkKeys('sse.', given, SSE_KEYS);
  return {
    retryMs: checkDuration('sse.retryMs', given.retryMs, DEFAULT_SSE_OPTIONS.retryMs),
    spreadMs: checkDuration('sse.spreadMs', given.spreadMs, DEFAULT_SSE_OPTIONS.spreadMs),
  };
}
