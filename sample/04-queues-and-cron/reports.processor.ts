import { Logger } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { abortableDelay } from 'nestjs-async-lifecycle';

/** The queue this worker consumes; `orders.controller.ts` and the demo add to it. */
export const REPORTS_QUEUE = 'reports';

/** A report to build (`report`) or an invoice to send (`invoice`): `ms` of work. */
export interface ReportJob {
  ms: number;
  orderId?: string;
}

/**
 * A `@nestjs/bullmq` processor as its documentation writes one. The only nod to the shutdown:
 * the work honours the processor's third argument, the job's signal — it aborts at FORCEFUL,
 * and the module then hands the job back to its queue instead of failing it.
 */
@Processor(REPORTS_QUEUE, { concurrency: Number(process.env.CONCURRENCY ?? 2) })
export class ReportsProcessor extends WorkerHost {
  private readonly logger = new Logger(ReportsProcessor.name);

  async process(job: Job<ReportJob>, _token?: string, signal?: AbortSignal): Promise<string> {
    this.logger.log(`job ${job.id} (${job.name}, ${job.data.ms} ms) started`);
    // Rejects with the shutdown's CancelledError when the signal aborts: the job goes back.
    await abortableDelay(job.data.ms, signal);
    this.logger.log(`job ${job.id} done`);
    return `${job.name} ${job.id} built`;
  }

  @OnWorkerEvent('completed')
  onCompleted(job: Job<ReportJob>): void {
    this.logger.log(`job ${job.id} completed`);
  }
}
