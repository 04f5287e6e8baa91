import { ModulesContainer } from '@nestjs/core';
import type { IntakeInstaller } from '../intake-installer.interface.js';
import {
  resolveMicroservicesIntakeOptions,
  type ResolvedMicroservicesIntakeOptions,
} from './microservices-intake.options.js';
import { watchMicroservices } from './microservices-watch.js';
import { microservicesWatchProvider } from './microservices-watch.provider.js';

/**
 * Drains the application's microservice servers (TCP, Redis, NATS, RabbitMQ), hybrid or
 * standalone. The watch starts at instantiation (`microservicesWatchProvider`), so that a server
 * started by a hybrid app's `startAllMicroservices()` before `listen()` is drained from its first
 * message; bootstrap's install only makes sure of it.
 */
export const microservicesIntakeInstaller: IntakeInstaller<ResolvedMicroservicesIntakeOptions> = {
  option: 'microservices',
  resolveOptions: resolveMicroservicesIntakeOptions,
  providers: [microservicesWatchProvider],
  install({ coordinator, logger, httpAdapter, app }, options) {
    watchMicroservices(
      {
        coordinator,
        logger,
        modules: app.get(ModulesContainer, { strict: false }),
        httpAdapter: () => httpAdapter,
      },
      options,
    );
  },
};
