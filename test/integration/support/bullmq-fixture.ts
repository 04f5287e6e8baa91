import {
  Module,
  type INestApplicationContext,
  type OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BullModule, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job, Worker } from 'bullmq';
import { AsyncLifecycleModule } from '../../../lib/async-lifecycle.module.js';
import type { AsyncLifecycleOptions } from '../../../lib/async-lifecycle-options.interface.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { currentTask } from '../../../lib/core/task-context.storage.js';
import type { TaskContext } from '../../../lib/core/task.interface.js';
import { ManagedTask } from '../../../lib/decorators/managed-task.decorator.js';
import { deferred, untilAborted, type TestDeferred } from '../../support/deferred.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/** How a test processor behaves once a job entered it. */
export type JobBehaviour =
  /** Runs until the test releases it, whatever happens to its signal. */
  | 'ignores-signal'
  /** Runs until released, or rejects with its signal's reason when that aborts. */
  | 'honours-signal';

/** One job as the processor saw it. */
export interface JobEntry {
  readonly job: Job;
  /** The third argument of `process`: the processor's signal. */
  readonly signal: AbortSignal | undefined;
  /** `currentTask()` inside the processor. */
  readonly task: TaskContext | undefined;
  /** Resolve with the job's result, or reject with its error. */
  readonly release: TestDeferred<string>;
  /** Settles when the processor's own code has returned or thrown. */
  readonly finished: Promise<void>;
}

/** Jobs entering the test processors, in order, and a way to wait for the n-th. */
export class JobLedger {
  readonly entries: JobEntry[] = [];
  behaviour: JobBehaviour = 'ignores-signal';
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  /** The body of every test processor. */
  run(job: Job, signal: AbortSignal | undefined): Promise<string> {
    const release = deferred<string>();
    const body =
      this.behaviour === 'honours-signal' && signal !== undefined
        ? Promise.race([release.promise, untilAborted(signal)])
        : release.promise;
    const finished = body.then(
      () => undefined,
      () => undefined,
    );
    this.entries.push({ job, signal, task: currentTask(), release, finished });
    for (const waiter of this.waiters.filter((w) => this.entries.length >= w.count)) {
      waiter.resolve();
    }
    return body;
  }

  /** Resolves once `count` jobs have entered a processor. */
  entered(count: number): Promise<void> {
    if (this.entries.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Errors of a worker's run() (a test expects none). */
  readonly workerErrors: unknown[] = [];

  workerFailed(error: unknown): void {
    this.workerErrors.push(error);
  }

  /** Releases every job that entered so far (a test ending releases what it held). */
  releaseAll(): void {
    for (const entry of this.entries) if (!entry.release.settled) entry.release.resolve('released');
  }
}

export interface WorkerAppOptions {
  readonly queue: string;
  readonly port: number;
  readonly ledger: JobLedger;
  readonly concurrency?: number;
  readonly lifecycle?: AsyncLifecycleOptions;
  /** Decorate `process` with `@ManagedTask({ start: 'call' })`, as users did before the intake. */
  readonly managedCall?: boolean;
  /** More providers (plain workers). */
  readonly providers?: unknown[];
  /**
   * `@Processor(queue, { autorun: false })`, and the processor runs its worker in its own
   * `onApplicationBootstrap` — after the lifecycle module attached to it.
   */
  readonly runAtBootstrap?: boolean;
}

export interface WorkerApp {
  readonly app: INestApplicationContext;
  readonly coordinator: LifecycleCoordinator;
  readonly logger: RecordingLogger;
  /** The `@nestjs/bullmq` processor's worker. */
  readonly worker: Worker;
}

/**
 * A standalone Nest worker (an application context) set up the way `@nestjs/bullmq`'s docs show:
 * `BullModule.forRoot`, `registerQueue`, a `@Processor` class extending `WorkerHost` — plus
 * `AsyncLifecycleModule.forRoot()`.
 */
export async function startWorkerApp(options: WorkerAppOptions): Promise<WorkerApp> {
  const { ledger } = options;
  let processor: Type<
    WorkerHost & { process(job: Job, token?: string, signal?: AbortSignal): Promise<string> }
  >;
  if (options.managedCall === true) {
    @Processor(options.queue, { concurrency: options.concurrency ?? 1 })
    class ManagedCallProcessor extends WorkerHost {
      @ManagedTask({ start: 'call' })
      process(job: Job, _token?: string, signal?: AbortSignal): Promise<string> {
        return ledger.run(job, signal);
      }
    }
    processor = ManagedCallProcessor;
  } else if (options.runAtBootstrap === true) {
    @Processor(options.queue, { concurrency: options.concurrency ?? 1, autorun: false })
    class BootstrapRunProcessor extends WorkerHost implements OnApplicationBootstrap {
      process(job: Job, _token?: string, signal?: AbortSignal): Promise<string> {
        return ledger.run(job, signal);
      }
      onApplicationBootstrap(): void {
        // Not awaited: run() resolves when the worker stops.
        this.worker.run().catch((error: unknown) => ledger.workerFailed(error));
      }
    }
    processor = BootstrapRunProcessor;
  } else {
    @Processor(options.queue, { concurrency: options.concurrency ?? 1 })
    class TestProcessor extends WorkerHost {
      process(job: Job, _token?: string, signal?: AbortSignal): Promise<string> {
        return ledger.run(job, signal);
      }
    }
    processor = TestProcessor;
  }
  const logger = new RecordingLogger();

  @Module({
    imports: [
      AsyncLifecycleModule.forRoot({ logger, ...options.lifecycle }),
      BullModule.forRoot({ connection: { host: '127.0.0.1', port: options.port } }),
      BullModule.registerQueue({ name: options.queue }),
    ],
    providers: [processor, ...((options.providers ?? []) as never[])],
  })
  class WorkerModule {}

  const app = await NestFactory.createApplicationContext(WorkerModule, {
    logger: false,
    abortOnError: false,
  });
  return {
    app,
    coordinator: app.get(LifecycleCoordinator),
    logger,
    worker: app.get(processor).worker,
  };
}
