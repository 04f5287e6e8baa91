import { Injectable, Logger } from '@nestjs/common';
import {
  CancellationSafe,
  ManagedTask,
  TaskPriority,
  currentTask,
  abortableDelay,
} from 'nestjs-async-lifecycle';
import { DbPool } from './db-pool.service.js';

/** Every call is a managed task: shutdown waits for the orders in flight. */
@Injectable()
export class OrderProcessor {
  private readonly logger = new Logger('OrderProcessor');
  readonly locks = new Set<string>();

  constructor(private readonly db: DbPool) {}

  @ManagedTask({ start: 'call', priority: TaskPriority.HIGH, dependsOn: ['db-pool'] })
  async process(orderId: string): Promise<string> {
    await this.reserveStock(orderId);
    return this.db.query(`UPDATE orders SET state = 'done' WHERE id = '${orderId}'`);
  }

  /** Holds a lock while it works; cancelled mid-way, its cleanup releases the lock. */
  @CancellationSafe('releaseLock')
  async reserveStock(orderId: string): Promise<void> {
    this.locks.add(orderId);
    await abortableDelay(40, currentTask()?.signal);
    this.locks.delete(orderId);
  }

  releaseLock(orderId: string): void {
    this.locks.delete(orderId);
    this.logger.log(`released the lock of ${orderId} (cancelled)`);
  }
}
