import assert from 'node:assert/strict';
import { LifecycleCoordinator } from 'nestjs-async-lifecycle';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { reportDetail } from '../report-detail.js';
import { untilAborted } from '../task-bodies.js';

/**
 * N in-flight managed tasks of one priority and no dependencies — the same work as raw's single
 * pass — that reject as soon as their signal aborts; times `await coordinator.shutdown()`.
 */
export async function run({ n }: ScenarioInput): Promise<Measurement> {
  const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
  for (let i = 0; i < n; i++) coordinator.createTask((ctx) => untilAborted(ctx.signal));
  const { ms, value: report } = await measure(() => coordinator.shutdown());
  assert.equal(report.outcome, 'clean');
  assert.equal(report.cancelled, n);
  return { value: ms, detail: reportDetail(report) };
}
