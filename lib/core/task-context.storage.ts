import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskContext } from './task.interface.js';

/** The managed task (or shutdown hook) the current async flow runs in. */
export const taskContextStorage = new AsyncLocalStorage<TaskContext>();

/**
 * A context that outlives its task answers `true` here once the task has ended: code still
 * running in its scope then (its own end being handled, work it left behind) runs in no task.
 */
export const TASK_ENDED: unique symbol = Symbol('task-ended');

/**
 * The managed task the caller runs in — across awaits, timers and callbacks started inside it —
 * or `undefined` outside any task, once that task has ended, and inside shielded code
 * (cleanups, `shield()`).
 *
 * @example
 * async function fetchPage(url: string) {
 *   return fetch(url, { signal: currentTask()?.signal });
 * }
 */
export function currentTask(): TaskContext | undefined {
  const ctx = taskContextStorage.getStore();
  return ctx === undefined || (ctx as { [TASK_ENDED]?: boolean })[TASK_ENDED] !== true
    ? ctx
    : undefined;
}
