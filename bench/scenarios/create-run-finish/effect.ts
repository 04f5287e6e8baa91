import assert from 'node:assert/strict';
import { Effect } from 'effect';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure, nextMacrotask } from '../../harness/timing.js';
import { oneTick } from '../task-bodies.js';

/**
 * Forks N fibers running the same one-tick task and times until every one has ended (each
 * fiber's observer counts it out).
 */
export async function run({ n }: ScenarioInput): Promise<Measurement> {
  let running = 0;
  const ended = (): void => void running--;
  const { ms, value: rounds } = await measure(async () => {
    for (let i = 0; i < n; i++) {
      running++;
      Effect.runFork(Effect.promise(oneTick)).addObserver(ended);
    }
    let rounds = 0;
    do {
      await nextMacrotask();
      rounds++;
    } while (running > 0);
    return rounds;
  });
  assert.equal(running, 0);
  return { value: ms, detail: { macrotasks: rounds } };
}
