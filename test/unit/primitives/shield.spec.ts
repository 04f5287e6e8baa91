import { describe, expect, it } from '@jest/globals';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { currentTask } from '../../../lib/core/task-context.storage.js';
import { shield } from '../../../lib/primitives/shield.js';
import { untilAborted } from '../../support/deferred.js';

describe('shield', () => {
  it('runs outside the current task, across awaits, and returns its result', async () => {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    const seen: (string | undefined)[] = [];
    const task = coordinator.createTask(
      async () => {
        seen.push(currentTask()?.name);
        const value = await shield(async () => {
          seen.push(currentTask()?.name);
          await Promise.resolve();
          seen.push(currentTask()?.name);
          return 'shielded';
        });
        seen.push(currentTask()?.name);
        return value;
      },
      { name: 'outer' },
    );
    await expect(task).resolves.toBe('shielded');
    expect(seen).toEqual(['outer', undefined, undefined, 'outer']);
    await coordinator.shutdown();
  });

  it('lets a cleanup finish although the task was cancelled', async () => {
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    let flushed = false;
    const task = coordinator.createTask(async (ctx) => {
      await untilAborted(ctx.signal).catch(() => undefined);
      await shield(async () => {
        // Inside, nothing sees the task's aborted signal.
        expect(currentTask()).toBeUndefined();
        await Promise.resolve();
        flushed = true;
      });
    });
    await task.cancel();
    expect(flushed).toBe(true);
    await coordinator.shutdown();
  });

  it('turns a synchronous throw into a rejection and passes failures through', async () => {
    await expect(
      shield(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(shield(() => Promise.reject(new Error('async')))).rejects.toThrow('async');
  });
});
