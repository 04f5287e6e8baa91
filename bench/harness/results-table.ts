import type { BenchResults } from './bench-results.interface.js';
import { IMPLEMENTATIONS } from './measurement.interface.js';

/**
 * `10k`, `100k`, `1.5M`, or the number itself.
 *
 * @example
 * formatCount(100_000); // '100k'
 */
export function formatCount(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  // Text columns left, figures right.
  const line = (cells: readonly string[]): string =>
    `| ${cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
      )
      .join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}

/**
 * The results as one Markdown table (metric, N, each implementation's median, the ratio, the
 * target and whether it is met), followed by the growth lines.
 *
 * @example
 * console.log(renderResults(results));
 */
export function renderResults(results: BenchResults): string {
  const header = [
    'metric',
    'N',
    ...IMPLEMENTATIONS.map((name) => `${name} (ms)`),
    'ours/raw',
    'target',
    'met',
  ];
  const rows = results.rows.map((row) => [
    row.metric,
    formatCount(row.n),
    ...IMPLEMENTATIONS.map((name) => formatMs(row.results[name].medianMs)),
    `${row.ratio.toFixed(2)}×`,
    row.target.text,
    row.met ? 'yes' : 'NO',
  ]);
  const lines = renderTable(header, rows);
  for (const growth of results.growth) {
    const baselines = Object.entries(growth.baselines)
      .map(([name, ratio]) => `${name} ${ratio.toFixed(2)}×`)
      .join(', ');
    lines.push(
      '',
      `growth ${formatCount(growth.from)} → ${formatCount(growth.to)}, ${growth.metric}: ` +
        `ours ${growth.ratio.toFixed(2)}× (target ≤ ${growth.max}×: ${growth.met ? 'met' : 'NOT met'})` +
        (baselines === '' ? '' : `; ${baselines}`),
    );
  }
  const { machine, options } = results;
  lines.push(
    '',
    `median of ${options.runs} run(s), each in a fresh child process` +
      `${options.warmup ? ' after one warm-up at N/10' : ', cold'}; ` +
      `Node ${machine.node}, ${machine.cpuModel} × ${machine.cpuCount}`,
  );
  return lines.join('\n');
}
