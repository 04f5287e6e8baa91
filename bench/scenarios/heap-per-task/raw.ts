import { retainedBytesPer } from '../../harness/heap.js';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { createGate } from '../gate.js';
import { abortAllAndSettle, SHARED_REASON, startRawTasks } from '../start-raw-tasks.js';
import { untilAborted, untilOpen } from '../task-bodies.js';

/** Bytes per hand-tracked task (a controller in a Set, the promise kept) on a gate. */
export async function runIdle({ n }: ScenarioInput): Promise<Measurement> {
  const gate = createGate();
  const { perItem, keep } = await retainedBytesPer(n, (count) =>
    startRawTasks(count, () => untilOpen(gate.promise)),
  );
  gate.open();
  await abortAllAndSettle(keep as ReturnType<typeof startRawTasks>, SHARED_REASON);
  return { value: perItem };
}

/** Bytes per hand-tracked task whose body listens to its signal. */
export async function runSignalled({ n }: ScenarioInput): Promise<Measurement> {
  const { perItem, keep } = await retainedBytesPer(n, (count) =>
    startRawTasks(count, untilAborted),
  );
  await abortAllAndSettle(keep as ReturnType<typeof startRawTasks>, SHARED_REASON);
  return { value: perItem };
}
