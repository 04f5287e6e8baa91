// Entry of `npm run bench` (compiled to .build/bench/run-benchmarks.js, run with --expose-gc).
//
// Orchestrator: runs every (scenario, N, implementation) of scenarios/scenario-catalog.ts several
// times, each time in a fresh child process of this same script, prints one table and writes
// bench/results.json. Fresh children matter: the library's AsyncLocalStorage turns on V8 promise
// hooks for the whole process, which would slow a baseline measured next to it.
//
// Child (`--child <scenario> <implementation> <n>`): one measurement, sent to the parent over IPC,
// or printed as JSON when started by hand, e.g. to profile the timed section alone:
//   node --expose-gc .build/bench/run-benchmarks.js --child \
//     shutdown-honouring-signal ours 100000 --profile /tmp/ours.cpuprofile
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchOptions } from './harness/bench-options.js';
import { runBenchmarks } from './harness/benchmark-runner.js';
import { CHILD_FLAG, parseChildJob } from './harness/child-job.js';
import { runChildJob } from './harness/child-main.js';
import { renderResults } from './harness/results-table.js';
import { packageRoot, writeResults } from './harness/results-file.js';

const script = fileURLToPath(import.meta.url);
const argv = process.argv.slice(2);

if (argv[0] === CHILD_FLAG) {
  await runChildJob(parseChildJob(argv.slice(1)));
} else {
  const options = parseBenchOptions(argv);
  const started = performance.now();
  const results = await runBenchmarks(options, script, (line) => console.error(`  ${line}`));
  console.log(renderResults(results));
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  // A smoke run must not overwrite the figures of the last full run.
  const out =
    options.out ??
    (options.quick
      ? undefined
      : path.join(packageRoot(path.dirname(script)), 'bench', 'results.json'));
  if (out === undefined) {
    console.log(
      `\n--quick: done in ${seconds} s; results not written (pass --out <file> to keep them)`,
    );
  } else {
    await writeResults(out, results);
    console.log(`\nwrote ${path.relative(process.cwd(), out)} in ${seconds} s`);
  }
}
