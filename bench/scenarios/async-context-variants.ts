import type { Measurement, ScenarioInput } from '../harness/measurement.interface.js';

type Measure = (input: ScenarioInput, asyncContext: boolean) => Promise<Measurement>;

/**
 * A scenario of ours as the catalog loads it: `run` with the default `asyncContext: true`, and
 * `runWithoutAsyncContext` (what AsyncLocalStorage costs there).
 *
 * @example
 * export const { run, runWithoutAsyncContext } = asyncContextVariants(runWith);
 */
export function asyncContextVariants(measure: Measure): {
  run: (input: ScenarioInput) => Promise<Measurement>;
  runWithoutAsyncContext: (input: ScenarioInput) => Promise<Measurement>;
} {
  return {
    run: (input) => measure(input, true),
    runWithoutAsyncContext: (input) => measure(input, false),
  };
}
