import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import {
  checkDuration,
  checkKeys,
  checkPriority,
  isPlainObject,
} from '../../core/lifecycle-options.validator.js';
import { TaskPriority } from '../../core/task-priority.enum.js';

/**
 * WebSocket gateways (module option `websockets`): every message a gateway handles is a managed
 * task of `priority`, drained in its wave; when intake closes, clients are sent a close frame
 * (`closeCode`, `closeReason`) spread over a window — `closeWindowMs`, or `closeWindow` × the
 * GRACEFUL budget — with at most `closeIntervalMs` between two closes.
 *
 * @example
 * AsyncLifecycleModule.forRoot({
 *   websockets: { closeWindowMs: 10_000, closeReason: 'deploying, please reconnect' },
 * });
 */
export interface WebSocketIntakeOptions {
  /** Priority of message tasks and of the closing of clients; default `TaskPriority.HIGH`. */
  priority?: TaskPriority;
  /** The close code clients receive; default `1001` ("going away"). */
  closeCode?: number;
  /** The close reason clients receive (at most 123 bytes); default `'server shutting down'`. */
  closeReason?: string;
  /**
   * Share of the GRACEFUL budget over which the closes are spread, between 0 and 1; default
   * `0.5`, the other half being left for the last clients' replies and close handshakes.
   */
  closeWindow?: number;
  /** The window in milliseconds instead (not with `closeWindow`). */
  closeWindowMs?: number;
  /**
   * The longest pause between two closes; default `10` (at least 100 closes a second): a few
   * clients are closed within milliseconds rather than stretched over the whole window.
   */
  closeIntervalMs?: number;
}

/**
 * The `websockets` option after defaults.
 *
 * @example
 * const { closeCode, closeReason } = resolveWebSocketIntakeOptions(true)!; // 1001, 'server shutting down'
 */
export interface ResolvedWebSocketIntakeOptions {
  readonly priority: TaskPriority;
  readonly closeCode: number;
  readonly closeReason: string;
  /** Share of the GRACEFUL budget; ignored when `closeWindowMs` is set. */
  readonly closeWindow: number;
  readonly closeWindowMs: number | undefined;
  readonly closeIntervalMs: number;
}

/**
 * Defaults of the `websockets` option.
 *
 * @example
 * const windowMs = WEBSOCKET_DEFAULTS.closeWindow * gracefulMs;
 */
export const WEBSOCKET_DEFAULTS = {
  closeCode: 1001,
  closeReason: 'server shutting down',
  closeWindow: 0.5,
  closeIntervalMs: 10,
} as const;

const WEBSOCKET_KEYS = [
  'priority',
  'closeCode',
  'closeReason',
  'closeWindow',
  'closeWindowMs',
  'closeIntervalMs',
];

/** RFC 6455 §7.4: the codes a server may send (1004–1006 and 1015 are reserved). */
function isSendableCloseCode(code: unknown): code is number {
  return (
    typeof code === 'number' &&
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999))
  );
}

/**
 * Validates the module option `websockets` (`true` when absent) and fills in its defaults;
 * `undefined` when it is `false`. Throws an `InvalidLifecycleOptionError` naming the option.
 *
 * @example
 * resolveWebSocketIntakeOptions({ closeWindowMs: 5_000 });
 * // { priority: TaskPriority.HIGH, closeCode: 1001, closeReason: 'server shutting down',
 * //   closeWindow: 0.5, closeWindowMs: 5000, closeIntervalMs: 10 }
 */
export function resolveWebSocketIntakeOptions(
  value: unknown,
): ResolvedWebSocketIntakeOptions | undefined {
  if (value === false) return undefined;
  if (value !== undefined && value !== true && !isPlainObject(value)) {
    throw InvalidLifecycleOptionError.invalid('websockets', value, 'a boolean or an object');
  }
  const given = isPlainObject(value) ? value : {};
  checkKeys('websockets.', given, WEBSOCKET_KEYS);
  const { closeCode, closeReason, closeWindow } = given;
  if (closeCode !== undefined && !isSendableCloseCode(closeCode)) {
    throw InvalidLifecycleOptionError.invalid(
      'websockets.closeCode',
      closeCode,
      'a WebSocket close code a server may send: 1000–1003, 1007–1014 or 3000–4999',
    );
  }
  if (
    closeReason !== undefined &&
    (typeof closeReason !== 'string' || Buffer.byteLength(closeReason) > 123)
  ) {
    throw InvalidLifecycleOptionError.invalid(
      'websockets.closeReason',
      closeReason,
      'a string of at most 123 bytes (UTF-8)',
    );
  }
  if (
    closeWindow !== undefined &&
    (typeof closeWindow !== 'number' || !(closeWindow >= 0 && closeWindow <= 1))
  ) {
    throw InvalidLifecycleOptionError.invalid(
      'websockets.closeWindow',
      closeWindow,
      'a share of the GRACEFUL budget between 0 and 1',
    );
  }
  if (closeWindow !== undefined && given.closeWindowMs !== undefined) {
    throw InvalidLifecycleOptionError.invalid(
      'websockets.closeWindowMs',
      given.closeWindowMs,
      'nothing when websockets.closeWindow is set (one window or the other)',
    );
  }
  return {
    priority: checkPriority('websockets.priority', given.priority, TaskPriority.HIGH),
    closeCode: closeCode ?? WEBSOCKET_DEFAULTS.closeCode,
    closeReason: closeReason ?? WEBSOCKET_DEFAULTS.closeReason,
    closeWindow: closeWindow ?? WEBSOCKET_DEFAULTS.closeWindow,
    closeWindowMs:
      given.closeWindowMs === undefined
        ? undefined
        : checkDuration('websockets.closeWindowMs', given.closeWindowMs, 0),
    closeIntervalMs: checkDuration(
      'websockets.closeIntervalMs',
      given.closeIntervalMs,
      WEBSOCKET_DEFAULTS.closeIntervalMs,
    ),
  };
}
