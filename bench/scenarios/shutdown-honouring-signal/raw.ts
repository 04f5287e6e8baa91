import assert from 'node:assert/strict';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { abortAllAndSettle, SHARED_REASON, startRawTasks } from '../start-raw-tasks.js';
import { untilAborted } from '../task-bodies.js';

async function runWith(n: number, reason: unknown): Promise<Measurement> {
  const tasks = startRawTasks(n, untilAborted);
  const { ms, value: outcomes } = await measure(() => abortAllAndSettle(tasks, reason));
  assert.equal(outcomes.filter((outcome) => outcome.status === 'rejected').length, n);
  return { value: ms };
}

/**
 * N in-flight hand-tracked tasks that reject as soon as their signal aborts; times aborting
 * every controller with one shared reason and `Promise.allSettled`.
 */
export function run({ n }: ScenarioInput): Promise<Measurement> {
  return runWith(n, SHARED_REASON);
}

/** The same, aborting without a reason: a DOMException and its stack per task. */
export function runNaive({ n }: ScenarioInput): Promise<Measurement> {
  return runWith(n, undefined);
}
