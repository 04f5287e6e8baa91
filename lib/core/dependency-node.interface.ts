import type { TaskPriority } from './task-priority.enum.js';

/**
 * Something `dependsOn` can name: a live task or a registered shutdown hook. A node stops only
 * after everything that depends on it has ended.
 */
export interface DependencyNode {
  /** Its name for reports and logs (a generated task name is not indexed by reading this). */
  readonly label: string;
  readonly priority: TaskPriority;
  /** The nodes it needs, bound when it was created. */
  readonly dependencies: readonly DependencyNode[] | undefined;
}
