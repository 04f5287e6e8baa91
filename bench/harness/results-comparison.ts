import type { BenchResults, ResultsFile, RowResult } from './bench-results.interface.js';
import { formatCount, formatValue, nCell } from './results-table.js';

function rowKey(row: RowResult): string {
  return `${row.scenario} ${row.n}`;
}

/** `+0.83 µs PASS`, `1.93× raw FAIL`: what decides the row, and whether it held. */
function verdict(row: RowResult | undefined): string {
  if (row === undefined) return '—';
  const ours = row.results.ours;
  const checks = row.checks
    .map((check) => {
      const shown = check.text.includes('×')
        ? `${check.figure.toFixed(2)}× ${check.text.replace(/^.*× /, '')}`
        : formatValue(check.figure, row.unit, ours?.net !== undefined || row.unit === 'µs/call');
      return check.advisory === undefined ? shown : `${shown} (${check.met ? 'met' : 'not met'})`;
    })
    .join(', ');
  const result = row.met === undefined ? '' : row.met ? ' PASS' : ' FAIL';
  return `${checks}${result}`;
}

/**
 * The last full run of each Node version side by side: one line per row with a target (its
 * figures and PASS/FAIL per version), then the growth checks and each run's date and load.
 *
 * @example
 * console.log(renderComparison(JSON.parse(readFileSync('bench/results.json', 'utf8'))));
 */
export function renderComparison(file: ResultsFile): string {
  const versions = Object.keys(file.byNode);
  const runs: BenchResults[] = versions.map((key) => file.byNode[key]);
  const header = [
    'target',
    'N',
    ...runs.map((run) => `Node ${run.machine.node.replace(/^v/, '').split('.')[0]}`),
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  const seen = new Set<string>();
  for (const run of runs) {
    for (const row of run.rows) {
      if (row.checks.length === 0 || seen.has(rowKey(row))) continue;
      seen.add(rowKey(row));
      const cells = runs.map((other) =>
        verdict(other.rows.find((candidate) => rowKey(candidate) === rowKey(row))),
      );
      lines.push(`| ${row.metric} | ${nCell(row)} | ${cells.join(' | ')} |`);
    }
  }
  for (const growth of runs[0]?.growth ?? []) {
    const cells = runs.map((run) => {
      const same = run.growth.find((other) => other.scenario === growth.scenario);
      return same === undefined
        ? '—'
        : `${same.ratio.toFixed(2)}× (≤ ${same.max}×) ${same.met ? 'PASS' : 'FAIL'}`;
    });
    lines.push(
      `| growth ${formatCount(growth.from)} → ${formatCount(growth.to)}, ${growth.metric} | | ${cells.join(' | ')} |`,
    );
  }
  lines.push('');
  for (const run of runs) {
    lines.push(
      `- Node ${run.machine.node}: ended ${run.generatedAt.slice(0, 16).replace('T', ' ')} UTC, ` +
        `${run.machine.cpuModel} × ${run.machine.cpuCount}, load average ${run.load.start} → ` +
        `${run.load.end}, ${run.options.runs} run(s) per figure${run.options.quick ? ' (--quick)' : ''}, ${run.durationS} s`,
    );
    for (const again of run.remeasured ?? []) {
      lines.push(
        `  - measured again (\`--merge\`): ${again.scenarios.join(', ')} — ended ` +
          `${again.generatedAt.slice(0, 16).replace('T', ' ')} UTC, load average ${again.load.start} → ` +
          `${again.load.end}, ${again.runs} run(s) per figure, ${again.durationS} s`,
      );
    }
  }
  return lines.join('\n');
}
