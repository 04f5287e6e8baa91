import assert from 'node:assert/strict';
import { LifecycleCoordinator } from 'nestjs-async-lifecycle';
import { settledHeapUsed } from '../../harness/heap.js';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { untilAborted } from '../task-bodies.js';

/** Tasks alive at once while N come and go: a service's steady load, not one burst. */
export const CHURN_BATCH = 10_000;

/**
 * Lets N managed tasks come and go, a batch at a time (half read their signal and are
 * cancelled, half complete), and reports how far the settled heap ended above where it began,
 * in percent. A first batch warms everything up before the first figure.
 */
export async function run({ n }: ScenarioInput): Promise<Measurement> {
  const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
  const batch = async (count: number): Promise<void> => {
    const handles = [];
    for (let i = 0; i < count; i++) {
      handles.push(
        i % 2 === 0
          ? coordinator.createTask((ctx) => untilAborted(ctx.signal))
          : coordinator.createTask(() => Promise.resolve(i)),
      );
    }
    await Promise.all(handles.map((handle, i) => (i % 2 === 0 ? handle.cancel() : handle)));
  };
  await batch(CHURN_BATCH);
  const before = await settledHeapUsed();
  for (let done = 0; done < n; done += CHURN_BATCH) await batch(Math.min(CHURN_BATCH, n - done));
  const after = await settledHeapUsed();
  assert.equal(coordinator.tasks().length, 0);
  return {
    value: ((after - before) / before) * 100,
    detail: { beforeBytes: before, afterBytes: after },
  };
}
