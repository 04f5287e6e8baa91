import type { Provider } from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import { LIFECYCLE_LOGGER } from '../../nest/lifecycle-logger.provider.js';
import {
  RESOLVED_MODULE_OPTIONS,
  type ResolvedModuleOptions,
} from '../../nest/resolved-module-options.interface.js';
import type { ResolvedMicroservicesIntakeOptions } from './microservices-intake.options.js';
import { watchMicroservices } from './microservices-watch.js';

/** Token of the microservices intake's instantiation step (its value: whether it watches). */
export const MICROSERVICES_WATCH = Symbol('MICROSERVICES_WATCH');

/**
 * The microservices intake's step at instantiation: a hybrid app in Nest's docs order
 * (`connectMicroservice()`, `startAllMicroservices()`, then `listen()`) has its microservices
 * taking messages before `listen()` runs any bootstrap hook, so the intake watches for servers
 * from the moment the providers exist — before `NestFactory.create()` even returns. Nothing is
 * done with `microservices: false`.
 *
 * @example
 * // AsyncLifecycleModule provides it; nothing to call.
 */
export const microservicesWatchProvider: Provider = {
  provide: MICROSERVICES_WATCH,
  inject: [
    RESOLVED_MODULE_OPTIONS,
    LifecycleCoordinator,
    LIFECYCLE_LOGGER,
    ModulesContainer,
    HttpAdapterHost,
  ],
  useFactory: (
    options: ResolvedModuleOptions,
    coordinator: LifecycleCoordinator,
    logger: LifecycleLogger,
    modules: ModulesContainer,
    adapterHost: HttpAdapterHost | undefined,
  ): boolean => {
    const resolved = options.intakes.get('microservices') as
      ResolvedMicroservicesIntakeOptions | undefined;
    if (resolved === undefined) return false;
    watchMicroservices(
      {
        coordinator,
        logger,
        modules,
        // Read at close: a testing module gets its adapter after its providers are created.
        httpAdapter: () => adapterHost?.httpAdapter as unknown,
      },
      resolved,
    );
    return true;
  },
};
