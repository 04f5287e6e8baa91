import { Module } from '@nestjs/common';
import { AsyncLifecycleModule, type AsyncLifecycleOptions } from 'nestjs-async-lifecycle';
import { BackgroundJobs } from './background-jobs.service.js';
import { DbPool } from './db-pool.service.js';
import { OrderConsumer } from './order-consumer.service.js';
import { OrderProcessor } from './order-processor.service.js';
import { OrdersController } from './orders.controller.js';

const options: AsyncLifecycleOptions = {
  phases: { gracefulMs: 5_000, forcefulMs: 2_000, terminateMs: 1_000 },
  cleanupTimeoutMs: 1_000,
  progressIntervalMs: 1_000,
  ...(JSON.parse(process.env.LIFECYCLE_OPTIONS ?? '{}') as AsyncLifecycleOptions),
};

@Module({
  imports: [AsyncLifecycleModule.forRoot(options)],
  controllers: [OrdersController],
  providers: [DbPool, OrderProcessor, OrderConsumer, BackgroundJobs],
})
export class AppModule {}
