import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AsyncLifecycleModule, type AsyncLifecycleOptions } from 'nestjs-async-lifecycle';
import { LifecycleReadinessController } from './lifecycle-readiness.controller.js';
import { PlainReadinessController } from './plain-readiness.controller.js';
import { TerminusReadinessController } from './terminus-readiness.controller.js';
import { TimingController } from './timing.controller.js';

/**
 * `lifecycle`: this library drains the server; `plain`: Nest's `enableShutdownHooks()` alone,
 * readiness always up; `terminus`: `enableShutdownHooks()` with Terminus'
 * `gracefulShutdownTimeoutMs` (readiness down, then a sleep before the server closes).
 */
export type ShutdownMode = 'lifecycle' | 'plain' | 'terminus';

/** The same routes in each mode; only the shutdown and the readiness route differ. */
@Module({})
export class AppModule {
  static forMode(mode: ShutdownMode): DynamicModule {
    if (mode === 'plain') {
      return { module: AppModule, controllers: [TimingController, PlainReadinessController] };
    }
    if (mode === 'terminus') {
      const gracefulShutdownTimeoutMs = Number(process.env.TERMINUS_SHUTDOWN_MS ?? 1_000);
      return {
        module: AppModule,
        imports: [TerminusModule.forRoot({ gracefulShutdownTimeoutMs, logger: false })],
        controllers: [TimingController, TerminusReadinessController],
      };
    }
    const given = JSON.parse(process.env.LIFECYCLE_OPTIONS ?? '{}') as AsyncLifecycleOptions;
    const options: AsyncLifecycleOptions = {
      // Readiness is down this long before intake closes, unless a drain is given.
      ...(given.drain === undefined ? { drainDelayMs: 1_000 } : {}),
      phases: { gracefulMs: 10_000, forcefulMs: 2_000, terminateMs: 1_000 },
      ...given,
    };
    return {
      module: AppModule,
      imports: [TerminusModule.forRoot({ logger: false }), AsyncLifecycleModule.forRoot(options)],
      controllers: [TimingController, LifecycleReadinessController],
    };
  }
}
