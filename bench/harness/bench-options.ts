import { DEFAULT_SEED } from '../scenarios/task-graph.js';

/** How `npm run bench` was asked to run. */
export interface BenchOptions {
  /** Smoke run: fewer runs, small sizes, short loads; under a minute. */
  readonly quick: boolean;
  /** Runs per (scenario, N, implementation), each in a fresh child process. */
  readonly runs: number;
  /** Scenario ids to run; empty: all. */
  readonly only: readonly string[];
  /** Run in-process scenarios once at N / 10 in the child before the measured run. */
  readonly warmup: boolean;
  readonly seed: number;
  /** The Node binary that runs every measured child (default: the one running the bench). */
  readonly node: string;
  /** Where results go; default `bench/results.json` of the package, none under --quick. */
  readonly out: string | undefined;
  /**
   * Replace only the rows of the scenarios run (with `--only`) in the results file's entry for
   * this Node version, keeping the others; the entry lists what was re-measured, and when.
   */
  readonly merge: boolean;
}

export const DEFAULT_RUNS = 5;
export const QUICK_RUNS = 1;

export const USAGE = `Usage: node --expose-gc .build/bench/run-benchmarks.js [options]
  --node <path>    Node binary for every measured child process (default: this one)
  --quick          smoke run (under a minute): ${QUICK_RUNS} run, small sizes, short loads,
                   ours and only the baselines the targets check
  --runs <n>       runs per measurement, each in a fresh child (default ${DEFAULT_RUNS})
  --only <ids>     comma-separated scenario ids
  --no-warmup      no warm-up run at N/10 in each in-process child
  --seed <n>       seed of the task graph (default ${DEFAULT_SEED})
  --out <file>     results file (default bench/results.json, merged by Node major version;
                   --quick writes none unless given); the chart goes next to it
  --merge          with --only: replace just those scenarios' rows of this Node version's
                   entry in the results file (same Node version only), keep the rest
  --compare [file] the last run of each Node version in the results file, side by side
  --child <scenario> <implementation> <n> [--seed <n>] [--no-warmup] [--quick] [--profile <file>]
                   one measurement in this process, printed as JSON; --profile writes a
                   .cpuprofile of the timed section only`;

function positiveInteger(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 1) {
    throw new Error(`${flag} expects a positive integer, got ${String(text)}\n${USAGE}`);
  }
  return value;
}

/**
 * Parses the command line of the orchestrator (everything but `--child`).
 *
 * @example
 * parseBenchOptions(['--quick', '--node', '/opt/node-24/bin/node']);
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let runs: number | undefined;
  let only: string[] = [];
  let warmup = true;
  let seed = DEFAULT_SEED;
  let node = process.execPath;
  let out: string | undefined;
  let merge = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--runs':
        runs = positiveInteger(flag, argv[++i]);
        break;
      case '--only':
        only = (argv[++i] ?? '').split(',').filter((id) => id !== '');
        break;
      case '--no-warmup':
        warmup = false;
        break;
      case '--seed':
        seed = positiveInteger(flag, argv[++i]);
        break;
      case '--node': {
        const path = argv[++i];
        if (path === undefined) throw new Error(`--node expects a path\n${USAGE}`);
        node = path;
        break;
      }
      case '--out':
        out = argv[++i];
        if (out === undefined) throw new Error(`--out expects a file\n${USAGE}`);
        break;
      case '--merge':
        merge = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`Unknown option ${flag}\n${USAGE}`);
    }
  }
  if (merge && only.length === 0) {
    throw new Error(`--merge re-measures some scenarios: name them with --only\n${USAGE}`);
  }
  if (merge && quick) throw new Error(`--merge keeps full runs: not with --quick\n${USAGE}`);
  return {
    quick,
    runs: runs ?? (quick ? QUICK_RUNS : DEFAULT_RUNS),
    only,
    warmup,
    seed,
    node,
    out,
    merge,
  };
}
