/** The implementations a scenario is measured with; `ours` is compared against the others. */
export const IMPLEMENTATIONS = ['ours', 'raw'] as const;

export type ImplementationName = (typeof IMPLEMENTATIONS)[number];

/** What one scenario run receives in its child process. */
export interface ScenarioInput {
  /** Number of tasks. */
  readonly n: number;
  /** Seed of the task graph (priorities, dependencies): every run sees the same one. */
  readonly seed: number;
}

/** One timed run, as a child process reports it to the orchestrator. */
export interface Measurement {
  /** The timed section, in milliseconds. */
  readonly ms: number;
  /** Extra figures for results.json (engine-side duration, wave count …); never compared. */
  readonly detail?: Readonly<Record<string, number>>;
}

/** A scenario implementation module: sets up untimed, times one section, checks the outcome. */
export interface ScenarioImplementation {
  run(input: ScenarioInput): Promise<Measurement>;
}

/**
 * Narrows a child's IPC message to a measurement.
 *
 * @example
 * child.on('message', (message) => { if (isMeasurement(message)) results.push(message); });
 */
export function isMeasurement(value: unknown): value is Measurement {
  if (typeof value !== 'object' || value === null) return false;
  const { ms, detail } = value as { ms?: unknown; detail?: unknown };
  return (
    typeof ms === 'number' &&
    Number.isFinite(ms) &&
    (detail === undefined || (typeof detail === 'object' && detail !== null))
  );
}

/**
 * A record with one entry per implementation.
 *
 * @example
 * const runs = byImplementation(() => [] as Measurement[]);
 */
export function byImplementation<T>(
  make: (name: ImplementationName) => T,
): Record<ImplementationName, T> {
  const record = {} as Record<ImplementationName, T>;
  for (const name of IMPLEMENTATIONS) record[name] = make(name);
  return record;
}
