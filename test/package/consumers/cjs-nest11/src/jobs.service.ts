import { Injectable } from '@nestjs/common';
import { once } from 'node:events';
import { LifecycleCoordinator, TaskPriority } from 'nestjs-async-lifecycle';

@Injectable()
export class JobsService {
  private markStarted!: () => void;
  /** Resolves once the poller runs: the tests wait on it, never on time. */
  readonly pollerStarted = new Promise<void>((resolve) => (this.markStarted = resolve));
  /** A public property holding a task handle, its type inferred: declaration emit names it. */
  readonly poller = this.coordinator.createTask(
    async ({ signal }) => {
      this.markStarted();
      await once(signal, 'abort');
      return 'stopped';
    },
    { name: 'poller', priority: TaskPriority.LOW },
  );

  constructor(private readonly coordinator: LifecycleCoordinator) {}

  /** A public method whose return type (a task handle) is inferred. */
  startExport(id: string) {
    return this.coordinator.createTask(async () => `export ${id} done`, { name: `export-${id}` });
  }
}
