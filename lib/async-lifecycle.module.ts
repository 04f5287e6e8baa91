import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import {
  ASYNC_LIFECYCLE_OPTIONS,
  ConfigurableAsyncLifecycleModule,
  OPTIONS_TYPE,
} from './async-lifecycle.module-definition.js';
import { LifecycleCoordinator } from './core/lifecycle-coordinator.js';
import { LifecycleMetadataAccessor } from './discovery/lifecycle-metadata.accessor.js';
import { LifecycleExplorer } from './discovery/lifecycle.explorer.js';
import { LifecycleRegistrar } from './discovery/lifecycle.registrar.js';
import { LifecycleHealthIndicator } from './health/lifecycle.health.js';
import { INTAKE_INSTALLERS } from './intake/intake-installers.js';
import { CancellationFilter } from './nest/cancellation.filter.js';
import { lifecycleCoordinatorProvider } from './nest/lifecycle-coordinator.provider.js';
import { lifecycleLoggerProvider } from './nest/lifecycle-logger.provider.js';
import { moduleOptionsProvider } from './nest/module-options.provider.js';
import { LifecycleShutdownHooks } from './nest/lifecycle-shutdown.hooks.js';

/**
 * Makes every asynchronous piece of the application stop well: a global `LifecycleCoordinator`,
 * the `@ManagedTask`, `@CancellationSafe` and `@OnShutdown` decorators discovered at bootstrap,
 * and a phased shutdown that runs before Nest tears providers down. Options are validated at
 * bootstrap; `forRootAsync` takes `useFactory` / `useClass` / `useExisting` with `imports` and
 * `inject`.
 *
 * @example
 * @Module({
 *   imports: [AsyncLifecycleModule.forRoot({ phases: { gracefulMs: 20_000 }, reportFile: '/tmp/last-shutdown.json' })],
 * })
 * export class AppModule {}
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    moduleOptionsProvider,
    lifecycleLoggerProvider,
    lifecycleCoordinatorProvider,
    LifecycleMetadataAccessor,
    LifecycleExplorer,
    LifecycleRegistrar,
    LifecycleShutdownHooks,
    LifecycleHealthIndicator,
    // What intakes must do at instantiation, before any module init.
    ...INTAKE_INSTALLERS.flatMap((installer) => installer.providers ?? []),
    // A cancellation that reaches Nest's exception layer answers a retryable error, not a 500.
    { provide: APP_FILTER, useClass: CancellationFilter },
  ],
  exports: [LifecycleCoordinator, LifecycleHealthIndicator],
})
export class AsyncLifecycleModule extends ConfigurableAsyncLifecycleModule {
  /**
   * @example
   * AsyncLifecycleModule.forRoot({ drainDelayMs: 5_000, gracePeriodMs: 30_000 })
   */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    // Nest's builder copies the options key by key (null throws a bare TypeError there, an
    // array becomes {}): the value goes in as given, for the options provider to validate.
    const definition = super.forRoot({});
    const providers = (definition.providers ?? []).map((provider) =>
      typeof provider === 'object' &&
      'provide' in provider &&
      provider.provide === ASYNC_LIFECYCLE_OPTIONS
        ? { provide: ASYNC_LIFECYCLE_OPTIONS, useValue: options }
        : provider,
    );
    return { ...definition, providers };
  }
}
