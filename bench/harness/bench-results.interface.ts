import type { RatioTarget } from '../scenarios/scenario-catalog.js';
import type { BenchOptions } from './bench-options.js';
import type { MachineInfo } from './machine-info.js';
import type { ImplementationName, Measurement } from './measurement.interface.js';

/** Every run of one implementation in one row, and their median. */
export interface ImplementationResult {
  readonly runs: readonly Measurement[];
  readonly medianMs: number;
}

/** One row of the table: a scenario at one N. */
export interface RowResult {
  readonly scenario: string;
  readonly metric: string;
  readonly n: number;
  readonly results: Readonly<Record<ImplementationName, ImplementationResult>>;
  /** ours median ÷ the target's baseline median. */
  readonly ratio: number;
  readonly target: RatioTarget & { readonly text: string };
  readonly met: boolean;
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

/** What bench/results.json holds. */
export interface BenchResults {
  readonly generatedAt: string;
  readonly machine: MachineInfo;
  readonly options: Omit<BenchOptions, 'out'>;
  readonly rows: readonly RowResult[];
  readonly growth: readonly GrowthResult[];
}
