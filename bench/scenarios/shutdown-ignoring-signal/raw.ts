import assert from 'node:assert/strict';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { createGate } from '../gate.js';
import { abortAllAndSettle, startRawTasks } from '../start-raw-tasks.js';
import { untilOpen } from '../task-bodies.js';

/**
 * N in-flight hand-tracked tasks that never read their signal and end when a shared gate opens;
 * times aborting every controller, opening the gate, and `Promise.allSettled`.
 */
export async function run({ n }: ScenarioInput): Promise<Measurement> {
  const gate = createGate();
  const tasks = startRawTasks(n, () => untilOpen(gate.promise));
  const { ms, value: outcomes } = await measure(() => abortAllAndSettle(tasks, gate.open));
  assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, n);
  return { ms };
}
