import type { DependencyNode } from './dependency-node.interface.js';
import type { TaskPriority } from './task-priority.enum.js';
import type { TaskContext } from './task.interface.js';

/** A registered shutdown hook: a component's stop method, run in the shutdown waves. */
export class HookRecord implements DependencyNode {
  planIndex = -1;

  constructor(
    readonly name: string,
    readonly fn: (ctx: TaskContext) => unknown,
    readonly priority: TaskPriority,
    readonly dependencies: readonly DependencyNode[] | undefined,
    readonly timeoutMs: number,
  ) {}

  get label(): string {
    return this.name;
  }
}
