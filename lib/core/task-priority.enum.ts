/**
 * How important a task is to keep running during shutdown. Lower priorities stop first:
 * `LOWEST`, `LOW`, `NORMAL`, `HIGH`, then `CRITICAL`.
 *
 * @example
 * coordinator.createTask(pollQueue, { name: 'poller', priority: TaskPriority.LOW });
 */
export enum TaskPriority {
  CRITICAL = 0,
  HIGH = 1,
  NORMAL = 2,
  LOW = 3,
  LOWEST = 4,
}

/** Number of priority levels; the wave of a priority is `PRIORITY_LEVELS - 1 - priority`. */
export const PRIORITY_LEVELS = 5;

/** `TaskPriority.HIGH` → `'HIGH'`; used in logs, the report timeline and health details. */
export function priorityName(priority: TaskPriority): string {
  return TaskPriority[priority] ?? String(priority);
}

export function isTaskPriority(value: unknown): value is TaskPriority {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 4;
}
