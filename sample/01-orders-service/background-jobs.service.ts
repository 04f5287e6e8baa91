import { Injectable, Logger } from '@nestjs/common';
import {
  ManagedTask,
  TaskPriority,
  type CleanupInfo,
  type TaskContext,
  abortableDelay,
} from 'nestjs-async-lifecycle';

/** Background work of different temperaments, to show every phase of a shutdown. */
@Injectable()
export class BackgroundJobs {
  private readonly logger = new Logger('BackgroundJobs');

  /** Stops as soon as asked. */
  @ManagedTask(TaskPriority.LOWEST)
  async warmCache({ signal }: TaskContext): Promise<void> {
    while (!signal.aborted) await abortableDelay(50, signal).catch(() => undefined);
    this.logger.log('cache warmer stopped');
  }

  /** Finishes the export it is writing before it stops (a little while). */
  @ManagedTask({ priority: TaskPriority.NORMAL, cleanup: 'removeTempFiles' })
  async exportReports({ signal }: TaskContext): Promise<void> {
    while (!signal.aborted) await abortableDelay(100, signal).catch(() => undefined);
    await abortableDelay(Number(process.env.EXPORT_STOP_MS ?? 150));
    this.logger.log('report export finished its file and stopped');
  }

  removeTempFiles(): void {
    this.logger.log('export cleanup: temp files removed');
  }

  /** A legacy job that never looks at its signal (only with STUBBORN=1). */
  @ManagedTask({ priority: TaskPriority.NORMAL, cleanup: 'abortLegacy' })
  async legacySync(): Promise<void> {
    if (process.env.STUBBORN !== '1') return;
    await new Promise<void>(() => undefined);
  }

  abortLegacy({ forced, phase }: CleanupInfo): void {
    if (forced)
      this.logger.warn(`legacy sync cleanup ran in the ${phase} phase, without waiting for it`);
  }
}
