/**
 * What the engine logs through. Structurally compatible with Nest's `LoggerService`, so a Nest
 * `Logger` can be passed as is; the engine never writes to the console itself. `debug` receives
 * one line per task state change and is only called when present.
 *
 * @example
 * const coordinator = new LifecycleCoordinator({
 *   logger: { log: console.log, warn: console.warn, error: console.error },
 * });
 */
export interface LifecycleLogger {
  log(message: string, ...optionalParams: unknown[]): unknown;
  warn(message: string, ...optionalParams: unknown[]): unknown;
  error(message: string, ...optionalParams: unknown[]): unknown;
  debug?(message: string, ...optionalParams: unknown[]): unknown;
}
