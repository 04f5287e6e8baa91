import assert from 'node:assert/strict';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { createGate } from '../gate.js';
import { abortAllAndSettle, SHARED_REASON, startRawTasks } from '../start-raw-tasks.js';
import { untilOpen } from '../task-bodies.js';

async function runWith(n: number, reason: unknown): Promise<Measurement> {
  const gate = createGate();
  const tasks = startRawTasks(n, () => untilOpen(gate.promise));
  const { ms, value: outcomes } = await measure(() => abortAllAndSettle(tasks, reason, gate.open));
  assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, n);
  return { value: ms };
}

/**
 * N in-flight hand-tracked tasks that never read their signal and end when a shared gate opens;
 * times aborting every controller (one shared reason), opening the gate, `Promise.allSettled`.
 */
export function run({ n }: ScenarioInput): Promise<Measurement> {
  return runWith(n, SHARED_REASON);
}

/** The same, aborting without a reason (a DOMException per task). */
export function runNaive({ n }: ScenarioInput): Promise<Measurement> {
  return runWith(n, undefined);
}
