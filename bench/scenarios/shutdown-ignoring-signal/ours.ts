import assert from 'node:assert/strict';
import { LifecycleCoordinator } from 'nestjs-async-lifecycle';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { createGate } from '../gate.js';
import { asyncContextVariants } from '../async-context-variants.js';
import { reportDetail } from '../report-detail.js';
import { startManagedTasks } from '../start-managed-tasks.js';
import { untilOpen } from '../task-bodies.js';

/**
 * N in-flight managed tasks (5 priorities, random dependencies) that never read their signal
 * and end when a shared gate opens; times `coordinator.shutdown()`, the gate opened right after
 * the call, until the shutdown resolves.
 */
async function runWith({ n, seed }: ScenarioInput, asyncContext: boolean): Promise<Measurement> {
  const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0, asyncContext });
  const gate = createGate();
  startManagedTasks(coordinator, n, seed, () => untilOpen(gate.promise));
  assert.ok(coordinator.tasks().every((task) => !task.signalCreated));
  const { ms, value: report } = await measure(() => {
    const done = coordinator.shutdown();
    gate.open();
    return done;
  });
  assert.equal(report.outcome, 'clean');
  assert.equal(report.total, n);
  // Tasks of later waves end when the gate opens, before their wave is signalled: completed.
  assert.equal(report.cancelled + report.completed, n);
  return { value: ms, detail: { ...reportDetail(report), cancelled: report.cancelled } };
}

export const { run, runWithoutAsyncContext } = asyncContextVariants(runWith);
