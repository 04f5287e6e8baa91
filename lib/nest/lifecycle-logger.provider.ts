import { Logger, type Provider } from '@nestjs/common';
import { LIFECYCLE_LOGGER_CONTEXT } from '../async-lifecycle.constants.js';
import { ASYNC_LIFECYCLE_OPTIONS } from '../async-lifecycle.module-definition.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import type { AsyncLifecycleOptions } from '../core/lifecycle-options.interface.js';

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
 * logger (every HTTP request is a task). Pass a logger with `debug` to get them.
 */
export function createLifecycleLogger(option: AsyncLifecycleOptions['logger']): LifecycleLogger {
  if (option === false) return SILENT;
  if (typeof option === 'object' && option !== null) return option;
  const nest = new Logger(LIFECYCLE_LOGGER_CONTEXT);
  return {
    log: (message: string) => nest.log(message),
    warn: (message: string) => nest.warn(message),
    error: (message: string, stack?: unknown) =>
      typeof stack === 'string' ? nest.error(message, stack) : nest.error(message),
  };
}

export const lifecycleLoggerProvider: Provider = {
  provide: LIFECYCLE_LOGGER,
  inject: [ASYNC_LIFECYCLE_OPTIONS],
  useFactory: (options: AsyncLifecycleOptions = {}) => createLifecycleLogger(options.logger),
};
