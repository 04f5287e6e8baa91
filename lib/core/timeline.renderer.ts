import { safeText } from './describe.js';
import type { ShutdownReport, TaskReport } from './shutdown-report.interface.js';
import { priorityName } from './task-priority.enum.js';
import { TaskState } from './task-state.enum.js';

/**
 * Options of {@link renderShutdownTimeline}.
 *
 * @example
 * renderShutdownTimeline(report, { width: 80, maxRows: 20 });
 */
export interface TimelineOptions {
  /** Total width in columns; default 100, at least 90. */
  width?: number;
  /** Rows shown at most; failed, abandoned and the slowest tasks are kept first. Default 40. */
  maxRows?: number;
}

const FIXED = { wave: 4, prio: 8, name: 28, state: 9, ended: 5, cleanup: 7, stop: 8 } as const;

/** The narrowest timeline: the fixed columns and a bar of 13. */
const MIN_WIDTH = 90;

/** The phase a task ended in, short enough for its column. */
const PHASE_SHORT: Record<string, string> = {
  graceful: 'grace',
  forceful: 'force',
  terminate: 'term',
};

/** Printable ASCII only: one column a character, nothing to escape. */
const PLAIN = /^[\x20-\x7e]*$/;

// Characters a terminal draws two columns wide: East Asian wide and fullwidth forms, emoji.
const WIDE =
  /\p{Emoji_Presentation}|[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` in exactly `width` columns: control characters escaped (a name or reason read from a
 * report file may hold anything), cut on a whole character — never inside a surrogate pair or
 * before its combining marks — with `…`, padded; wide characters count two columns.
 */
function fit(text: string, width: number): string {
  if (PLAIN.test(text)) {
    return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  }
  const clean = safeText(text, 4 * width);
  const parts: { text: string; width: number }[] = [];
  let total = 0;
  for (const { segment } of graphemes.segment(clean)) {
    const columns = WIDE.test(segment) ? 2 : 1;
    parts.push({ text: segment, width: columns });
    total += columns;
  }
  if (total <= width) return clean + ' '.repeat(width - total);
  let out = '';
  let used = 0;
  for (const part of parts) {
    if (used + part.width > width - 1) break;
    out += part.text;
    used += part.width;
  }
  return `${out}…${' '.repeat(width - 1 - used)}`;
}

function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * One line: `Shutdown (SIGTERM) forced in 12.3 s — 8 tasks: 5 completed, 2 cancelled, 0 failed,
 * 1 abandoned; 2 hooks (1 failed); lingering: Timeout ×1`.
 *
 * @example
 * logger.warn(renderShutdownSummary(await coordinator.shutdown()));
 */
export function renderShutdownSummary(report: ShutdownReport): string {
  const hookTrouble = report.hooks.filter((hook) => hook.outcome !== 'ok').length;
  const lingering = Object.entries(report.lingering)
    .map(([type, count]) => `${type} ×${count}`)
    .join(', ');
  return (
    `Shutdown (${safeText(report.reason)}) ${report.outcome} in ${formatMs(report.durationMs)} — ` +
    `${report.total} task(s): ${report.completed} completed, ${report.cancelled} cancelled, ` +
    `${report.failed} failed, ${report.abandoned} abandoned; ${report.hooks.length} hook(s)` +
    (hookTrouble > 0 ? ` (${hookTrouble} failed or timed out)` : '') +
    (report.lateFailures.length > 0 ? `; ${report.lateFailures.length} late failure(s)` : '') +
    (lingering === '' ? '' : `; lingering: ${lingering}`)
  );
}

interface Row {
  wave: number;
  prio: string;
  name: string;
  state: string;
  ended: string;
  cleanup: string;
  start?: number;
  end?: number;
  open: boolean;
  stop: string;
  order: number;
  weight: number;
}

function taskRow(task: TaskReport, order: number): Row {
  const troubled =
    task.state === TaskState.FAILED ||
    task.state === TaskState.ABANDONED ||
    (task.cleanup !== undefined && task.cleanup.outcome !== 'ok');
  return {
    wave: task.wave,
    prio: priorityName(task.priority),
    name: task.name,
    state: task.state,
    ended: task.endedIn === undefined ? '-' : (PHASE_SHORT[task.endedIn] ?? task.endedIn),
    cleanup: task.cleanup?.outcome ?? '-',
    start: task.signalledAtMs,
    end: task.endedAtMs,
    open: task.state === TaskState.ABANDONED,
    stop: task.stopMs === undefined ? '-' : formatMs(task.stopMs),
    order,
    weight: (troubled ? 1e12 : 0) + (task.stopMs ?? 0),
  };
}

/**
 * The text timeline of a shutdown: a header whose bar is cut into one segment per phase
 * (drain, graceful, forceful, terminate, proportional to their time), then one row per task and
 * hook in stop order — its state, the phase it ended in, its cleanup's outcome — — `=` from its signal to its end, `*` where it ended without being
 * signalled, `!` where it was still running when the shutdown gave up on it.
 *
 * @example
 * for (const line of renderShutdownTimeline(report)) logger.log(line);
 */
export function renderShutdownTimeline(
  report: ShutdownReport,
  options: TimelineOptions = {},
): string[] {
  const width = Math.max(MIN_WIDTH, options.width ?? 100);
  const maxRows = Math.max(1, options.maxRows ?? 40);
  const fixed =
    FIXED.wave +
    FIXED.prio +
    FIXED.name +
    FIXED.state +
    FIXED.ended +
    FIXED.cleanup +
    FIXED.stop +
    7;
  const barWidth = width - fixed - 1;
  const total = Math.max(report.durationMs, 1);
  const column = (ms: number) =>
    Math.min(barWidth - 1, Math.max(0, Math.floor((ms / total) * barWidth)));

  const segments: { label: string; from: number; to: number }[] = [];
  let offset = 0;
  if (report.drainMs > 0) {
    segments.push({ label: 'drain', from: 0, to: report.drainMs });
    offset = report.drainMs;
  }
  for (const phase of report.phases) {
    segments.push({ label: phase.phase, from: offset, to: offset + phase.elapsedMs });
    offset += phase.elapsedMs;
  }
  const boundaries = new Set(segments.slice(1).map((segment) => column(segment.from)));

  const header = Array.from({ length: barWidth }, (_, i): string =>
    boundaries.has(i) ? '|' : ' ',
  );
  for (const segment of segments) {
    const from = segment.from === 0 ? 0 : column(segment.from) + 1;
    const room = column(segment.to) - from;
    const label = segment.label.slice(0, Math.max(0, room));
    for (let i = 0; i < label.length; i++) header[from + i] = label[i];
  }

  const rows: Row[] = report.tasks.map(taskRow);
  report.hooks.forEach((hook, index) => {
    const start = hook.startedAtMs;
    rows.push({
      wave: hook.wave,
      prio: priorityName(hook.priority),
      name: `hook ${hook.name}`,
      state: 'hook',
      ended: '-',
      cleanup: hook.outcome,
      start,
      end: start === undefined ? undefined : start + hook.durationMs,
      open: hook.outcome === 'timeout',
      stop: formatMs(hook.durationMs),
      order: report.tasks.length + index,
      weight: (hook.outcome === 'ok' ? 0 : 1e12) + hook.durationMs,
    });
  });
  rows.sort((a, b) => a.wave - b.wave || a.order - b.order);
  let shown = rows;
  if (rows.length > maxRows) {
    const keep = new Set([...rows].sort((a, b) => b.weight - a.weight).slice(0, maxRows));
    shown = rows.filter((row) => keep.has(row));
  }

  const pad = (text: string, n: number) => fit(text, n);
  const lines = [
    `${'wave'.padStart(FIXED.wave)} ${pad('priority', FIXED.prio)} ${pad('name', FIXED.name)} ` +
      `${pad('state', FIXED.state)} ${pad('ended', FIXED.ended)} ${pad('cleanup', FIXED.cleanup)} |${header.join('')}| ${'stop'.padStart(FIXED.stop - 1)}`,
  ];
  for (const row of shown) {
    const bar = Array.from({ length: barWidth }, (_, i): string => (boundaries.has(i) ? ':' : ' '));
    if (row.start !== undefined) {
      const from = column(row.start);
      const to = row.end === undefined ? barWidth - 1 : column(row.end);
      for (let i = from; i <= to; i++) bar[i] = '=';
      if (row.open) bar[barWidth - 1] = '!';
    } else if (row.end !== undefined) {
      bar[column(row.end)] = '*';
    } else if (row.open) {
      bar[barWidth - 1] = '!';
    }
    lines.push(
      `${String(row.wave).padStart(FIXED.wave)} ${pad(row.prio, FIXED.prio)} ${pad(row.name, FIXED.name)} ` +
        `${pad(row.state, FIXED.state)} ${pad(row.ended, FIXED.ended)} ${pad(row.cleanup, FIXED.cleanup)} |${bar.join('')}| ${row.stop.padStart(FIXED.stop - 1)}`,
    );
  }
  if (shown.length < rows.length) {
    lines.push(
      `… ${rows.length - shown.length} more row(s) not shown (failed, abandoned and slowest kept); see the JSON report`,
    );
  }
  return lines;
}
