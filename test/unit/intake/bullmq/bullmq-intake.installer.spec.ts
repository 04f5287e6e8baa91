import { describe, expect, it } from '@jest/globals';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { bullmqIntakeInstaller } from '../../../../lib/intake/bullmq/bullmq-intake.installer.js';
import type { IntakeInstallContext } from '../../../../lib/intake/intake-installer.interface.js';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import { RecordingLogger } from '../../../support/recording-logger.js';

/** Shaped like a bullmq Worker. */
class Worker {
  paused = false;
  constructor(readonly name: string) {}
  callProcessJob(_job: { id: string }, _token: string): Promise<unknown> {
    return Promise.resolve('done');
  }
  pause(): Promise<void> {
    this.paused = true;
    return Promise.resolve();
  }
  isPaused(): boolean {
    return this.paused;
  }
}

abstract class WorkerHost {
  get worker(): Worker {
    throw new Error('"Worker" has not yet been initialized');
  }
}
class LateProcessor extends WorkerHost {}

function context(instances: object[]): IntakeInstallContext & { logger: RecordingLogger } {
  return {
    coordinator: new LifecycleCoordinator({ progressIntervalMs: 0, logger: false }),
    logger: new RecordingLogger(),
    httpAdapter: null,
    instances,
    app: { get: () => undefined as never },
  };
}

describe('bullmqIntakeInstaller', () => {
  it('in an application without workers registers nothing (and loads nothing)', async () => {
    const ctx = context([{}, new Map()]);
    await bullmqIntakeInstaller.install(ctx, { priority: TaskPriority.HIGH });
    const report = await ctx.coordinator.shutdown();
    expect(report.intakes).toEqual({});
    expect(ctx.logger.lines).toEqual([]);
  });

  it('drains the workers it finds, at the configured priority, from the same turn', async () => {
    const worker = new Worker('emails');
    const ctx = context([worker]);
    // Synchronous: no event-loop turn in which the worker could start a job the intake misses.
    expect(bullmqIntakeInstaller.install(ctx, { priority: TaskPriority.LOW })).toBeUndefined();
    const job = worker.callProcessJob({ id: '1' }, 'token');
    expect(ctx.coordinator.tasks()).toMatchObject([{ priority: TaskPriority.LOW }]);
    await job;
    const report = await ctx.coordinator.shutdown();
    expect(report.intakes?.bullmq).toMatchObject({ workers: 1, workersPaused: 1 });
    expect(worker.paused).toBe(true);
  });

  it('warns about a processor whose worker does not exist yet (manualRegistration)', async () => {
    const ctx = context([new LateProcessor()]);
    await bullmqIntakeInstaller.install(ctx, { priority: TaskPriority.HIGH });
    expect(ctx.logger.messages('warn')).toEqual([
      expect.stringContaining('LateProcessor has no worker yet (manualRegistration?)'),
    ]);
  });
});
