import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { ScheduleModule } from '@nestjs/schedule';
import { AsyncLifecycleModule, type AsyncLifecycleOptions } from 'nestjs-async-lifecycle';
import { HousekeepingService } from './housekeeping.service.js';
import { OrdersController } from './orders.controller.js';
import { redisConnection } from './redis-connection.js';
import { REPORTS_QUEUE, ReportsProcessor } from './reports.processor.js';

const options: AsyncLifecycleOptions = {
  // Jobs and messages get 3 s to finish; those still running are then stopped and handed back.
  phases: { gracefulMs: 3_000, forcefulMs: 2_000, terminateMs: 1_000 },
  ...(JSON.parse(process.env.LIFECYCLE_OPTIONS ?? '{}') as AsyncLifecycleOptions),
};

/** The worker: `AsyncLifecycleModule.forRoot()` next to the modules as their docs show them. */
@Module({
  imports: [
    AsyncLifecycleModule.forRoot(options),
    ScheduleModule.forRoot(),
    BullModule.forRoot({ connection: redisConnection() }),
    BullModule.registerQueue({ name: REPORTS_QUEUE }),
  ],
  controllers: [OrdersController],
  providers: [ReportsProcessor, HousekeepingService],
})
export class WorkerModule {}
