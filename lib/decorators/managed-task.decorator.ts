import { SetMetadata } from '@nestjs/common';
import { MANAGED_TASK_METADATA } from '../async-lifecycle.constants.js';
import type { TaskPriority } from '../core/task-priority.enum.js';
import type {
  CleanupInfo,
  ManagedTask as ManagedTaskHandle,
  TaskOptions,
} from '../core/task.interface.js';
import { installDispatch } from './method-dispatch.js';

/**
 * When a `@ManagedTask` method runs: `bootstrap` (default) starts it once at application
 * bootstrap as a long-running task; `call` makes every call a managed task.
 */
export type TaskStart = 'bootstrap' | 'call';

/**
 * Options of `@ManagedTask`.
 *
 * @example
 * @ManagedTask({ priority: TaskPriority.LOW, start: 'call', cleanup: 'releaseLease', dependsOn: ['db-pool'] })
 */
export interface ManagedTaskOptions extends Omit<TaskOptions, 'cleanup' | 'dependsOn'> {
  /** Default `bootstrap`. */
  start?: TaskStart;
  /** A method name of the same class, or a function; runs once when the task (or call) ends. */
  cleanup?: string | ((info: CleanupInfo) => unknown);
  /** Names of tasks or `@OnShutdown` hooks this one needs: it stops before them. */
  dependsOn?: string[];
}

/**
 * Makes a provider method a managed task. With `start: 'bootstrap'` (default) it is started once
 * at application bootstrap and receives the `TaskContext` (stop when `ctx.signal` aborts); with
 * `start: 'call'` every call is a task in stop mode `drain` (cron ticks, queue processors, event
 * handlers): shutdown waits for the calls in flight to finish on their own, calls made by work
 * still in flight join the shutdown, and other calls after shutdown began reject with
 * `ShutdownInProgressError`. Names default to `ClassName.method`. Validated at bootstrap.
 *
 * @example
 * @Injectable()
 * export class OrderConsumer {
 *   @ManagedTask(TaskPriority.HIGH)
 *   async consume({ signal }: TaskContext) {
 *     while (!signal.aborted) await this.queue.next(signal).then((job) => this.handle(job));
 *   }
 *
 *   @ManagedTask({ start: 'call', cleanup: 'nack' })
 *   async handle(job: Job) { … }
 * }
 */
export function ManagedTask(
  priorityOrOptions?: TaskPriority | ManagedTaskOptions,
): MethodDecorator {
  const options: ManagedTaskOptions =
    typeof priorityOrOptions === 'object' && priorityOrOptions !== null
      ? { ...priorityOrOptions }
      : { priority: priorityOrOptions };
  return (target, key, descriptor) => {
    if (options.start === 'call') installDispatch(descriptor, 'managed-task');
    SetMetadata(MANAGED_TASK_METADATA, options)(target, key, descriptor);
    return descriptor;
  };
}

/**
 * A handle on a managed task (the value of `coordinator.createTask()`); same name as the
 * decorator, so one import serves both.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ManagedTask<T = unknown> extends ManagedTaskHandle<T> {}
