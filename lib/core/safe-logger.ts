import type { LifecycleLogger } from './lifecycle-logger.interface.js';

function noop(): void {}

/**
 * Wraps a user logger so that a call can never break a shutdown: a logger that throws (a closed
 * stream, pino after its destination ended) or returns a promise that rejects is ignored for
 * that line. A shutdown must end and be reported where it still can be, whatever logs it.
 *
 * @example
 * const logger = guardLogger(pino());
 * logger.warn('never throws');
 */
export function guardLogger(logger: LifecycleLogger): LifecycleLogger {
  const call =
    (level: 'log' | 'warn' | 'error' | 'debug') =>
    (message: string, ...rest: unknown[]): undefined => {
      try {
        const result: unknown = logger[level]?.(message, ...rest);
        // A logger returning a rejected promise must not become an unhandled rejection.
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
          (result as PromiseLike<unknown>).then(undefined, noop);
        }
      } catch {
        // The logger failed; the shutdown goes on.
      }
      return undefined;
    };
  const guarded: LifecycleLogger = { log: call('log'), warn: call('warn'), error: call('error') };
  if (typeof logger.debug === 'function') guarded.debug = call('debug');
  return guarded;
}
