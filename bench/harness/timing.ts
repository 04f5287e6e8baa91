import { startSectionProfile, stopSectionProfile } from './section-profiler.js';

/** The result of a timed section and the value it produced. */
export interface Timed<T> {
  readonly ms: number;
  readonly value: T;
}

/**
 * Resolves on the next macrotask: every microtask queued before (promise reactions, task
 * settlements) has run by then.
 *
 * @example
 * await nextMacrotask();
 */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs a full garbage collection; the process must run with `--expose-gc`.
 *
 * @example
 * collectGarbage();
 */
export function collectGarbage(): void {
  if (typeof gc !== 'function') {
    throw new Error('Run the benchmarks with `node --expose-gc` (npm run bench does).');
  }
  gc();
}

/**
 * Lets the setup settle, collects garbage, then times `act` from its call to the settlement of
 * the promise it returns. Records a CPU profile of the section when one was asked for
 * (`--profile` of a child).
 *
 * @example
 * const { ms, value: report } = await measure(() => coordinator.shutdown());
 */
export async function measure<T>(act: () => Promise<T>): Promise<Timed<T>> {
  await nextMacrotask();
  collectGarbage();
  await startSectionProfile();
  const start = performance.now();
  const value = await act();
  const ms = performance.now() - start;
  await stopSectionProfile();
  return { ms, value };
}
