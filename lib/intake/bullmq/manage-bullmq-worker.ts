import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import type { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import { bullmqIntakeOf } from './bullmq-intake.registry.js';
import { isPatchableWorker, type BullmqWorkerLike } from './bullmq-worker.interface.js';
import { BullmqMessages } from './bullmq.messages.js';

/**
 * Hands a BullMQ `Worker` your code created to the library, which then drains it like the
 * workers of `@nestjs/bullmq` processors (found on its own): every job a managed task whose
 * signal is the processor's third argument, fetching stopped when the shutdown begins, jobs still
 * running at FORCEFUL moved back to their queue. Call it as soon as the worker exists (a job
 * started before is not tracked). A worker provided as such (`useFactory: () => new Worker(…)`)
 * is found without it. Closing the worker stays yours; when the shutdown is over it has nothing
 * left in flight. Throws `ShutdownInProgressError` once the shutdown began.
 *
 * @example
 * @Injectable()
 * export class MailWorker implements OnApplicationShutdown {
 *   private readonly worker = new Worker(
 *     'mail',
 *     (job, token, signal) => this.mailer.send(job.data, { signal }),
 *     { connection, concurrency: 4 },
 *   );
 *   constructor(coordinator: LifecycleCoordinator, private readonly mailer: Mailer) {
 *     manageBullmqWorker(coordinator, this.worker);
 *   }
 *   onApplicationShutdown() {
 *     return this.worker.close();
 *   }
 * }
 */
export function manageBullmqWorker(
  coordinator: LifecycleCoordinator,
  worker: BullmqWorkerLike,
): void {
  if (!isPatchableWorker(worker)) {
    throw InvalidLifecycleOptionError.invalid(
      'manageBullmqWorker(coordinator, worker)',
      worker,
      BullmqMessages.notAWorker,
    );
  }
  bullmqIntakeOf(coordinator).attach(worker);
}
