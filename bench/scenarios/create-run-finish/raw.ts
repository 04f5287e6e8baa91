import assert from 'node:assert/strict';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { measure, nextMacrotask } from '../../harness/timing.js';
import { oneTick } from '../task-bodies.js';

/**
 * Creates N short hand-tracked tasks (an AbortController added to a Set, one `await null`, the
 * controller deleted when the task settles) and times until every one has left the Set.
 */
export async function run({ n }: ScenarioInput): Promise<Measurement> {
  const tracked = new Set<AbortController>();
  const { ms, value: rounds } = await measure(async () => {
    for (let i = 0; i < n; i++) {
      const controller = new AbortController();
      tracked.add(controller);
      const forget = (): void => void tracked.delete(controller);
      oneTick().then(forget, forget);
    }
    let rounds = 0;
    do {
      await nextMacrotask();
      rounds++;
    } while (tracked.size > 0);
    return rounds;
  });
  assert.equal(tracked.size, 0);
  return { value: ms, detail: { macrotasks: rounds } };
}
