import { fork } from 'node:child_process';
import { childArguments, type ChildJob } from './child-job.js';
import { isMeasurement, type Measurement } from './measurement.interface.js';

/** A child that has not reported within this long is killed and the bench fails. */
export const CHILD_TIMEOUT_MS = 600_000;

/**
 * Runs `job` in a fresh Node process — `node` (the binary the bench was told to use) running
 * `script --child …` with `--expose-gc` and nothing else inherited — and resolves with the
 * measurement it reports. Rejects when the child fails, exits without a measurement, or outlives
 * `timeoutMs`.
 *
 * @example
 * const { value } = await runInChild(process.execPath, entryScript, job);
 */
export function runInChild(
  node: string,
  script: string,
  job: ChildJob,
  timeoutMs = CHILD_TIMEOUT_MS,
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const what = `${job.scenario} ${job.implementation} N=${job.n}`;
    const child = fork(script, childArguments(job), {
      execPath: node,
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let measurement: Measurement | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (message: unknown) => {
      if (isMeasurement(message)) measurement = message;
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${what}: no result within ${timeoutMs} ms; killed`));
      else if (code !== 0 || measurement === undefined) {
        reject(
          new Error(`${what}: child exited (code ${code}, signal ${signal}) without a result`),
        );
      } else resolve(measurement);
    });
  });
}
