import { Logger, type Provider } from '@nestjs/common';
import { LIFECYCLE_LOGGER_CONTEXT } from '../async-lifecycle.constants.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import type { LifecycleCoordinatorOptions } from '../core/lifecycle-options.interface.js';
import { guardLogger } from '../core/safe-logger.js';
import type { ResolvedModuleOptions } from './resolved-module-options.interface.js';
import { RESOLVED_MODULE_OPTIONS } from './resolved-module-options.interface.js';

/** Token of the logger the module and its coordinator write to. */
export const LIFECYCLE_LOGGER = Symbol('LIFECYCLE_LOGGER');

const SILENT: LifecycleLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * `false` → silent; a logger → that one; otherwise Nest's `Logger` in the `AsyncLifecycle`
 * context, without `debug`: one line per task state change would flood the default console
 * logger (every HTTP request is a task). Pass a logger with `debug` to get them. Every call is
 * guarded: a logger that throws loses its line, never the shutdown.
 */
export function createLifecycleLogger(
  option: LifecycleCoordinatorOptions['logger'],
): LifecycleLogger {
  if (option === false) return SILENT;
  // Guarded, both: a logger that throws (a closed stream) must not break a shutdown or a
  // bootstrap — Nest's Logger too, which writes through whatever app.useLogger() installed
  // (nestjs-pino's, whose destination a hook may have closed).
  if (typeof option === 'object' && option !== null) return guardLogger(option);
  const nest = new Logger(LIFECYCLE_LOGGER_CONTEXT);
  return guardLogger({
    log: (message: string) => nest.log(message),
    warn: (message: string) => nest.warn(message),
    error: (message: string, stack?: unknown) =>
      typeof stack === 'string' ? nest.error(message, stack) : nest.error(message),
  });
}

export const lifecycleLoggerProvider: Provider = {
  provide: LIFECYCLE_LOGGER,
  inject: [RESOLVED_MODULE_OPTIONS],
  useFactory: (options: ResolvedModuleOptions) => createLifecycleLogger(options.coordinator.logger),
};
