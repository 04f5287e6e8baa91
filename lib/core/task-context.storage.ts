import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskContext } from './task.interface.js';

/** The managed task (or shutdown hook) the current async flow runs in. */
export const taskContextStorage = new AsyncLocalStorage<TaskContext>();

/**
 * The managed task the caller runs in — across awaits, timers and callbacks started inside it —
 * or `undefined` outside any task and inside shielded code (cleanups, `shield()`).
 *
 * @example
 * async function fetchPage(url: string) {
 *   return fetch(url, { signal: currentTask()?.signal });
 * }
 */
export function currentTask(): TaskContext | undefined {
  return taskContextStorage.getStore();
}
