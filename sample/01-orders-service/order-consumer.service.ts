import { Injectable, Logger } from '@nestjs/common';
import {
  ManagedTask,
  TaskPriority,
  type TaskContext,
  abortableDelay,
} from 'nestjs-async-lifecycle';
import { OrderProcessor } from './order-processor.service.js';

/** A queue consumer: stops taking orders first, then the ones in flight finish. */
@Injectable()
export class OrderConsumer {
  private readonly logger = new Logger('OrderConsumer');
  private next = 1;
  processed = 0;

  constructor(private readonly processor: OrderProcessor) {}

  @ManagedTask({ priority: TaskPriority.LOW, cleanup: 'ackInFlight' })
  async consume({ signal }: TaskContext): Promise<void> {
    while (!signal.aborted) {
      const orderId = `order-${this.next++}`;
      // Not awaited: orders are processed concurrently, each one a managed call.
      this.processor.process(orderId).then(
        () => this.processed++,
        (error: unknown) => this.logger.warn(`${orderId}: ${String(error)}`),
      );
      await abortableDelay(25, signal).catch(() => undefined);
    }
    this.logger.log(`stopped taking orders after ${this.next - 1}`);
  }

  ackInFlight(): void {
    this.logger.log('consumer cleanup: acknowledged the last batch');
  }
}
