import type { Unit } from '../scenarios/scenario-catalog.js';
import type { BenchResults, ImplementationResult, RowResult } from './bench-results.interface.js';
import { DISPLAY_NAMES } from './benchmark-runner.js';
import type { ImplementationName } from './measurement.interface.js';

/**
 * `10k`, `100k`, `1M`, or the number itself.
 *
 * @example
 * formatCount(100_000); // '100k'
 */
export function formatCount(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

/**
 * A figure in its unit, with as many digits as it deserves.
 *
 * @example
 * formatValue(862.4, 'ms'); // '862 ms'
 */
export function formatValue(value: number, unit: Unit, signed = false): string {
  const sign = signed && value > 0 ? '+' : '';
  switch (unit) {
    case 'ms':
      return `${sign}${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ms`;
    case 'B/task':
      return `${sign}${value.toFixed(0)} B`;
    case 'µs/call':
    case 'µs/request':
      return `${sign}${value.toFixed(2)} µs`;
    case '%':
      return `${sign}${value.toFixed(2)} %`;
    case 'req/s':
      return `${Math.round(value).toLocaleString('en-US')} req/s`;
  }
}

function shown(result: ImplementationResult): number {
  return result.net ?? result.value;
}

function ourCell(row: RowResult): string {
  const ours = row.results.ours;
  if (ours === undefined) return '—';
  const signed = ours.net !== undefined || row.unit === 'µs/call';
  const main = formatValue(shown(ours), row.unit, signed);
  return ours.p50 === undefined ? main : `${main} (p50 ${formatValue(ours.p50, row.unit)})`;
}

function spreadCell(row: RowResult): string {
  const ours = row.results.ours;
  if (ours === undefined) return '';
  const offset = ours.net === undefined ? 0 : ours.value - ours.net;
  const what =
    ours.sampleCount === undefined ? `${ours.values.length} runs` : `${ours.sampleCount} samples`;
  const f = (v: number): string => formatValue(v - offset, row.unit).replace(/ .*$/, '');
  return `${f(ours.min)}–${f(ours.max)} (${what})`;
}

function baselinesCell(row: RowResult): string {
  const parts: string[] = [];
  for (const [name, result] of Object.entries(row.results) as [
    ImplementationName,
    ImplementationResult,
  ][]) {
    if (name === 'ours') continue;
    const value = formatValue(shown(result), row.unit, result.net !== undefined);
    parts.push(
      `${DISPLAY_NAMES[name]} ${value}${result.p50 === undefined ? '' : ` (p50 ${formatValue(result.p50, row.unit)})`}`,
    );
  }
  return parts.join(' · ');
}

function checksCell(row: RowResult): string {
  return row.checks
    .map((c) => {
      const shown = c.text.includes('×') ? `${c.figure.toFixed(2)}× (${c.text})` : c.text;
      return c.advisory === undefined
        ? shown
        : `${shown}: ${c.met ? 'PASS' : 'FAIL'}, ${c.advisory}`;
    })
    .join('; ');
}

function resultCell(row: RowResult): string {
  if (row.met === undefined) return 'info';
  return row.met ? 'PASS' : 'FAIL';
}

function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}

/**
 * What a row's N counts: `100k tasks`, `102 processes` (pooled samples), `5 s of load`.
 *
 * @example
 * nCell(row); // '100k tasks'
 */
export function nCell(row: RowResult): string {
  const ours = row.results.ours;
  if (ours?.sampleCount !== undefined) return `${ours.sampleCount} ${row.counts}`;
  return `${formatCount(row.n)} ${row.counts}`;
}

/**
 * The results as one Markdown table — metric, N, ours (median, or p99 with p50), its spread
 * over the runs, the baselines, the target ratios and PASS/FAIL — then the growth lines and
 * where and how it was measured.
 *
 * @example
 * console.log(renderResults(results));
 */
export function renderResults(results: BenchResults): string {
  const header = ['metric', 'N', 'ours', 'ours min–max', 'baselines', 'target', 'result'];
  const rows = results.rows.map((row) => [
    row.metric,
    nCell(row),
    ourCell(row),
    spreadCell(row),
    baselinesCell(row),
    checksCell(row),
    resultCell(row),
  ]);
  for (const growth of results.growth) {
    const baselines = Object.entries(growth.baselines)
      .map(([name, ratio]) => `${DISPLAY_NAMES[name as ImplementationName]} ${ratio.toFixed(2)}×`)
      .join(' · ');
    rows.push([
      `growth ${formatCount(growth.from)} → ${formatCount(growth.to)}, ${growth.metric}`,
      '',
      `${growth.ratio.toFixed(2)}×`,
      '',
      baselines,
      `≤ ${growth.max}×`,
      growth.met ? 'PASS' : 'FAIL',
    ]);
  }
  const lines = renderTable(header, rows);
  const { machine, options, load } = results;
  lines.push(
    '',
    `${results.generatedAt.slice(0, 10)}, Node ${machine.node} (V8 ${machine.v8}), ` +
      `${machine.cpuModel} × ${machine.cpuCount}, ${machine.totalMemoryMiB} MiB; ` +
      `load average ${load.start} at the start, ${load.end} at the end; ` +
      `${options.runs} run(s) per figure, each in a fresh child process, implementations interleaved` +
      `${options.warmup ? ', in-process scenarios warmed up at N/10' : ''}; ${results.durationS} s`,
  );
  return lines.join('\n');
}
