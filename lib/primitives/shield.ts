import { taskContextStorage } from '../core/task-context.storage.js';

/**
 * Runs `fn` outside the current managed task: inside it (and everything it awaits or starts),
 * `currentTask()` is `undefined`, so primitives and `@CancellationSafe` methods called from it
 * do not follow the task's cancellation. For cleanups that must finish.
 *
 * @example
 * // before: the flush follows the task's signal and is aborted with it
 * ctx.signal.addEventListener('abort', () => void flushAll());
 * // after
 * ctx.signal.addEventListener('abort', () => void shield(() => flushAll()));
 */
export function shield<T>(fn: () => PromiseLike<T> | T): Promise<T> {
  try {
    return Promise.resolve(taskContextStorage.exit(fn));
  } catch (error) {
    return Promise.reject(error);
  }
}
