// Entry of `npm run rollout` (compiled to .build/bench/rollout-comparison.js).
//
// The rollout scenario of test/process/rollout.process-spec.ts, for {express, fastify} ×
// {lifecycle, plain}, a few runs each: sample/03-zero-downtime under keep-alive load receives
// SIGTERM mid-load. Prints one table (a row per run) and writes bench/rollout-results.json.
//   node .build/bench/rollout-comparison.js [--runs 3] [--out file]
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { machineInfo } from './harness/machine-info.js';
import { packageRoot } from './harness/results-file.js';
import type { RolloutOptions } from './rollout/rollout-options.interface.js';
import type { RolloutResult, RolloutTarget } from './rollout/rollout-result.interface.js';
import { runRollout } from './rollout/rollout-run.js';
import { renderRolloutTable, summarise } from './rollout/rollout-table.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, out: { type: 'string' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs expects a positive integer`);

// The same budgets as the process test: drain 0.5 s, then 2 s / 0.5 s / 0.3 s.
const scenario = {
  lifecycleOptions: {
    drainDelayMs: 500,
    phases: { gracefulMs: 2000, forcefulMs: 500, terminateMs: 300 },
  },
  connections: 20,
  loadBeforeSignalMs: 1000,
  loadAfterExitMs: 500,
  holdLimitMs: 10_000,
  exitAfterStopMs: 5000,
} satisfies Omit<RolloutOptions, keyof RolloutTarget>;

const targets: RolloutTarget[] = [
  { adapter: 'express', mode: 'lifecycle' },
  { adapter: 'express', mode: 'plain' },
  { adapter: 'fastify', mode: 'lifecycle' },
  { adapter: 'fastify', mode: 'plain' },
];

const started = performance.now();
const results: RolloutResult[] = [];
for (const target of targets) {
  for (let run = 1; run <= runs; run++) {
    const result = await runRollout({ ...target, ...scenario });
    console.error(
      `  ${target.adapter} ${target.mode} #${run}: lost ${result.lost ?? '?'} of ` +
        `${result.ledger?.accepted ?? '?'}, exit ${result.exitCode ?? result.exitSignal} ` +
        `after ${result.signalToExitMs} ms`,
    );
    results.push(result);
  }
}

console.log(renderRolloutTable(results, scenario.holdLimitMs));
const machine = machineInfo();
console.log(
  [
    '',
    'lost: accepted by the server (its LEDGER) without a complete response. unanswered: requests',
    'the client sent on an established connection that was reset or closed without a response.',
    'refused: connection attempts refused (autocannon reconnects in a tight loop: attempts, not',
    'users). * requests autocannon wrote after a response had said "Connection: close" (it ignores',
    'the header; a compliant client reconnects): not read by the server, not failures. Plain',
    "Nest exits by re-raising the signal (exit SIGTERM). Times are from SIGTERM. 'held open': still",
    `running ${scenario.holdLimitMs} ms after SIGTERM, so the load was stopped first.`,
    `SIGTERM after ${scenario.loadBeforeSignalMs} ms of load (${scenario.connections} keep-alive ` +
      `connections, /fast and 300 ms /slow 50/50); lifecycle options ` +
      `${JSON.stringify(scenario.lifecycleOptions)}; Node ${machine.node}, ` +
      `${machine.cpuModel} × ${machine.cpuCount}`,
  ].join('\n'),
);

const out =
  values.out ??
  path.join(
    packageRoot(path.dirname(fileURLToPath(import.meta.url))),
    'bench',
    'rollout-results.json',
  );
const file = {
  date: new Date().toISOString(),
  machine,
  scenario,
  summary: summarise(results),
  results,
};
// Formatted as `npm run lint` (prettier --check .) expects it.
const json = await format(JSON.stringify(file), { ...(await resolveConfig(out)), parser: 'json' });
await writeFile(out, json);
const seconds = ((performance.now() - started) / 1000).toFixed(0);
console.log(`\nwrote ${path.relative(process.cwd(), out)} in ${seconds} s`);
