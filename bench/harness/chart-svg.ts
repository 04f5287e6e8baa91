import { SCENARIOS } from '../scenarios/scenario-catalog.js';
import type { BenchResults } from './bench-results.interface.js';
import { DISPLAY_NAMES } from './benchmark-runner.js';
import type { ImplementationName } from './measurement.interface.js';
import { formatCount } from './results-table.js';

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dashed: boolean;
  readonly points: Map<number, number>;
}

const COLORS: Readonly<Record<string, string>> = {
  ours: '#d62728',
  'ours-stopped': '#ff7f0e',
  raw: '#1f77b4',
  'naive-raw': '#17becf',
  'raw-waves': '#8c564b',
  effect: '#2ca02c',
  'effect-signal': '#98df8a',
  'nest-naive': '#9467bd',
};

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 70, right: 200, top: 40, bottom: 50 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Series of time per task against N, from the scenarios marked for the chart. */
function collectSeries(results: BenchResults): Series[] {
  const series = new Map<string, Series>();
  const add = (key: string, label: string, n: number, perTaskUs: number): void => {
    let entry = series.get(key);
    if (entry === undefined) {
      entry = {
        label,
        color: COLORS[key] ?? '#7f7f7f',
        dashed: key !== 'ours' && key !== 'ours-stopped',
        points: new Map(),
      };
      series.set(key, entry);
    }
    // The first scenario that measured a point keeps it (the same baseline runs in both).
    if (!entry.points.has(n)) entry.points.set(n, perTaskUs);
  };
  for (const scenario of SCENARIOS) {
    if (scenario.chart === undefined) continue;
    for (const row of results.rows) {
      if (row.scenario !== scenario.id || row.unit !== 'ms') continue;
      for (const [name, result] of Object.entries(row.results) as [
        ImplementationName,
        { value: number },
      ][]) {
        const perTaskUs = (result.value * 1000) / row.n;
        if (name === 'ours')
          add(
            scenario.id === 'shutdown-stopped' ? 'ours-stopped' : 'ours',
            `ours — ${scenario.chart}`,
            row.n,
            perTaskUs,
          );
        else add(name, DISPLAY_NAMES[name], row.n, perTaskUs);
      }
    }
  }
  return [...series.values()].filter((s) => s.points.size > 0);
}

/**
 * An SVG line chart of shutdown time per task against N (both axes logarithmic): ours (with
 * signals, and with `ctx.stopped`) against the baselines, from one run of the bench.
 *
 * @example
 * await writeFile('bench/chart-node-24.svg', renderChart(results));
 */
export function renderChart(results: BenchResults): string {
  const series = collectSeries(results);
  const ns = series.flatMap((s) => [...s.points.keys()]);
  const ys = series.flatMap((s) => [...s.points.values()]).filter((y) => y > 0);
  if (ns.length === 0 || ys.length === 0) return '';
  const xMin = Math.log10(Math.min(...ns));
  const xMax = Math.max(Math.log10(Math.max(...ns)), xMin + 1);
  const yMin = Math.floor(Math.log10(Math.min(...ys)));
  const yMax = Math.ceil(Math.log10(Math.max(...ys)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (n: number): number => MARGIN.left + ((Math.log10(n) - xMin) / (xMax - xMin)) * plotW;
  const y = (v: number): number =>
    MARGIN.top + plotH - ((Math.log10(v) - yMin) / Math.max(1, yMax - yMin)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escape(
      `Shutdown time per task — Node ${results.machine.node}, ${results.generatedAt.slice(0, 10)}`,
    )}</text>`,
  );
  for (let e = yMin; e <= yMax; e++) {
    const v = 10 ** e;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1 ? v : v.toPrecision(1)} µs</text>`,
    );
  }
  for (const n of [...new Set(ns)].sort((a, b) => a - b)) {
    parts.push(
      `<line x1="${x(n)}" x2="${x(n)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`,
      `<text x="${x(n)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${formatCount(n)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">N tasks in flight (log)</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
  );
  series.forEach((s, index) => {
    const points = [...s.points].sort(([a], [b]) => a - b);
    const path = points.map(([n, v]) => `${x(n).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="${s.dashed ? 1.5 : 3}"${s.dashed ? ' stroke-dasharray="6 3"' : ''}/>`,
      ...points.map(
        ([n, v]) =>
          `<circle cx="${x(n).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.color}"/>`,
      ),
    );
    const ly = MARGIN.top + 10 + index * 20;
    const lx = MARGIN.left + plotW + 12;
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="${s.dashed ? 1.5 : 3}"${s.dashed ? ' stroke-dasharray="6 3"' : ''}/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${escape(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
