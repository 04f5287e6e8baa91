import { findScenario } from '../scenarios/scenario-catalog.js';
import type { ChildJob } from './child-job.js';
import type { Measurement } from './measurement.interface.js';
import { profileNextSection } from './section-profiler.js';

/** Size of the untimed warm-up run: a tenth of the timed one. */
export function warmupSize(n: number): number {
  return Math.max(1, Math.ceil(n / 10));
}

/**
 * Units of the in-process scenarios warmed up by a run at N/10 first. The others warm up inside
 * their own run: calls timed in blocks, churn after a first batch, processes and servers.
 */
const WARMED_AT_A_TENTH = new Set(['ms', 'B/task']);

/**
 * Runs one job in this process: loads only the implementation it needs, warms it up once (unless
 * told not to), runs it, and hands the measurement to the parent over IPC — or prints it as JSON
 * when started by hand (e.g. with `--profile`).
 *
 * @example
 * await runChildJob(parseChildJob(process.argv.slice(3)));
 */
export async function runChildJob(job: ChildJob): Promise<void> {
  const scenario = findScenario(job.scenario);
  const load = scenario.implementations[job.implementation];
  if (load === undefined) {
    throw new Error(`${job.scenario} has no implementation ${job.implementation}`);
  }
  const implementation = await load();
  const input = { n: job.n, seed: job.seed, quick: job.quick };
  // In-process scenarios warm up at N/10; those timing processes, calls in blocks or a server
  // under load warm up inside their own run.
  if (job.warmup && WARMED_AT_A_TENTH.has(scenario.unit) && scenario.statistic === 'median') {
    await implementation.run({ ...input, n: warmupSize(job.n) });
  }
  if (job.profile !== undefined) profileNextSection(job.profile);
  const measurement: Measurement = await implementation.run(input);
  const send = process.send?.bind(process);
  if (send === undefined) {
    console.log(JSON.stringify({ ...job, ...measurement, samples: undefined }));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    send(measurement, undefined, undefined, (error: Error | null) =>
      error === null ? resolve() : reject(error),
    );
  });
  process.disconnect();
}
