import {
  meetsTarget,
  SCENARIOS,
  type RatioTarget,
  type ScenarioDefinition,
} from '../scenarios/scenario-catalog.js';
import type { BenchOptions } from './bench-options.js';
import type {
  BenchResults,
  GrowthResult,
  ImplementationResult,
  RowResult,
} from './bench-results.interface.js';
import { runInChild } from './child-runner.js';
import { machineInfo } from './machine-info.js';
import {
  byImplementation,
  IMPLEMENTATIONS,
  type ImplementationName,
  type Measurement,
} from './measurement.interface.js';
import { median } from './statistics.js';

/**
 * `≤ 1.2× raw`, `< 1× raw`.
 *
 * @example
 * targetText({ against: 'raw', max: 1.5, strict: false }); // '≤ 1.5× raw'
 */
export function targetText(target: RatioTarget): string {
  return `${target.strict ? '<' : '≤'} ${target.max}× ${target.against}`;
}

function selectScenarios(options: BenchOptions): ScenarioDefinition[] {
  if (options.only.length === 0) return [...SCENARIOS];
  const unknown = options.only.filter((id) => !SCENARIOS.some((scenario) => scenario.id === id));
  if (unknown.length > 0) {
    const known = SCENARIOS.map((scenario) => scenario.id).join(', ');
    throw new Error(`Unknown scenario(s) ${unknown.join(', ')}; known: ${known}`);
  }
  return SCENARIOS.filter((scenario) => options.only.includes(scenario.id));
}

async function measureRow(
  script: string,
  scenario: ScenarioDefinition,
  n: number,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<RowResult> {
  const runs = byImplementation((): Measurement[] => []);
  // Implementations alternate run by run, so that a drift of the machine hits all of them.
  for (let run = 1; run <= options.runs; run++) {
    for (const implementation of IMPLEMENTATIONS) {
      const job = {
        scenario: scenario.id,
        implementation,
        n,
        warmup: options.warmup,
        seed: options.seed,
      };
      const measurement = await runInChild(script, job);
      runs[implementation].push(measurement);
      log(
        `${scenario.id} N=${n} ${implementation} run ${run}/${options.runs}: ${measurement.ms.toFixed(1)} ms`,
      );
    }
  }
  const results = byImplementation((name): ImplementationResult => ({
    runs: runs[name],
    medianMs: median(runs[name].map((m) => m.ms)),
  }));
  const ratio = results.ours.medianMs / results[scenario.target.against].medianMs;
  return {
    scenario: scenario.id,
    metric: scenario.metric,
    n,
    results,
    ratio,
    target: { ...scenario.target, text: targetText(scenario.target) },
    met: meetsTarget(ratio, scenario.target),
  };
}

function growthOf(
  scenario: ScenarioDefinition,
  rows: readonly RowResult[],
): GrowthResult | undefined {
  const growth = scenario.growth;
  if (growth === undefined) return undefined;
  const from = rows.find((row) => row.scenario === scenario.id && row.n === growth.from);
  const to = rows.find((row) => row.scenario === scenario.id && row.n === growth.to);
  if (from === undefined || to === undefined) return undefined;
  const baselines: Partial<Record<ImplementationName, number>> = {};
  for (const name of IMPLEMENTATIONS) {
    if (name !== 'ours') baselines[name] = to.results[name].medianMs / from.results[name].medianMs;
  }
  const ratio = to.results.ours.medianMs / from.results.ours.medianMs;
  return {
    scenario: scenario.id,
    metric: scenario.metric,
    from: growth.from,
    to: growth.to,
    ratio,
    baselines,
    max: growth.max,
    met: meetsTarget(ratio, growth),
  };
}

/**
 * Measures every selected (scenario, N, implementation) `options.runs` times, each run in a
 * fresh child process of `script`, and gathers medians, ratios and growth.
 *
 * @example
 * const results = await runBenchmarks(parseBenchOptions(['--quick']), entryScript, console.error);
 */
export async function runBenchmarks(
  options: BenchOptions,
  script: string,
  log: (line: string) => void,
): Promise<BenchResults> {
  const scenarios = selectScenarios(options);
  const rows: RowResult[] = [];
  for (const scenario of scenarios) {
    for (const n of options.quick ? scenario.quickSizes : scenario.sizes) {
      rows.push(await measureRow(script, scenario, n, options, log));
    }
  }
  const growth: GrowthResult[] = [];
  for (const scenario of scenarios) {
    const result = growthOf(scenario, rows);
    if (result !== undefined) growth.push(result);
  }
  const { out: _out, ...recorded } = options;
  return {
    generatedAt: new Date().toISOString(),
    machine: machineInfo(),
    options: recorded,
    rows,
    growth,
  };
}
