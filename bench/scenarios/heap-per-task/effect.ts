import { Effect } from 'effect';
import { retainedBytesPer } from '../../harness/heap.js';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { createGate } from '../gate.js';
import { forkFibers, interruptAll, signalTask } from '../start-effect-fibers.js';
import { untilAborted, untilOpen } from '../task-bodies.js';

/** Bytes per fiber waiting on the gate. */
export async function runIdle({ n }: ScenarioInput): Promise<Measurement> {
  const gate = createGate();
  const { perItem, keep } = await retainedBytesPer(n, (count) =>
    forkFibers(count, () => Effect.promise(() => untilOpen(gate.promise))),
  );
  gate.open();
  await interruptAll(keep as ReturnType<typeof forkFibers>);
  return { value: perItem };
}

/** Bytes per fiber whose body listens to the signal Effect hands it. */
export async function runSignalled({ n }: ScenarioInput): Promise<Measurement> {
  const { perItem, keep } = await retainedBytesPer(n, (count) =>
    forkFibers(count, () => signalTask(untilAborted)),
  );
  await interruptAll(keep as ReturnType<typeof forkFibers>);
  return { value: perItem };
}
