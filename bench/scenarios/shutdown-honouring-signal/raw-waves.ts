import assert from 'node:assert/strict';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure } from '../../harness/timing.js';
import { SHARED_REASON } from '../start-raw-tasks.js';
import { untilAborted } from '../task-bodies.js';
import { generateTaskGraph, PRIORITY_LEVELS, type TaskSpec } from '../task-graph.js';

/**
 * The waves a careful hand-written ordered shutdown computes: a task stops in its priority's
 * wave (CRITICAL last) or one after the latest wave of anything that depends on it. Dependencies
 * always point to earlier tasks, so one backward pass places every task for good.
 */
function placeInWaves(graph: readonly TaskSpec[]): number[][] {
  const wave = new Array<number>(graph.length);
  for (let i = 0; i < graph.length; i++) wave[i] = PRIORITY_LEVELS - 1 - graph[i].priority;
  let last = PRIORITY_LEVELS - 1;
  for (let i = graph.length - 1; i >= 0; i--) {
    const next = wave[i] + 1;
    for (const dependency of graph[i].dependsOn) {
      if (wave[dependency] < next) {
        wave[dependency] = next;
        if (next > last) last = next;
      }
    }
  }
  const waves: number[][] = [];
  for (let index = 0; index <= last; index++) waves.push([]);
  for (let i = 0; i < graph.length; i++) waves[wave[i]].push(i);
  return waves;
}

/**
 * N hand-tracked tasks with the seeded graph's priorities and dependencies, stopped as an
 * ordered shutdown written by hand would: the waves computed at shutdown, then each wave
 * aborted with one shared reason and awaited (`Promise.allSettled`) before the next. Same work
 * as ours' ordering, none of its bookkeeping (no report, no budgets, no escalation).
 */
export async function run({ n, seed }: ScenarioInput): Promise<Measurement> {
  const graph = generateTaskGraph(n, seed);
  const controllers = new Array<AbortController>(n);
  const promises = new Array<Promise<never>>(n);
  for (let i = 0; i < n; i++) {
    const controller = new AbortController();
    controllers[i] = controller;
    promises[i] = untilAborted(controller.signal);
  }
  const { ms, value } = await measure(async () => {
    let rejected = 0;
    const waves = placeInWaves(graph);
    for (const wave of waves) {
      for (const i of wave) controllers[i].abort(SHARED_REASON);
      const outcomes = await Promise.allSettled(wave.map((i) => promises[i]));
      for (const outcome of outcomes) if (outcome.status === 'rejected') rejected++;
    }
    return { rejected, waves: waves.length };
  });
  assert.equal(value.rejected, n);
  // Kept beside ours' `detail.waves` in results.json: both stop the graph in as many waves.
  return { value: ms, detail: { waves: value.waves } };
}
