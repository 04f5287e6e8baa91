import assert from 'node:assert/strict';
import { LifecycleCoordinator } from 'nestjs-async-lifecycle';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { asyncContextVariants } from '../async-context-variants.js';
import { reportDetail } from '../report-detail.js';
import { startManagedTasks } from '../start-managed-tasks.js';
import { untilAborted } from '../task-bodies.js';

/**
 * N in-flight managed tasks (5 priorities, random dependencies) that reject as soon as their
 * signal aborts; times `await coordinator.shutdown()`.
 */
async function runWith({ n, seed }: ScenarioInput, asyncContext: boolean): Promise<Measurement> {
  const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0, asyncContext });
  startManagedTasks(coordinator, n, seed, (ctx) => untilAborted(ctx.signal));
  const { ms, value: report } = await measure(() => coordinator.shutdown());
  assert.equal(report.outcome, 'clean');
  assert.equal(report.total, n);
  assert.equal(report.cancelled, n);
  return { value: ms, detail: reportDetail(report) };
}

export const { run, runWithoutAsyncContext } = asyncContextVariants(runWith);
