// Entry of `npm run rollout` (compiled to .build/bench/rollout-comparison.js).
//
// Rolling restarts behind real proxies: for each proxy configuration × app (bench/rollout/
// rollout-matrix.ts), two instances of sample/03-zero-downtime behind HAProxy or nginx under
// wrk's keep-alive load, each replaced in turn. Prints one table (a row per run) and, with
// repeats, the spread, then the failed / unused matrices; writes bench/rollout-results.json
// (--quick, a two-minute smoke run, writes only to --out).
//   node .build/bench/rollout-comparison.js [--quick] [--repeat N] [--setup text] [--app text]
//     [--keep-logs] [--from file] [--out file]
//   --setup / --app keep the configurations / apps whose name contains the text; --keep-logs
//   keeps each run's directory (proxy configuration and logs, the instances' output); --from
//   file prints the tables of a results file written before, without running anything.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { machineInfo, type MachineInfo } from './harness/machine-info.js';
import { packageRoot } from './harness/results-file.js';
import { QUICK, ROWS, SETUPS } from './rollout/rollout-matrix.js';
import type { RolloutRun } from './rollout/rollout-run.interface.js';
import {
  failedCell,
  renderMatrix,
  renderRolloutTable,
  renderSpread,
  unusedCell,
} from './rollout/rollout-table.js';
import { DEFAULT_TIMING, runRollingRestart } from './rollout/rolling-restart.js';

const USAGE = `usage: npm run rollout -- [--quick] [--repeat N] [--setup <text>]… [--app <text>]… [--keep-logs] [--out <file>] [--from <file>]`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        repeat: { type: 'string', default: '1' },
        setup: { type: 'string', multiple: true },
        app: { type: 'string', multiple: true },
        'keep-logs': { type: 'boolean', default: false },
        from: { type: 'string' },
        out: { type: 'string' },
      },
    }).values;
  } catch (error) {
    // A mistyped option is a usage error, not a crash with a stack.
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

const values = parseOptions();
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) {
  console.error(`--repeat expects a positive integer, got ${values.repeat}\n${USAGE}`);
  process.exit(2);
}
const chosen = (id: string, quick: readonly string[], texts: readonly string[] = []): boolean =>
  (!values.quick || quick.includes(id)) &&
  (texts.length === 0 || texts.some((text) => id.includes(text)));
const setups = SETUPS.filter((s) => chosen(s.id, QUICK.setups, values.setup));
const rows = ROWS.filter((r) => chosen(r.id, QUICK.rows, values.app));

// Ctrl+C: the current run stops what it started; a second one leaves at once (the exit handlers
// of the instances and proxies still kill them).
const abort = new AbortController();
process.on('SIGINT', () => {
  if (abort.signal.aborted) process.exit(130);
  console.error('\nstopping: closing the current run …');
  abort.abort();
});

/** The command that made a results file, with the filters it ran under. */
function rolloutCommand(): string {
  const words = ['npm run rollout --'];
  if (values.quick) words.push('--quick');
  if (repeat > 1) words.push(`--repeat ${repeat}`);
  for (const text of values.setup ?? []) words.push(`--setup ${JSON.stringify(text)}`);
  for (const text of values.app ?? []) words.push(`--app ${JSON.stringify(text)}`);
  return words.join(' ');
}

const started = performance.now();
const runs: RolloutRun[] = [];
const total = setups.length * rows.length * repeat;
const previous =
  values.from === undefined
    ? undefined
    : (JSON.parse(await readFile(values.from, 'utf8')) as {
        date: string;
        machine: MachineInfo;
        runs: RolloutRun[];
      });
if (previous !== undefined) runs.push(...previous.runs);
try {
  for (let round = 1; previous === undefined && round <= repeat; round++) {
    for (const setup of setups) {
      for (const row of rows) {
        const run = await runRollingRestart(setup, row, DEFAULT_TIMING, {
          signal: abort.signal,
          keepLogs: values['keep-logs'],
        });
        runs.push(run);
        console.error(
          `  [${runs.length}/${total}] ${setup.id} · ${row.id}: failed ${run.failed ?? '?'}` +
            (run.error === undefined ? '' : ` — BROKEN: ${run.error.split('\n')[0]}`),
        );
      }
    }
  }
} catch (error) {
  if (!abort.signal.aborted) throw error;
}

const machine = previous?.machine ?? machineInfo();
const date = previous?.date ?? new Date().toISOString();
console.log(renderRolloutTable(runs));
if (repeat > 1) console.log(`\nOver ${repeat} repeats:\n${renderSpread(runs)}`);
console.log(
  `\nFailed requests per rolling restart (min–max over runs):\n${renderMatrix(runs, failedCell)}`,
);
console.log(
  `\nLongest time a replacement sat healthy but unused:\n${renderMatrix(runs, unusedCell)}`,
);
console.log(
  [
    '',
    'requests: responses + socket errors seen by wrk. failed: no 2xx. refused / reset / no server /',
    "timeout / app 503: the failed requests' cause in the proxy's log (refused: the connect to the",
    'backend failed; reset: the backend closed or reset before a complete response; app 503: the',
    'backend itself answered 503). retried: requests that succeeded after a failed attempt.',
    'lost@server: accepted by an old instance without a complete response (its ledger). noticed:',
    "SIGTERM to the proxy marking the instance down or failed (its log). unused: the replacement's",
    'READY to the first request routed to it. a / b: first / second instance replaced. load: the',
    "machine's 1-minute load average when the run started (its cores are shared).",
    `${date} · ${machine.cpuModel} × ${machine.cpuCount} · ${machine.totalMemoryMiB} MiB · ` +
      `Node ${machine.node} · ${DEFAULT_TIMING.connections} keep-alive connections (wrk -t2), ` +
      `/fast and 300 ms /slow 50/50`,
  ].join('\n'),
);

// A quick run is a smoke test: it writes a results file only when asked to (--out).
if (
  !abort.signal.aborted &&
  previous === undefined &&
  (!values.quick || values.out !== undefined)
) {
  const out =
    values.out ??
    path.join(
      packageRoot(path.dirname(fileURLToPath(import.meta.url))),
      'bench',
      'rollout-results.json',
    );
  const file = {
    date,
    machine,
    command: rolloutCommand(),
    timing: DEFAULT_TIMING,
    setups,
    rows,
    runs,
  };
  // Formatted as `npm run lint` (prettier --check .) expects it.
  const json = await format(JSON.stringify(file), {
    ...(await resolveConfig(out)),
    parser: 'json',
  });
  await writeFile(out, json);
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`\nwrote ${path.relative(process.cwd(), out)} in ${seconds} s`);
}
