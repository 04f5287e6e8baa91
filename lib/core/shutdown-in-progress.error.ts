import { CoreMessages } from './lifecycle.messages.js';

/**
 * Thrown when new work is offered after shutdown began: `createTask`, a `start: 'call'` method,
 * `registerShutdownHook`.
 *
 * @example
 * try {
 *   coordinator.createTask(sendEmail);
 * } catch (error) {
 *   if ((error as ShutdownInProgressError).isShutdownInProgressError) return queue.requeue(job);
 *   throw error;
 * }
 */
export class ShutdownInProgressError extends Error {
  readonly isShutdownInProgressError = true as const;
  override readonly name: string = 'ShutdownInProgressError';

  constructor(what = 'start a task') {
    super(CoreMessages.shutdownInProgress(what));
  }
}
