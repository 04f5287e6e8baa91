import assert from 'node:assert/strict';
import { LifecycleCoordinator } from 'nestjs-async-lifecycle';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { reportDetail } from '../report-detail.js';
import { startManagedTasks } from '../start-managed-tasks.js';

/**
 * N in-flight managed tasks (5 priorities, random dependencies) that wait for `ctx.stopped` —
 * the signal-free way to hear "stop now"; times `await coordinator.shutdown()`.
 */
export async function run({ n, seed }: ScenarioInput): Promise<Measurement> {
  const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
  // Always present on a context the coordinator hands out (optional only for hand-made ones).
  startManagedTasks(coordinator, n, seed, (ctx) => ctx.stopped as Promise<unknown>);
  assert.ok(coordinator.tasks().every((task) => !task.signalCreated));
  const { ms, value: report } = await measure(() => coordinator.shutdown());
  assert.equal(report.outcome, 'clean');
  assert.equal(report.cancelled, n);
  return { value: ms, detail: reportDetail(report) };
}
