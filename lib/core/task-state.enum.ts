/**
 * Where a managed task is in its life: `created → running → cancelling →
 * completed | cancelled | failed | abandoned`. The string values are what the report and the
 * events carry.
 *
 * @example
 * if (task.state === TaskState.CANCELLED) metrics.increment('stopped-early');
 */
export enum TaskState {
  CREATED = 'created',
  RUNNING = 'running',
  CANCELLING = 'cancelling',
  COMPLETED = 'completed',
  CANCELLED = 'cancelled',
  FAILED = 'failed',
  ABANDONED = 'abandoned',
}
