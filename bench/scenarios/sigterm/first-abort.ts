import { pause, startFixture } from '../../harness/fixture-process.js';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { median } from '../../harness/statistics.js';

/** The process is idle when the signal comes, as a real SIGTERM finds it. */
const SETTLE_MS = 100;

function abortedAt(message: unknown): bigint | undefined {
  const at = (message as { abortedAt?: unknown } | null)?.abortedAt;
  return typeof at === 'string' ? BigInt(at) : undefined;
}

async function sample(fixture: string): Promise<number> {
  const process_ = startFixture(fixture, []);
  try {
    await process_.next((message) => (message === 'ready' ? true : undefined));
    await pause(SETTLE_MS);
    const aborted = process_.next(abortedAt);
    const sentAt = process.hrtime.bigint();
    process_.child.kill('SIGTERM');
    return Number((await aborted) - sentAt) / 1e6;
  } finally {
    await process_.stop();
  }
}

async function samples(fixture: string, n: number): Promise<Measurement> {
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(await sample(fixture));
  return { value: median(values), samples: values };
}

/** N fresh processes of the module's fixture: ms from `kill(SIGTERM)` to the task's abort. */
export function run({ n }: ScenarioInput): Promise<Measurement> {
  return samples('first-abort-ours.fixture', n);
}

/** The same by hand: `process.once('SIGTERM', () => controller.abort(reason))`. */
export function runRaw({ n }: ScenarioInput): Promise<Measurement> {
  return samples('first-abort-raw.fixture', n);
}

/** The same in plain Nest: `enableShutdownHooks()` and `onApplicationShutdown`. */
export function runNestNaive({ n }: ScenarioInput): Promise<Measurement> {
  return samples('first-abort-nest-naive.fixture', n);
}
