import { DEFAULT_SEED } from '../scenarios/task-graph.js';
import {
  IMPLEMENTATIONS,
  isImplementation,
  type ImplementationName,
} from './measurement.interface.js';

/** One measurement, as the orchestrator asks a child process for it. */
export interface ChildJob {
  readonly scenario: string;
  readonly implementation: ImplementationName;
  readonly n: number;
  readonly warmup: boolean;
  readonly seed: number;
  readonly quick: boolean;
  /** Write a CPU profile of the timed section here (by hand only, never from the orchestrator). */
  readonly profile?: string;
}

/** The flag that turns the entry script into a child. */
export const CHILD_FLAG = '--child';

/**
 * The command-line arguments that make the entry script run `job` as a child.
 *
 * @example
 * fork(script, childArguments(job), { execArgv: ['--expose-gc'] });
 */
export function childArguments(job: ChildJob): string[] {
  const args = [CHILD_FLAG, job.scenario, job.implementation, String(job.n)];
  args.push('--seed', String(job.seed));
  if (!job.warmup) args.push('--no-warmup');
  if (job.quick) args.push('--quick');
  return args;
}

/**
 * Reads a job back from the arguments that follow `--child` (seed: the default one unless given).
 *
 * @example
 * parseChildJob(['create-run-finish', 'raw', '100000']);
 */
export function parseChildJob(argv: readonly string[]): ChildJob {
  const [scenario, implementation, nText, ...rest] = argv;
  const n = Number(nText);
  if (scenario === undefined || !isImplementation(implementation) || !Number.isInteger(n)) {
    throw new Error(
      `${CHILD_FLAG} expects <scenario> <${IMPLEMENTATIONS.join('|')}> <n>, got ${argv.join(' ')}`,
    );
  }
  let warmup = true;
  let quick = false;
  let seed = DEFAULT_SEED;
  let profile: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--no-warmup') warmup = false;
    else if (rest[i] === '--quick') quick = true;
    else if (rest[i] === '--seed') seed = Number(rest[++i]);
    else if (rest[i] === '--profile') profile = rest[++i];
    else throw new Error(`Unknown child option ${rest[i]}`);
  }
  if (!Number.isInteger(seed)) throw new Error(`${CHILD_FLAG} expects --seed <integer>`);
  const job = { scenario, implementation, n, warmup, seed, quick };
  return profile === undefined ? job : { ...job, profile };
}
