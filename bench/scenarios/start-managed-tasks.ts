import { TaskPriority, type LifecycleCoordinator, type TaskContext } from 'nestjs-async-lifecycle';
import { generateTaskGraph } from './task-graph.js';

const PRIORITIES: readonly TaskPriority[] = [
  TaskPriority.CRITICAL,
  TaskPriority.HIGH,
  TaskPriority.NORMAL,
  TaskPriority.LOW,
  TaskPriority.LOWEST,
];

/**
 * Creates `n` managed tasks running `body`, with the seeded graph's priorities and dependencies
 * (named by the generated names of the earlier tasks). Returns nothing, so that the graph and
 * the handles are garbage before the timed section.
 *
 * @example
 * startManagedTasks(coordinator, 10_000, DEFAULT_SEED, (ctx) => untilAborted(ctx.signal));
 */
export function startManagedTasks(
  coordinator: LifecycleCoordinator,
  n: number,
  seed: number,
  body: (ctx: TaskContext) => Promise<unknown>,
): void {
  const graph = generateTaskGraph(n, seed);
  const names = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const spec = graph[i];
    const task = coordinator.createTask(body, {
      priority: PRIORITIES[spec.priority],
      dependsOn: spec.dependsOn.map((index) => names[index]),
    });
    names[i] = task.name;
  }
}
