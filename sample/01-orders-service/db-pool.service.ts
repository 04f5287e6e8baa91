import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { OnShutdown, TaskPriority, abortableDelay } from 'nestjs-async-lifecycle';

/** Stands for a database pool: closed last, after every task that uses it. */
@Injectable()
export class DbPool implements OnModuleDestroy {
  private readonly logger = new Logger('DbPool');
  private open = true;

  async query(sql: string): Promise<string> {
    if (!this.open) throw new Error(`query after the pool closed: ${sql}`);
    await abortableDelay(5);
    return `result of ${sql}`;
  }

  @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'db-pool' })
  async close(): Promise<void> {
    await abortableDelay(20);
    this.open = false;
    this.logger.log('pool closed');
  }

  onModuleDestroy(): void {
    this.logger.log(`onModuleDestroy (pool ${this.open ? 'still open' : 'already closed'})`);
  }
}
