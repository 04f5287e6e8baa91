// Entry of `npm run bench` (compiled to .build/bench/run-benchmarks.js, run with --expose-gc).
//
// Orchestrator: runs every (scenario, N, implementation) of scenarios/scenario-catalog.ts several
// times, each time in a fresh child process of this same script on the Node binary given by
// `--node` (default: this one), implementations interleaved; prints one table with PASS/FAIL per
// target, merges the run into bench/results.json (by Node major version) and writes the chart
// bench/chart-node-<major>.svg. Fresh children matter: the library's AsyncLocalStorage turns on
// V8 promise hooks for the whole process, which would slow a baseline measured next to it.
//
// `--compare [file]` prints the runs of every Node version in the results file side by side.
//
// Child (`--child <scenario> <implementation> <n>`): one measurement, sent to the parent over IPC,
// or printed as JSON when started by hand, e.g. to profile the timed section alone:
//   node --expose-gc .build/bench/run-benchmarks.js --child \
//     shutdown-honouring-signal ours 100000 --profile /tmp/ours.cpuprofile
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchOptions } from './harness/bench-options.js';
import { runBenchmarks } from './harness/benchmark-runner.js';
import { renderChart } from './harness/chart-svg.js';
import { CHILD_FLAG, parseChildJob } from './harness/child-job.js';
import { runChildJob } from './harness/child-main.js';
import type { ResultsFile } from './harness/bench-results.interface.js';
import { renderComparison } from './harness/results-comparison.js';
import { renderResults } from './harness/results-table.js';
import { nodeKey, packageRoot, writeResults } from './harness/results-file.js';

const script = fileURLToPath(import.meta.url);
/** `--compare [results.json]`: the last run of each Node version side by side, nothing run. */
const COMPARE_FLAG = '--compare';
const argv = process.argv.slice(2);

if (argv[0] === CHILD_FLAG) {
  await runChildJob(parseChildJob(argv.slice(1)));
} else if (argv[0] === COMPARE_FLAG) {
  const file = argv[1] ?? path.join(packageRoot(path.dirname(script)), 'bench', 'results.json');
  console.log(renderComparison(JSON.parse(await readFile(file, 'utf8')) as ResultsFile));
} else {
  const options = parseBenchOptions(argv);
  const results = await runBenchmarks(options, script, (line) => console.error(`  ${line}`));
  console.log(renderResults(results));
  // A smoke run must not overwrite the figures of the last full run.
  const out =
    options.out ??
    (options.quick
      ? undefined
      : path.join(packageRoot(path.dirname(script)), 'bench', 'results.json'));
  if (out === undefined) {
    console.log(`\n--quick: results not written (pass --out <file> to keep them)`);
  } else {
    const written = await writeResults(out, results, options.merge);
    const chart = renderChart(written);
    const files = [path.relative(process.cwd(), out)];
    if (chart !== '') {
      const chartFile = path.join(path.dirname(out), `chart-${nodeKey(results.machine.node)}.svg`);
      await writeFile(chartFile, chart);
      files.push(path.relative(process.cwd(), chartFile));
    }
    console.log(`\nwrote ${files.join(', ')}`);
  }
}
