import { findScenario } from '../scenarios/scenario-catalog.js';
import type { ChildJob } from './child-job.js';
import type { Measurement } from './measurement.interface.js';
import { profileNextSection } from './section-profiler.js';

/** Size of the untimed warm-up run: a tenth of the timed one. */
export function warmupSize(n: number): number {
  return Math.max(1, Math.ceil(n / 10));
}

/**
 * Runs one job in this process: loads only the implementation it needs, warms it up once (unless
 * told not to), runs it timed, and hands the measurement to the parent over IPC — or prints it
 * as JSON when started by hand (e.g. under `node --cpu-prof`).
 *
 * @example
 * await runChildJob(parseChildJob(process.argv.slice(3)));
 */
export async function runChildJob(job: ChildJob): Promise<void> {
  const implementation = await findScenario(job.scenario).implementations[job.implementation]();
  if (job.warmup) await implementation.run({ n: warmupSize(job.n), seed: job.seed });
  if (job.profile !== undefined) profileNextSection(job.profile);
  const measurement: Measurement = await implementation.run({ n: job.n, seed: job.seed });
  const send = process.send?.bind(process);
  if (send === undefined) {
    console.log(JSON.stringify({ ...job, ...measurement }));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    send(measurement, undefined, undefined, (error: Error | null) =>
      error === null ? resolve() : reject(error),
    );
  });
  process.disconnect();
}
