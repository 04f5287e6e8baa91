import type { Provider } from '@nestjs/common';
import { ASYNC_LIFECYCLE_OPTIONS } from '../async-lifecycle.module-definition.js';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import type { AsyncLifecycleOptions } from '../core/lifecycle-options.interface.js';
import { resolveLifecycleOptions } from '../core/lifecycle-options.validator.js';
import { LIFECYCLE_LOGGER } from './lifecycle-logger.provider.js';

/**
 * The application's one coordinator. Options are validated here, so a bad option fails
 * bootstrap with a message naming it. It starts in `starting` (readiness down) until bootstrap
 * ends, and leaves the final log line to `onApplicationShutdown`, after the server closed.
 */
export const lifecycleCoordinatorProvider: Provider = {
  provide: LifecycleCoordinator,
  inject: [ASYNC_LIFECYCLE_OPTIONS, LIFECYCLE_LOGGER],
  useFactory: (options: AsyncLifecycleOptions = {}, logger: LifecycleLogger) => {
    resolveLifecycleOptions(options);
    return new LifecycleCoordinator(
      { ...options, logger },
      { startInStartingState: true, deferReportLog: true },
    );
  },
};
