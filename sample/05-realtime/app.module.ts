import { Module } from '@nestjs/common';
import { AsyncLifecycleModule, type AsyncLifecycleOptions } from 'nestjs-async-lifecycle';
import { SseController } from './sse.controller.js';

const options: AsyncLifecycleOptions = {
  phases: { gracefulMs: 5_000, forcefulMs: 1_000, terminateMs: 1_000 },
  ...(JSON.parse(process.env.LIFECYCLE_OPTIONS ?? '{}') as AsyncLifecycleOptions),
};

@Module({
  imports: [AsyncLifecycleModule.forRoot(options)],
  controllers: [SseController],
})
export class AppModule {}
