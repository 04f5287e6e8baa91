import { SetMetadata } from '@nestjs/common';
import { ON_SHUTDOWN_METADATA } from '../async-lifecycle.constants.js';
import type { TaskPriority } from '../core/task-priority.enum.js';

/**
 * Options of `@OnShutdown`.
 *
 * @example
 * @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'db-pool', timeoutMs: 3_000 })
 */
export interface OnShutdownOptions {
  /** Default `TaskPriority.NORMAL`. */
  priority?: TaskPriority;
  /** Names of tasks or hooks this hook needs: it runs before they stop. */
  dependsOn?: string[];
  /** Default `ClassName.method`; what tasks name in `dependsOn`. */
  name?: string;
  /** Deadline of the hook; default the module's `cleanupTimeoutMs`. */
  timeoutMs?: number;
}

/**
 * Marks a component's stop method (close a pool, flush a buffer). It runs during the phased
 * shutdown, in the same waves as tasks — after the tasks of its wave, so a CRITICAL pool closes
 * after the tasks using it — with its own deadline; it receives a `TaskContext` whose signal
 * aborts at that deadline. Unlike `onModuleDestroy`, nothing it needs has been torn down yet.
 *
 * @example
 * @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'db-pool' })
 * async close() {
 *   await this.pool.end();
 * }
 */
export function OnShutdown(priorityOrOptions?: TaskPriority | OnShutdownOptions): MethodDecorator {
  const options: OnShutdownOptions =
    typeof priorityOrOptions === 'object' && priorityOrOptions !== null
      ? { ...priorityOrOptions }
      : { priority: priorityOrOptions };
  return SetMetadata(ON_SHUTDOWN_METADATA, options);
}
