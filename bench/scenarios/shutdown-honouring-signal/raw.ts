import assert from 'node:assert/strict';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { abortAllAndSettle, startRawTasks } from '../start-raw-tasks.js';
import { untilAborted } from '../task-bodies.js';

/**
 * N in-flight hand-tracked tasks that reject as soon as their signal aborts; times aborting
 * every controller and `Promise.allSettled`.
 */
export async function run({ n }: ScenarioInput): Promise<Measurement> {
  const tasks = startRawTasks(n, untilAborted);
  const { ms, value: outcomes } = await measure(() => abortAllAndSettle(tasks));
  assert.equal(outcomes.filter((outcome) => outcome.status === 'rejected').length, n);
  return { ms };
}
