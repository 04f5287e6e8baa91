import type { INestApplicationContext } from '@nestjs/common';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import { LIFECYCLE_LOGGER } from './lifecycle-logger.provider.js';
import { ShutdownSignalHandler, type LifecycleShutdownOptions } from './shutdown-signal.handler.js';

const enabled = new WeakSet<INestApplicationContext>();

/**
 * One line in `main.ts` instead of `app.enableShutdownHooks()`: on SIGTERM or SIGINT it runs the
 * phased shutdown first — before any provider's `onModuleDestroy`, while the HTTP server still
 * serves the requests in flight — then `app.close(signal)`. A repeated signal escalates one
 * phase, a third terminates; the exit code is 0 for a clean or forced shutdown, 1 when tasks
 * were abandoned or hooks failed; a process that something still holds after closing is made to
 * exit, with what held it in the log. Calling it twice for one app does nothing more.
 *
 * @example
 * const app = await NestFactory.create(AppModule);
 * enableLifecycleShutdown(app);
 * await app.listen(3000);
 */
export function enableLifecycleShutdown(
  app: INestApplicationContext,
  options: LifecycleShutdownOptions = {},
): void {
  if (enabled.has(app)) return;
  let coordinator: LifecycleCoordinator;
  let logger: LifecycleLogger;
  try {
    coordinator = app.get(LifecycleCoordinator, { strict: false });
    logger = app.get<LifecycleLogger>(LIFECYCLE_LOGGER, { strict: false });
  } catch (error) {
    throw new Error(LifecycleMessages.moduleMissing(), { cause: error });
  }
  new ShutdownSignalHandler(app, coordinator, logger, options).listen();
  enabled.add(app);
}
