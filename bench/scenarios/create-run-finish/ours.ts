import assert from 'node:assert/strict';
import { LifecycleCoordinator } from 'nestjs-async-lifecycle';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure, nextMacrotask } from '../../harness/timing.js';
import { asyncContextVariants } from '../async-context-variants.js';
import { oneTick } from '../task-bodies.js';

/**
 * Creates N short managed tasks (one `await null` each) and times until every one has run and
 * left the registry. Nobody awaits the handles: the next macrotask after the last settlement
 * marks the end, as for raw.
 */
async function runWith({ n }: ScenarioInput, asyncContext: boolean): Promise<Measurement> {
  const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0, asyncContext });
  const { ms, value: rounds } = await measure(async () => {
    for (let i = 0; i < n; i++) coordinator.createTask(oneTick);
    let rounds = 0;
    do {
      await nextMacrotask();
      rounds++;
    } while (coordinator.tasks().length > 0);
    return rounds;
  });
  assert.equal(coordinator.tasks().length, 0);
  return { value: ms, detail: { macrotasks: rounds } };
}

export const { run, runWithoutAsyncContext } = asyncContextVariants(runWith);
