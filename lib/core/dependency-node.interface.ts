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
  /**
   * Where the shutdown plan keeps its entry for this node (an index into the plan's entries),
   * -1 until planned. An intrusive link like the registry's `previous`/`next`: planning and a
   * task's end find the entry with an array load instead of a Map keyed by node. Only the plan
   * writes it, once per node (a coordinator runs one shutdown); the node never reads it.
   */
  planIndex: number;
}
