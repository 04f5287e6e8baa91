import assert from 'node:assert/strict';
import { LifecycleCoordinator, type TaskContext } from 'nestjs-async-lifecycle';
import { retainedBytesPer } from '../../harness/heap.js';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { createGate } from '../gate.js';
import { untilAborted, untilOpen } from '../task-bodies.js';

async function perTask(
  n: number,
  body: (ctx: TaskContext) => Promise<unknown>,
  open: () => void,
  asyncContext = true,
): Promise<Measurement> {
  const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0, asyncContext });
  // A first task turns AsyncLocalStorage on: its one-off cost is not a task's.
  await coordinator.createTask(() => undefined);
  const { perItem } = await retainedBytesPer(n, (count) => {
    for (let i = 0; i < count; i++) coordinator.createTask(body);
  });
  open();
  const report = await coordinator.shutdown();
  assert.equal(report.failed, 0);
  return { value: perItem };
}

/** Bytes per live managed task that has not read its signal (the body waits on a gate). */
export function runIdle({ n }: ScenarioInput): Promise<Measurement> {
  const gate = createGate();
  return perTask(n, () => untilOpen(gate.promise), gate.open);
}

/** The same without AsyncLocalStorage: what the engine itself retains per task. */
export function runIdleWithoutAsyncContext({ n }: ScenarioInput): Promise<Measurement> {
  const gate = createGate();
  return perTask(n, () => untilOpen(gate.promise), gate.open, false);
}

/** Bytes per live managed task whose body listens to its signal. */
export function runSignalled({ n }: ScenarioInput): Promise<Measurement> {
  return perTask(
    n,
    (ctx) => untilAborted(ctx.signal),
    () => undefined,
  );
}
