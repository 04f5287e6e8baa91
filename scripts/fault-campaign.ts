/**
 * `npm run campaign -- --runs N --seed S [--path P] [--no-shrink] [--strict]`: the fault campaign of `npm test`, longer
 * (test/campaign). Prints one line per run; on a failure, the shrunk scenario, its violations,
 * the child's output, and the seed and path that replay it; exits 1.
 */
import { parseArgs } from 'node:util';
import { runCampaign } from '../test/campaign/fault-campaign.js';

const USAGE = `usage: npm run campaign -- [--runs N] [--seed S] [--path P] [--no-shrink] [--strict]
  --runs N      scenarios to run (default 100)
  --seed S      fast-check seed (default: from the clock, printed)
  --path P      replay one shrunk scenario (printed with a failure), with its --seed
  --no-shrink   report a failure as found, without shrinking it
  --strict      fail on the known findings too (README "Known findings")`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        runs: { type: 'string', default: '100' },
        seed: { type: 'string' },
        'no-shrink': { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        path: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    // A mistyped option is a usage error, not a crash with a stack.
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

const values = parseOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error(
    `--runs must be a positive integer and --seed an integer (got ${values.runs}, ${values.seed})`,
  );
  process.exit(2);
}

console.log(`fault campaign: ${runs} run(s), seed ${seed}`);
const startedAt = performance.now();
const result = await runCampaign({
  runs,
  seed,
  shrink: !values['no-shrink'],
  strict: values.strict,
  path: values.path,
  log: (line) => console.log(line),
});
const durations = [...result.durationsMs].sort((a, b) => a - b);
const median = durations[Math.floor(durations.length / 2)] ?? 0;
console.log(
  `${result.runs} run(s) in ${Math.round((performance.now() - startedAt) / 1000)} s (median ${Math.round(median)} ms per run), seed ${seed}: ${result.failed ? 'FAILED' : 'every invariant held'}`,
);
if (result.known.length > 0) {
  console.log(`known findings met (--strict fails on them): ${result.known.length}`);
}
if (result.failed) {
  console.log(result.message);
  process.exitCode = 1;
}
