/**
 * The part of a `cron` `CronJob` the schedule intake uses: public methods only. Structural, so
 * that no type of the optional `@nestjs/schedule` / `cron` packages reaches this library's
 * declarations.
 */
export interface CronJobLike {
  readonly isActive: boolean;
  start(): void;
  /** A promise when the job was made with `waitForCompletion`. */
  stop(): Promise<void> | undefined | void;
}

/**
 * The part of `@nestjs/schedule`'s `SchedulerRegistry` the schedule intake uses: its public
 * methods. Every `@Cron`, `@Interval` and `@Timeout` ends up there, and so do the jobs an
 * application adds at run time.
 */
export interface SchedulerRegistryLike {
  getCronJobs(): Map<string, CronJobLike>;
  getIntervals(): string[];
  getInterval(name: string): unknown;
  getTimeouts(): string[];
  getTimeout(name: string): unknown;
  addCronJob(name: string, job: CronJobLike): void;
  addInterval(name: string, intervalId: unknown): void;
  addTimeout(name: string, timeoutId: unknown): void;
}
