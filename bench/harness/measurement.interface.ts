/**
 * Every implementation a scenario can be measured with. `ours` is compared against the others;
 * each scenario lists the ones it runs (scenarios/scenario-catalog.ts).
 * - `raw`: the fair hand-written baseline of DESIGN §6 (a controller per task in a Set, one
 *   shared abort reason, `Promise.allSettled`);
 * - `naive-raw`: the same written as it usually is: `abort()` without a reason (a DOMException
 *   and its stack per task), a closure per task;
 * - `raw-waves`: raw stopping the seeded graph in the same waves as ours (each wave aborted and
 *   awaited before the next): what a hand-written *ordered* shutdown costs;
 * - `effect`: Effect fibers, signal-free (`Fiber.interruptAll`);
 * - `effect-signal`: Effect fibers doing the same AbortSignal work (`Effect.promise((signal) …)`);
 * - `nest-naive`: a Nest application whose `onApplicationShutdown` aborts and awaits its tasks;
 * - `bare`: the task bodies alone, untracked (what heap figures subtract);
 * - `no-module`, `http-false`: an HTTP app without the module / with `http: false`;
 * - `no-async-context`: ours with `asyncContext: false` (what AsyncLocalStorage costs there).
 */
export const IMPLEMENTATIONS = [
  'ours',
  'raw',
  'naive-raw',
  'raw-waves',
  'effect',
  'effect-signal',
  'nest-naive',
  'bare',
  'no-module',
  'http-false',
  'no-async-context',
] as const;

export type ImplementationName = (typeof IMPLEMENTATIONS)[number];

/** What one scenario run receives in its child process. */
export interface ScenarioInput {
  /** Number of tasks (or calls, or samples, as the scenario says). */
  readonly n: number;
  /** Seed of the task graph (priorities, dependencies): every run sees the same one. */
  readonly seed: number;
  /** A smoke run: a scenario that times itself (HTTP load, samples) keeps it short. */
  readonly quick: boolean;
}

/** One run, as a child process reports it to the orchestrator. */
export interface Measurement {
  /** The figure, in the scenario's unit (ms, B per task, µs per call, req/s …). */
  readonly value: number;
  /** Individual samples (latencies), pooled over runs when the scenario asks for percentiles. */
  readonly samples?: readonly number[];
  /** Extra figures for results.json (p99, CPU per request …); the scenario's `secondary` rows read some. */
  readonly detail?: Readonly<Record<string, number>>;
}

/** A scenario implementation module: sets up untimed, measures, checks the outcome. */
export interface ScenarioImplementation {
  run(input: ScenarioInput): Promise<Measurement>;
}

function isNumberRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

/**
 * Narrows a child's IPC message to a measurement.
 *
 * @example
 * child.on('message', (message) => { if (isMeasurement(message)) results.push(message); });
 */
export function isMeasurement(value: unknown): value is Measurement {
  if (typeof value !== 'object' || value === null) return false;
  const {
    value: figure,
    samples,
    detail,
  } = value as {
    value?: unknown;
    samples?: unknown;
    detail?: unknown;
  };
  return (
    typeof figure === 'number' &&
    Number.isFinite(figure) &&
    (samples === undefined || Array.isArray(samples)) &&
    (detail === undefined || isNumberRecord(detail))
  );
}

/**
 * Whether `value` names an implementation.
 *
 * @example
 * if (!isImplementation(argv[1])) throw new Error('unknown implementation');
 */
export function isImplementation(value: unknown): value is ImplementationName {
  return IMPLEMENTATIONS.some((name) => name === value);
}
