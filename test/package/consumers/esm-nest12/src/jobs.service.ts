import { Injectable } from '@nestjs/common';
import { once } from 'node:events';
import { LifecycleCoordinator, TaskPriority } from 'nestjs-async-lifecycle';

@Injectable()
export class JobsService {
  private markStarted!: () => void;
  /** Resolves once the poller runs: the caller waits on it, never on time. */
  readonly pollerStarted = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(private readonly coordinator: LifecycleCoordinator) {}

  /** A public method whose return type (a task handle) is inferred: declaration emit names it. */
  startPoller() {
    return this.coordinator.createTask(
      async ({ signal }) => {
        this.markStarted();
        await once(signal, 'abort');
        return 'stopped';
      },
      { name: 'poller', priority: TaskPriority.LOW },
    );
  }
}
