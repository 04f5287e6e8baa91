import { retainedBytesPer } from '../../harness/heap.js';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { createGate } from '../gate.js';
import { SHARED_REASON } from '../start-raw-tasks.js';
import { untilAborted, untilOpen } from '../task-bodies.js';

/** Bytes per bare task body on a gate, untracked: what the other figures subtract. */
export async function runIdle({ n }: ScenarioInput): Promise<Measurement> {
  const gate = createGate();
  const { perItem } = await retainedBytesPer(n, (count) => {
    for (let i = 0; i < count; i++) void untilOpen(gate.promise);
  });
  gate.open();
  return { value: perItem };
}

/**
 * Bytes per bare body listening to a signal: the least that has a signal — its controller,
 * kept where the code that aborts it can reach it.
 */
export async function runSignalled({ n }: ScenarioInput): Promise<Measurement> {
  const { perItem, keep } = await retainedBytesPer(n, (count) => {
    const controllers = new Array<AbortController>(count);
    for (let i = 0; i < count; i++) {
      controllers[i] = new AbortController();
      untilAborted(controllers[i].signal).catch(() => undefined);
    }
    return controllers;
  });
  for (const controller of keep as AbortController[]) controller.abort(SHARED_REASON);
  return { value: perItem };
}
