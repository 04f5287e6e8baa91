import type { Provider } from '@nestjs/common';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import { LIFECYCLE_LOGGER } from './lifecycle-logger.provider.js';
import { RESOLVED_MODULE_OPTIONS } from './resolved-module-options.interface.js';
import type { ResolvedModuleOptions } from './resolved-module-options.interface.js';

/**
 * The application's one coordinator. It starts in `starting` (readiness down) until bootstrap
 * ends, and leaves the final log line to `onApplicationShutdown`, after the server closed.
 */
export const lifecycleCoordinatorProvider: Provider = {
  provide: LifecycleCoordinator,
  inject: [RESOLVED_MODULE_OPTIONS, LIFECYCLE_LOGGER],
  useFactory: (options: ResolvedModuleOptions, logger: LifecycleLogger) =>
    new LifecycleCoordinator(
      { ...options.coordinator, logger },
      { startInStartingState: true, deferReportLog: true },
    ),
};
