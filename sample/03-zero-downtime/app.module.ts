import { Module, type DynamicModule } from '@nestjs/common';
import { AsyncLifecycleModule, type AsyncLifecycleOptions } from 'nestjs-async-lifecycle';
import { TimingController } from './timing.controller.js';

/** `lifecycle`: this library drains the server; `plain`: Nest's `enableShutdownHooks()` alone. */
export type ShutdownMode = 'lifecycle' | 'plain';

@Module({ controllers: [TimingController] })
export class AppModule {
  /** The same controller, with the lifecycle module (`lifecycle`) or without it (`plain`). */
  static forMode(mode: ShutdownMode): DynamicModule {
    if (mode === 'plain') return { module: AppModule };
    const options: AsyncLifecycleOptions = {
      drainDelayMs: 1_000, // readiness is down this long before intake closes
      phases: { gracefulMs: 10_000, forcefulMs: 2_000, terminateMs: 1_000 },
      ...(JSON.parse(process.env.LIFECYCLE_OPTIONS ?? '{}') as AsyncLifecycleOptions),
    };
    return { module: AppModule, imports: [AsyncLifecycleModule.forRoot(options)] };
  }
}
