import type {
  ImplementationName,
  ScenarioImplementation,
} from '../harness/measurement.interface.js';

/** A DESIGN §6 target: `ours` median ÷ the `against` median must stay within `max`. */
export interface RatioTarget {
  readonly against: ImplementationName;
  readonly max: number;
  /** `true`: strictly below `max` (`<`); `false`: at most `max` (`≤`). */
  readonly strict: boolean;
}

/** A growth target: ours(`to`) ÷ ours(`from`) at most `max`. */
export interface GrowthTarget {
  readonly from: number;
  readonly to: number;
  readonly max: number;
}

/** One benchmark scenario: what it measures, at which sizes, against which target. */
export interface ScenarioDefinition {
  /** Kebab-case id, also the folder of its implementations and the `--only` filter. */
  readonly id: string;
  /** Label of its rows in the table. */
  readonly metric: string;
  readonly sizes: readonly number[];
  /** Sizes under `--quick`. */
  readonly quickSizes: readonly number[];
  readonly target: RatioTarget;
  readonly growth?: GrowthTarget;
  /**
   * Loaded lazily, in the child process only: a raw child never loads the library (whose
   * AsyncLocalStorage turns on V8 promise hooks for the whole process).
   */
  readonly implementations: Readonly<
    Record<ImplementationName, () => Promise<ScenarioImplementation>>
  >;
}

/** Every scenario of `npm run bench`, in table order. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    id: 'shutdown-honouring-signal',
    metric: 'shutdown, tasks honour their signal',
    sizes: [10_000, 100_000],
    quickSizes: [10_000],
    target: { against: 'raw', max: 1.2, strict: false },
    growth: { from: 10_000, to: 100_000, max: 12 },
    implementations: {
      ours: () => import('./shutdown-honouring-signal/ours.js'),
      raw: () => import('./shutdown-honouring-signal/raw.js'),
    },
  },
  {
    id: 'shutdown-ignoring-signal',
    metric: 'shutdown, tasks never read their signal',
    sizes: [10_000, 100_000],
    quickSizes: [10_000],
    target: { against: 'raw', max: 1, strict: true },
    implementations: {
      ours: () => import('./shutdown-ignoring-signal/ours.js'),
      raw: () => import('./shutdown-ignoring-signal/raw.js'),
    },
  },
  {
    id: 'create-run-finish',
    metric: 'create + run + finish short tasks',
    sizes: [100_000],
    quickSizes: [10_000],
    target: { against: 'raw', max: 1.5, strict: false },
    implementations: {
      ours: () => import('./create-run-finish/ours.js'),
      raw: () => import('./create-run-finish/raw.js'),
    },
  },
  {
    id: 'create-run-finish-no-async-context',
    metric: 'same, asyncContext: false',
    sizes: [100_000],
    quickSizes: [10_000],
    target: { against: 'raw', max: 1.5, strict: false },
    implementations: {
      ours: async () => ({
        run: (await import('./create-run-finish/ours.js')).runWithoutAsyncContext,
      }),
      raw: () => import('./create-run-finish/raw.js'),
    },
  },
];

/**
 * The scenario with this id; throws naming the known ids otherwise.
 *
 * @example
 * const scenario = findScenario('create-run-finish');
 */
export function findScenario(id: string): ScenarioDefinition {
  const scenario = SCENARIOS.find((candidate) => candidate.id === id);
  if (scenario === undefined) {
    throw new Error(
      `Unknown scenario "${id}"; known: ${SCENARIOS.map((known) => known.id).join(', ')}`,
    );
  }
  return scenario;
}

/**
 * Whether `ratio` meets `target`.
 *
 * @example
 * meetsTarget(1.1, { against: 'raw', max: 1.2, strict: false }); // true
 */
export function meetsTarget(ratio: number, target: { max: number; strict?: boolean }): boolean {
  return target.strict === true ? ratio < target.max : ratio <= target.max;
}
