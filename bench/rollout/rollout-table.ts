import type { CountsByCode } from './client-tally.interface.js';
import type { RolloutResult } from './rollout-result.interface.js';

const sum = (counts: Readonly<Record<string, number>>): number =>
  Object.values(counts).reduce((total, n) => total + n, 0);

/** `0`, or `ECONNRESET 3, EOF 1`. */
function byCode(counts: CountsByCode): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? '0' : entries.map(([code, n]) => `${code} ${n}`).join(', ');
}

function ms(value: number | undefined): string {
  return value === undefined ? '—' : String(value);
}

function exitOf(result: RolloutResult): string {
  if (result.killed) return 'SIGKILL';
  return result.exitCode !== null ? String(result.exitCode) : String(result.exitSignal);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  // Labels left, figures right.
  const text = (column: number): boolean => column < 2;
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, c) => (text(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  const rule = `|${widths.map((width, c) => (text(c) ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}

/** What one (adapter, mode) did over its runs. */
export interface RolloutSummary {
  readonly adapter: string;
  readonly mode: string;
  readonly runs: number;
  readonly accepted: number;
  readonly lost: number;
  readonly unanswered: number;
  readonly status503: number;
  readonly heldOpen: number;
  /** Requests in flight when the load stopped at the hold limit (lost to the cut, not a crash). */
  readonly inFlightAtStop: number;
  readonly medianExitMs: number;
  readonly exits: string[];
}

/**
 * Totals per (adapter, mode), in the order the results came.
 *
 * @example
 * summarise(results).map((s) => `${s.adapter} ${s.mode}: ${s.lost} lost`);
 */
export function summarise(results: readonly RolloutResult[]): RolloutSummary[] {
  const groups = new Map<string, RolloutResult[]>();
  for (const result of results) {
    const key = `${result.adapter} ${result.mode}`;
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  return [...groups.values()].map((group) => ({
    adapter: group[0].adapter,
    mode: group[0].mode,
    runs: group.length,
    accepted: group.reduce((n, r) => n + (r.ledger?.accepted ?? 0), 0),
    lost: group.reduce((n, r) => n + (r.lost ?? 0), 0),
    unanswered: group.reduce((n, r) => n + sum(r.client.unanswered) + r.client.timeouts, 0),
    status503: group.reduce((n, r) => n + (r.client.responses['503'] ?? 0), 0),
    heldOpen: group.filter((r) => r.heldOpen).length,
    inFlightAtStop: group.reduce((n, r) => n + r.client.inFlightAtStop, 0),
    medianExitMs: Math.round(median(group.map((r) => r.signalToExitMs))),
    exits: [...new Set(group.map(exitOf))],
  }));
}

/**
 * The runs as one Markdown table (a row per run), then one summary line per (adapter, mode).
 *
 * @example
 * console.log(renderRolloutTable(results, 10_000));
 */
export function renderRolloutTable(results: readonly RolloutResult[], holdLimitMs: number): string {
  const header = [
    'adapter',
    'mode',
    'accepted',
    'lost',
    '2xx',
    '503 (with close)',
    'refused (attempts)',
    'unanswered',
    'after close*',
    'last 2xx (ms)',
    'refused from (ms)',
    'exit (ms)',
    'exit',
  ];
  const rows = results.map((r) => {
    const ok = Object.entries(r.client.responses)
      .filter(([status]) => status.startsWith('2'))
      .reduce((n, [, count]) => n + count, 0);
    const status503 = r.client.responses['503'] ?? 0;
    const lastOk = r.lastOkAfterSignalMs;
    return [
      r.adapter,
      r.mode,
      String(r.ledger?.accepted ?? '?'),
      String(r.lost ?? '?'),
      String(ok),
      `${status503} (${r.client.closeAnnounced.status503})`,
      String(sum(r.client.refused)),
      byCode({
        ...r.client.unanswered,
        ...(r.client.timeouts > 0 ? { timeout: r.client.timeouts } : {}),
      }),
      byCode(r.client.afterClose),
      ms(lastOk),
      ms(r.firstRefusalAfterSignalMs),
      r.heldOpen ? `> ${holdLimitMs} (held open)` : String(r.signalToExitMs),
      exitOf(r),
    ];
  });
  const lines = renderTable(header, rows);
  lines.push('');
  for (const s of summarise(results)) {
    lines.push(
      `${s.adapter} ${s.mode}: ${s.lost} of ${s.accepted} accepted requests lost, ` +
        `${s.unanswered} unanswered, ${s.status503} × 503 in ${s.runs} run(s); ` +
        `exit ${s.exits.join('/')} after ${s.medianExitMs} ms (median)` +
        (s.heldOpen > 0
          ? `; held open by the load in ${s.heldOpen} run(s) until the load stopped at the ` +
            `hold limit, with ${s.inFlightAtStop} request(s) in flight`
          : ''),
    );
  }
  return lines.join('\n');
}
