import type { RolloutRun } from './rollout-run.interface.js';

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

const ms = (value: number | undefined): string =>
  value === undefined ? '—' : String(Math.round(value));

/** `a / b` over the restarts of a run. */
const perRestart = (
  run: RolloutRun,
  pick: (r: RolloutRun['restarts'][number]) => string,
): string => (run.restarts.length === 0 ? '—' : run.restarts.map(pick).join(' / '));

/** `min–max` (or the value) of the defined numbers, `—` if none. */
export function spread(values: readonly (number | undefined)[]): string {
  const defined = values.filter((v): v is number => v !== undefined);
  if (defined.length === 0) return '—';
  const lo = Math.round(Math.min(...defined));
  const hi = Math.round(Math.max(...defined));
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/**
 * One Markdown table, a row per run: what the client saw (requests, failed, 5xx, max latency),
 * why requests failed according to the proxy's log, how each old instance exited, and how long
 * each replacement sat healthy but unused.
 *
 * @example
 * console.log(renderRolloutTable(runs));
 */
export function renderRolloutTable(runs: readonly RolloutRun[]): string {
  const header = [
    'proxy configuration',
    'app',
    'requests',
    'failed',
    'refused',
    'reset',
    'no server',
    'timeout',
    'app 503',
    '502/503/504',
    '5xx',
    'max ms',
    'retried',
    'lost@server',
    'noticed ms',
    'SIGTERM→exit ms',
    'unused ms',
    'load',
  ];
  const rows = runs.map((run) => {
    const load = run.load;
    const statuses = load?.statuses ?? {};
    const count = (prefix: string): number =>
      Object.entries(statuses)
        .filter(([status]) => status.startsWith(prefix))
        .reduce((n, [, c]) => n + c, 0);
    const errors =
      load === undefined ? 0 : load.errors.connect + load.errors.read + load.errors.write;
    const causes = run.proxy?.causes;
    const lost = run.restarts.reduce(
      (n, r) => n + (r.ledger === undefined ? 0 : r.ledger.accepted - r.ledger.finished),
      0,
    );
    return [
      run.setup,
      run.row + (run.error === undefined ? '' : ' (broken: see JSON)'),
      load === undefined ? '?' : String(load.requests + errors + load.errors.timeout),
      String(run.failed ?? '?'),
      String(causes?.refused ?? '?'),
      String(causes?.reset ?? '?'),
      String(causes?.noServer ?? '?'),
      String((causes?.timeout ?? 0) + (load?.errors.timeout ?? 0)),
      String(causes?.app503 ?? '?'),
      `${statuses['502'] ?? 0}/${statuses['503'] ?? 0}/${statuses['504'] ?? 0}`,
      String(count('5')),
      ms(load?.maxLatencyMs),
      String(run.proxy?.retried ?? '?'),
      String(lost),
      perRestart(run, (r) => ms(r.proxyNoticedMs)),
      perRestart(
        run,
        (r) =>
          (r.exitMs === undefined ? `killed` : `${ms(r.exitMs)}`) +
          (r.exit === '0' || r.exit === 'SIGKILL' ? '' : ` (${r.exit})`),
      ),
      perRestart(run, (r) => ms(r.unusedMs)),
      run.loadAverage.toFixed(1),
    ];
  });
  return renderTable(header, rows).join('\n');
}

/** SIGTERM → exit `min–max` over the restarts that exited, and how many were killed. */
function exitSpread(group: readonly RolloutRun[]): string {
  const restarts = group.flatMap((r) => r.restarts);
  const killed = restarts.filter((x) => x.exitMs === undefined).length;
  const exited = spread(restarts.map((x) => x.exitMs));
  if (killed === 0) return exited;
  return exited === '—' ? `killed ×${killed}` : `${exited}, killed ×${killed}`;
}

/**
 * Per (configuration, app) over repeats: failed and unused as `min–max`.
 *
 * @example
 * console.log(renderSpread(runs));
 */
export function renderSpread(runs: readonly RolloutRun[]): string {
  const groups = new Map<string, RolloutRun[]>();
  for (const run of runs) {
    const key = `${run.setup}\u0000${run.row}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const rows = [...groups.values()].map((group) => [
    group[0].setup,
    group[0].row,
    String(group.length),
    spread(group.map((r) => r.failed)),
    exitSpread(group),
    spread(group.flatMap((r) => r.restarts.map((x) => x.unusedMs))),
  ]);
  return renderTable(
    ['proxy configuration', 'app', 'runs', 'failed', 'SIGTERM→exit ms', 'unused ms'],
    rows,
  ).join('\n');
}

/**
 * The compact view the README quotes: an app per row, a proxy configuration per column, each
 * cell `pick` over the runs of that pair (`min–max` when repeated).
 *
 * @example
 * console.log(renderMatrix(runs, (group) => spread(group.map((r) => r.failed))));
 */
export function renderMatrix(
  runs: readonly RolloutRun[],
  pick: (group: readonly RolloutRun[]) => string,
): string {
  const setups = [...new Set(runs.map((r) => r.setup))];
  const apps = [...new Set(runs.map((r) => r.row))];
  const rows = apps.map((app) => [
    app,
    ...setups.map((setup) => pick(runs.filter((r) => r.row === app && r.setup === setup))),
  ]);
  const header = ['app', ...setups];
  const widths = header.map((title, c) =>
    Math.max(title.length, ...rows.map((row) => row[c].length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Failed requests per run, `min–max` over repeats; `broken` if a run broke. */
export const failedCell = (group: readonly RolloutRun[]): string =>
  group.some((r) => r.error !== undefined) ? 'broken' : spread(group.map((r) => r.failed));

/** The longest time a replacement sat healthy but unused, over the group's restarts. */
export const unusedCell = (group: readonly RolloutRun[]): string => {
  const values = group.flatMap((r) => r.restarts.map((x) => x.unusedMs));
  if (values.some((v) => v === undefined)) return 'never';
  return values.length === 0 ? '—' : `≤ ${(Math.max(...(values as number[])) / 1000).toFixed(1)} s`;
};
