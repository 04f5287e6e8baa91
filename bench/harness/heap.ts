import { collectGarbage, nextMacrotask } from './timing.js';

/**
 * The heap in use once everything unreachable is gone: settles pending work, then runs full
 * collections until the figure stops falling (weak references and finalizers can free more on
 * a second pass). Needs `--expose-gc`.
 *
 * @example
 * const before = await settledHeapUsed();
 */
export async function settledHeapUsed(): Promise<number> {
  await nextMacrotask();
  let used = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 4; pass++) {
    collectGarbage();
    await nextMacrotask();
    const now = process.memoryUsage().heapUsed;
    if (now >= used) break;
    used = now;
  }
  return used;
}

/**
 * Bytes retained per item by what `start` leaves alive: the settled heap after `start(n)` minus
 * the settled heap before, divided by `n`. `start` returns what must stay reachable until the
 * second figure is taken (the harness holds it; it is never counted twice).
 *
 * @example
 * const perTask = await retainedBytesPer(100_000, (n) => startTasks(n));
 */
export async function retainedBytesPer(
  n: number,
  start: (n: number) => unknown,
): Promise<{ perItem: number; keep: unknown }> {
  const before = await settledHeapUsed();
  const keep = start(n);
  const after = await settledHeapUsed();
  return { perItem: (after - before) / n, keep };
}
