import assert from 'node:assert/strict';
import { LifecycleCoordinator } from 'nestjs-async-lifecycle';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure, nextMacrotask } from '../../harness/timing.js';
import { oneTick } from '../task-bodies.js';

/**
 * Creates N short managed tasks (one `await null` each) and times until every one has run and
 * left the registry. Nobody awaits the handles: the next macrotask after the last settlement
 * marks the end, as for raw.
 */
export function run(input: ScenarioInput): Promise<Measurement> {
  return runWith(input, {});
}

/** The same with `asyncContext: false`: no AsyncLocalStorage around the tasks. */
export function runWithoutAsyncContext(input: ScenarioInput): Promise<Measurement> {
  return runWith(input, { asyncContext: false });
}

async function runWith(
  { n }: ScenarioInput,
  options: { asyncContext?: boolean },
): Promise<Measurement> {
  const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0, ...options });
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
