import { Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Cron, CronExpression, Interval } from '@nestjs/schedule';
import type { Queue } from 'bullmq';
import { abortableDelay, currentTask } from 'nestjs-async-lifecycle';
import { REPORTS_QUEUE, type ReportJob } from './reports.processor.js';

// Read once, when the decorators are evaluated.
const SWEEP_EVERY_MS = Number(process.env.SWEEP_EVERY_MS ?? 1000);
const SWEEP_MS = Number(process.env.SWEEP_MS ?? 300);

/**
 * Scheduled work as `@nestjs/schedule`'s documentation writes it. Each tick is a managed task:
 * the module stops the schedule when the shutdown begins and drains the tick in flight.
 */
@Injectable()
export class HousekeepingService {
  private readonly logger = new Logger(HousekeepingService.name);
  private sweeps = 0;

  constructor(@InjectQueue(REPORTS_QUEUE) private readonly reports: Queue<ReportJob>) {}

  /** Removes expired report files: `SWEEP_MS` of I/O, cut short only at FORCEFUL. */
  @Interval('sweep', SWEEP_EVERY_MS)
  async sweepExpiredReports(): Promise<void> {
    const sweep = ++this.sweeps;
    this.logger.log(`sweep ${sweep} started`);
    await abortableDelay(SWEEP_MS, currentTask()?.signal);
    this.logger.log(`sweep ${sweep} finished`);
  }

  /** Logs the queue's figures: a Redis round trip, drained like any tick. */
  @Cron(CronExpression.EVERY_5_SECONDS, { name: 'queue-stats' })
  async logQueueStats(): Promise<void> {
    const counts = await this.reports.getJobCounts('wait', 'active', 'completed', 'failed');
    this.logger.log(`queue ${REPORTS_QUEUE}: ${JSON.stringify(counts)}`);
  }
}
