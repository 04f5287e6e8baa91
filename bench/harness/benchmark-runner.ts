import {
  implementationsOf,
  quickImplementationsOf,
  SCENARIOS,
  type ScenarioDefinition,
  type Target,
} from '../scenarios/scenario-catalog.js';
import type { BenchOptions } from './bench-options.js';
import type {
  BenchResults,
  CheckResult,
  GrowthResult,
  ImplementationResult,
  RowResult,
} from './bench-results.interface.js';
import { runInChild } from './child-runner.js';
import { loadAverage, machineInfo } from './machine-info.js';
import type { ImplementationName, Measurement } from './measurement.interface.js';
import { median, percentile, range } from './statistics.js';

/** How the table names an implementation. */
export const DISPLAY_NAMES: Readonly<Record<ImplementationName, string>> = {
  ours: 'ours',
  raw: 'raw',
  'naive-raw': 'naive raw',
  'raw-waves': 'raw in waves',
  effect: 'effect',
  'effect-signal': 'effect (signal)',
  'nest-naive': 'nest-naive',
  bare: 'bare',
  'no-module': 'no module',
  'http-false': 'http: false',
  'no-async-context': 'ours without ALS',
};

/**
 * `≤ 1.2× raw`, `< 1× effect (signal)`, `≥ 0.97× http: false`, `≤ 300 B/task`.
 *
 * @example
 * targetText({ kind: 'ratio', against: 'raw', max: 1.5 }, 'ms'); // '≤ 1.5× raw'
 */
export function targetText(target: Target, unit: string): string {
  switch (target.kind) {
    case 'ratio':
      return `${target.strict === true ? '<' : '≤'} ${target.max}× ${DISPLAY_NAMES[target.against]}`;
    case 'ratio-at-least':
      return `≥ ${target.min}× ${DISPLAY_NAMES[target.against]}`;
    case 'value':
      return `${target.strict === true ? '<' : '≤'} ${target.max} ${unit}`;
  }
}

/** The figure a target compares for ours, or `undefined` when a baseline is missing. */
function check(
  target: Target,
  unit: string,
  figureOf: (name: ImplementationName) => number | undefined,
): CheckResult | undefined {
  const ours = figureOf('ours');
  if (ours === undefined) return undefined;
  const text = targetText(target, unit);
  if (target.kind === 'value') {
    return {
      text,
      figure: ours,
      met: target.strict === true ? ours < target.max : ours <= target.max,
    };
  }
  const against = figureOf(target.against);
  if (against === undefined) return undefined;
  const ratio = ours / against;
  if (target.kind === 'ratio-at-least') return { text, figure: ratio, met: ratio >= target.min };
  const met = target.strict === true ? ratio < target.max : ratio <= target.max;
  return target.advisory === undefined
    ? { text, figure: ratio, met }
    : { text, figure: ratio, met, advisory: target.advisory };
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

function detailMedians(runs: readonly Measurement[]): Record<string, number> | undefined {
  const keys = new Set(runs.flatMap((run) => Object.keys(run.detail ?? {})));
  if (keys.size === 0) return undefined;
  const detail: Record<string, number> = {};
  for (const key of keys) {
    const values = runs.map((run) => run.detail?.[key]).filter((v) => typeof v === 'number');
    if (values.length > 0) detail[key] = median(values);
  }
  return detail;
}

function summarise(
  scenario: ScenarioDefinition,
  runs: readonly Measurement[],
): ImplementationResult {
  const values = runs.map((run) => run.value);
  const detail = detailMedians(runs);
  if (scenario.statistic === 'p99') {
    const samples = runs.flatMap((run) => run.samples ?? [run.value]);
    return {
      values,
      value: percentile(samples, 99),
      ...range(samples),
      p50: percentile(samples, 50),
      sampleCount: samples.length,
      ...(detail === undefined ? {} : { detail }),
    };
  }
  return {
    values,
    value: median(values),
    ...range(values),
    ...(detail === undefined ? {} : { detail }),
  };
}

/**
 * Each target checked against the figures; the row is met when every target that is not
 * advisory holds (`undefined`: none could be checked).
 *
 * @example
 * checksOf(scenario.targets, scenario.unit, (name) => results[name]?.value);
 */
export function checksOf(
  targets: readonly Target[],
  unit: string,
  figureOf: (name: ImplementationName) => number | undefined,
): { checks: CheckResult[]; met: boolean | undefined } {
  const checks: CheckResult[] = [];
  for (const target of targets) {
    const result = check(target, unit, figureOf);
    if (result !== undefined) checks.push(result);
  }
  const deciding = checks.filter((c) => c.advisory === undefined);
  return { checks, met: deciding.length === 0 ? undefined : deciding.every((c) => c.met) };
}

async function measureRow(
  scenario: ScenarioDefinition,
  n: number,
  options: BenchOptions,
  script: string,
  log: (line: string) => void,
): Promise<RowResult[]> {
  const implementations = options.quick
    ? quickImplementationsOf(scenario)
    : implementationsOf(scenario);
  const runs = new Map<ImplementationName, Measurement[]>(
    implementations.map((name) => [name, []]),
  );
  const runCount = Math.min(options.runs, scenario.maxRuns ?? options.runs);
  // Implementations alternate run by run, so that a drift of the machine hits all of them.
  for (let run = 1; run <= runCount; run++) {
    for (const implementation of implementations) {
      const job = {
        scenario: scenario.id,
        implementation,
        n,
        warmup: options.warmup,
        seed: options.seed,
        quick: options.quick,
      };
      const measurement = await runInChild(options.node, script, job);
      runs.get(implementation)?.push(measurement);
      log(
        `${scenario.id} N=${n} ${implementation} run ${run}/${runCount}: ` +
          `${measurement.value.toPrecision(4)} ${scenario.unit}`,
      );
    }
  }
  const results: Partial<Record<ImplementationName, ImplementationResult>> = {};
  for (const [name, measured] of runs) results[name] = summarise(scenario, measured);
  if (scenario.subtract !== undefined) {
    const base = results[scenario.subtract]?.value ?? 0;
    for (const name of implementations) {
      const result = results[name];
      if (result !== undefined && name !== scenario.subtract) {
        results[name] = { ...result, net: result.value - base };
      }
    }
  }
  const figureOf = (name: ImplementationName): number | undefined =>
    results[name]?.net ?? results[name]?.value;
  const row: RowResult = {
    scenario: scenario.id,
    metric: scenario.metric,
    unit: scenario.unit,
    counts: scenario.counts,
    n,
    runs: runCount,
    results,
    ...checksOf(scenario.targets, scenario.unit, figureOf),
  };
  const secondaryRows = (scenario.secondary ?? []).map((secondary): RowResult => {
    const results: Partial<Record<ImplementationName, ImplementationResult>> = {};
    for (const [name, measured] of runs) {
      const values = measured.map((m) => m.detail?.[secondary.key] ?? Number.NaN);
      results[name] = { values, value: median(values), ...range(values) };
    }
    return {
      ...row,
      metric: secondary.metric,
      unit: secondary.unit,
      results,
      ...checksOf(secondary.targets, secondary.unit, (name) => results[name]?.value),
    };
  });
  return [row, ...secondaryRows];
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
  const ratioOf = (name: ImplementationName): number | undefined => {
    const a = from.results[name]?.value;
    const b = to.results[name]?.value;
    return a === undefined || b === undefined ? undefined : b / a;
  };
  const baselines: Partial<Record<ImplementationName, number>> = {};
  for (const name of implementationsOf(scenario)) {
    const ratio = ratioOf(name);
    if (name !== 'ours' && ratio !== undefined) baselines[name] = ratio;
  }
  const ratio = ratioOf('ours') ?? Number.NaN;
  return {
    scenario: scenario.id,
    metric: scenario.metric,
    from: growth.from,
    to: growth.to,
    ratio,
    baselines,
    max: growth.max,
    met: ratio <= growth.max,
  };
}

/**
 * Measures every selected (scenario, N, implementation) `options.runs` times, each run in a
 * fresh child process of `script` on `options.node`, and gathers medians (or pooled
 * percentiles), spreads, target checks and growth.
 *
 * @example
 * const results = await runBenchmarks(parseBenchOptions(['--quick']), entryScript, console.error);
 */
export async function runBenchmarks(
  options: BenchOptions,
  script: string,
  log: (line: string) => void,
): Promise<BenchResults> {
  const started = performance.now();
  const loadAtStart = loadAverage();
  const scenarios = selectScenarios(options);
  const rows: RowResult[] = [];
  for (const scenario of scenarios) {
    for (const n of options.quick ? scenario.quickSizes : scenario.sizes) {
      rows.push(...(await measureRow(scenario, n, options, script, log)));
    }
  }
  const growth: GrowthResult[] = [];
  for (const scenario of scenarios) {
    const result = growthOf(scenario, rows);
    if (result !== undefined) growth.push(result);
  }
  const { out: _out, node: _node, merge: _merge, ...recorded } = options;
  return {
    generatedAt: new Date().toISOString(),
    durationS: Math.round((performance.now() - started) / 1000),
    machine: machineInfo(options.node),
    load: { start: loadAtStart, end: loadAverage() },
    options: recorded,
    rows,
    growth,
  };
}
