import type { Unit } from '../scenarios/scenario-catalog.js';
import type { BenchOptions } from './bench-options.js';
import type { MachineInfo } from './machine-info.js';
import type { ImplementationName } from './measurement.interface.js';

/** Every run of one implementation in one row, and what the table shows of them. */
export interface ImplementationResult {
  /** Each run's figure, in run order. */
  readonly values: readonly number[];
  /** The row's figure: the median of the runs, or the p99 of the pooled samples. */
  readonly value: number;
  /** Spread: the smallest and largest run (pooled samples: the smallest and largest sample). */
  readonly min: number;
  readonly max: number;
  /** Pooled samples only: their median and count. */
  readonly p50?: number;
  readonly sampleCount?: number;
  /** `value` less the median of the scenario's `subtract` implementation. */
  readonly net?: number;
  /** Medians of each `detail` key over the runs. */
  readonly detail?: Readonly<Record<string, number>>;
}

/** One target checked on a row. */
export interface CheckResult {
  readonly text: string;
  /** The ratio or value compared. */
  readonly figure: number;
  readonly met: boolean;
  /** Shown with its own verdict, left out of the row's (see `Target`). */
  readonly advisory?: string;
}

/** One row of the table: a scenario at one N. */
export interface RowResult {
  readonly scenario: string;
  readonly metric: string;
  readonly unit: Unit;
  readonly counts: string;
  readonly n: number;
  readonly runs: number;
  readonly results: Readonly<Partial<Record<ImplementationName, ImplementationResult>>>;
  readonly checks: readonly CheckResult[];
  /** Every check met; `undefined` when the row has no target. */
  readonly met: boolean | undefined;
}

/** How a scenario's time grows with N. */
export interface GrowthResult {
  readonly scenario: string;
  readonly metric: string;
  readonly from: number;
  readonly to: number;
  /** ours(to) ÷ ours(from). */
  readonly ratio: number;
  /** The same for each baseline, for comparison. */
  readonly baselines: Readonly<Partial<Record<ImplementationName, number>>>;
  readonly max: number;
  readonly met: boolean;
}

/** One run of `npm run bench`, on one Node version. */
export interface BenchResults {
  readonly generatedAt: string;
  readonly durationS: number;
  readonly machine: MachineInfo;
  /** The 1-minute load average when the run began and when it ended. */
  readonly load: { readonly start: number; readonly end: number };
  readonly options: Omit<BenchOptions, 'out' | 'node' | 'merge'>;
  readonly rows: readonly RowResult[];
  readonly growth: readonly GrowthResult[];
  /** Scenarios measured again later into this entry (`--merge`), each with its own run's data. */
  readonly remeasured?: readonly Remeasurement[];
}

/** One `--only … --merge` run folded into an entry. */
export interface Remeasurement {
  readonly scenarios: readonly string[];
  readonly generatedAt: string;
  readonly durationS: number;
  readonly node: string;
  readonly load: { readonly start: number; readonly end: number };
  readonly runs: number;
}

/** What bench/results.json holds: the last full run on each Node major version. */
export interface ResultsFile {
  readonly version: 2;
  readonly byNode: Readonly<Record<string, BenchResults>>;
}
