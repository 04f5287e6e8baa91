import { describeError } from '../../lib/core/describe.js';

/**
 * Records the unhandled rejections and uncaught exceptions of this process while it listens, so
 * that a test can assert there were none (described safely: the value may be hostile). Detection
 * of an unhandled rejection needs a macrotask turn after the rejection: call `settle()` first.
 */
export class ProcessFaults {
  readonly faults: string[] = [];
  private readonly onRejection = (reason: unknown): void => {
    this.faults.push(`unhandled rejection: ${describeError(reason)}`);
  };
  private readonly onException = (error: unknown): void => {
    this.faults.push(`uncaught exception: ${describeError(error)}`);
  };

  start(): this {
    process.on('unhandledRejection', this.onRejection);
    process.on('uncaughtException', this.onException);
    return this;
  }

  /** Lets Node report what it found (it does so after the microtask queue, once a tick ends). */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  stop(): void {
    process.removeListener('unhandledRejection', this.onRejection);
    process.removeListener('uncaughtException', this.onException);
  }
}
