import { Effect } from 'effect';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { forkFibers, interruptAll, signalTask } from '../start-effect-fibers.js';
import { untilAborted } from '../task-bodies.js';

/**
 * N Effect fibers that each wait on an AbortSignal Effect hands them, as the other
 * implementations' tasks do; times `Fiber.interruptAll`.
 */
export async function run({ n }: ScenarioInput): Promise<Measurement> {
  const fibers = forkFibers(n, () => signalTask(untilAborted));
  const { ms } = await measure(() => interruptAll(fibers));
  return { value: ms };
}

/** N signal-free fibers (`Effect.never`): what interruption costs without an EventTarget. */
export async function runSignalFree({ n }: ScenarioInput): Promise<Measurement> {
  const fibers = forkFibers(n, () => Effect.never);
  const { ms } = await measure(() => interruptAll(fibers));
  return { value: ms };
}
