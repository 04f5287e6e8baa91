import type { INestApplicationContext } from '@nestjs/common';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import { LifecycleState } from '../core/lifecycle-state.enum.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import { LIFECYCLE_LOGGER } from './lifecycle-logger.provider.js';
import { BootstrapTracker } from './bootstrap.tracker.js';
import { LifecycleShutdownHooks } from './lifecycle-shutdown.hooks.js';
import {
  RESOLVED_MODULE_OPTIONS,
  type ResolvedModuleOptions,
} from './resolved-module-options.interface.js';
import { ShutdownSignalHandler, type LifecycleShutdownOptions } from './shutdown-signal.handler.js';

const enabled = new WeakSet<INestApplicationContext>();

/**
 * One line in `main.ts` instead of `app.enableShutdownHooks()`: on SIGTERM or SIGINT it runs the
 * phased shutdown first — before any provider's `onModuleDestroy`, while the HTTP server still
 * serves the requests in flight — then `app.close(signal)`. A signal during `app.init()` /
 * `listen()` waits for bootstrap to finish (call this before `listen()`). A repeated signal
 * escalates one phase, a third terminates; the exit code is 0 for a clean or forced shutdown, 1
 * when tasks were abandoned, hooks failed or bootstrap failed (`exitCodeOf`); a process that
 * something still holds after closing is made to exit, with what held it in the log. A plain
 * `app.close()` removes its listeners; a leftover `app.enableShutdownHooks()` is switched off for
 * these signals, with a warning. Calling it twice for one app does nothing more.
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
  let hooks: LifecycleShutdownHooks;
  let moduleOptions: ResolvedModuleOptions;
  try {
    coordinator = app.get(LifecycleCoordinator, { strict: false });
    logger = app.get<LifecycleLogger>(LIFECYCLE_LOGGER, { strict: false });
    hooks = app.get(LifecycleShutdownHooks, { strict: false });
    moduleOptions = app.get<ResolvedModuleOptions>(RESOLVED_MODULE_OPTIONS, { strict: false });
  } catch (error) {
    throw new Error(LifecycleMessages.moduleMissing(), { cause: error });
  }
  // Before init (NestFactory.create, then listen()): a signal during bootstrap waits for it.
  const bootstrap = new BootstrapTracker(
    app,
    hooks.bootstrapped.promise,
    coordinator.state !== LifecycleState.STARTING,
  );
  const handler = new ShutdownSignalHandler(
    app,
    { coordinator, logger, bootstrap, reportFile: moduleOptions.reportFile },
    options,
  );
  handler.listen();
  // A plain app.close() (tests, a CLI that ends) takes the listeners with it.
  hooks.whenClosed(() => handler.detach());
  enabled.add(app);
}
