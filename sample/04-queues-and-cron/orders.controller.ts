import { Controller, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { Queue } from 'bullmq';
import { abortableDelay, currentTask } from 'nestjs-async-lifecycle';
import { REPORTS_QUEUE, type ReportJob } from './reports.processor.js';

/** An `order.created` event: `ms` of work before its invoice is queued. */
export interface OrderCreated {
  id: string;
  ms: number;
}

/** A `report.request`: a report of `ms` to build. */
export interface ReportRequest {
  ms: number;
}

/**
 * Redis microservice handlers as Nest's documentation writes them. Each message is a managed
 * task: at SIGTERM the server unsubscribes (other instances receive what follows) and the
 * messages in flight finish in their wave.
 */
@Controller()
export class OrdersController {
  private readonly logger = new Logger(OrdersController.name);

  constructor(@InjectQueue(REPORTS_QUEUE) private readonly reports: Queue<ReportJob>) {}

  @EventPattern('order.created')
  async onOrderCreated(@Payload() order: OrderCreated): Promise<void> {
    this.logger.log(`order ${order.id} received`);
    await abortableDelay(order.ms, currentTask()?.signal);
    // The job id is the order's: a message handled twice queues one invoice.
    await this.reports.add(
      'invoice',
      { ms: 200, orderId: order.id },
      { jobId: `invoice-${order.id}` },
    );
    this.logger.log(`order ${order.id} handled: invoice queued`);
  }

  @MessagePattern('report.request')
  async requestReport(@Payload() request: ReportRequest): Promise<string | undefined> {
    const job = await this.reports.add('report', { ms: request.ms });
    this.logger.log(`report ${job.id} requested`);
    return job.id;
  }
}
