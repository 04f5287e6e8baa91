import { existsSync, writeFileSync } from 'node:fs';
import { describeError, safeText } from '../core/describe.js';
import type { ShutdownReport } from '../core/shutdown-report.interface.js';
import { TaskState } from '../core/task-state.enum.js';
import { writeFileAtomicSync } from '../primitives/write-file-atomic-sync.js';

/** What Kubernetes reads (`terminationMessagePath`) and shows in `kubectl describe pod`. */
export const KUBERNETES_TERMINATION_LOG = '/dev/termination-log';

/** Kubernetes keeps at most 4096 bytes of a container's termination message. */
export const TERMINATION_LOG_MAX_BYTES = 4096;

/** Longest name, reason or error one item of the summary carries (in characters). */
const MAX_NAME = 120;
const MAX_ERROR = 160;
/** Room kept at the end of a list for " … +N more". */
const MORE_RESERVE = 24;

/**
 * The `terminationLog` option resolved: a path, or `undefined` (off). Absent means
 * `/dev/termination-log` when that file exists (a Kubernetes container), else off.
 *
 * @example
 * resolveTerminationLogPath(undefined); // '/dev/termination-log' inside a Kubernetes pod
 */
export function resolveTerminationLogPath(
  option: string | false | undefined,
  exists: (path: string) => boolean = existsSync,
): string | undefined {
  if (option === false) return undefined;
  if (option !== undefined) return option;
  return exists(KUBERNETES_TERMINATION_LOG) ? KUBERNETES_TERMINATION_LOG : undefined;
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, whole code points only (never half a character,
 * never half a surrogate pair), with `…` at the end when something was cut.
 *
 * @example
 * truncateUtf8('naïve café', 9); // 'naïve…' (ï is two bytes, … three)
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (bytes(text) <= maxBytes) return text;
  const budget = maxBytes - bytes('…');
  let used = 0;
  let cut = '';
  for (const char of text) {
    const size = bytes(char);
    if (used + size > budget) break;
    used += size;
    cut += char;
  }
  return budget >= 0 ? `${cut}…` : '';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function name(text: string): string {
  return safeText(text, MAX_NAME);
}

/** Lines of the summary, added in order of importance while they fit. */
class BoundedText {
  private readonly lines: string[] = [];
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds the line, cut to what is left (the header lines are short; this is the safety net). */
  line(text: string): void {
    const left = this.maxBytes - this.used - (this.lines.length > 0 ? 1 : 0);
    if (left <= 0) return;
    const fitted = truncateUtf8(text, left);
    if (fitted === '') return;
    this.lines.push(fitted);
    this.used += bytes(fitted) + (this.lines.length > 1 ? 1 : 0);
  }

  /** `label: a, b, c … +N more` with as many items as fit; nothing when `items` is empty. */
  list(label: string, items: readonly string[]): void {
    if (items.length === 0) return;
    const left = this.maxBytes - this.used - (this.lines.length > 0 ? 1 : 0);
    let text = `${label}: `;
    let shown = 0;
    for (const item of items) {
      const next = `${shown === 0 ? '' : ', '}${item}`;
      const reserve = shown + 1 < items.length ? MORE_RESERVE : 0;
      if (bytes(text) + bytes(next) + reserve > left) break;
      text += next;
      shown++;
    }
    if (shown === 0) {
      // Not even one item fits whole: the first one, cut, says more than a bare count.
      const more = items.length > 1 ? ` … +${items.length - 1} more` : '';
      const room = left - bytes(text) - bytes(more);
      if (room > 0) this.line(`${text}${truncateUtf8(items[0], room)}${more}`);
      return;
    }
    if (shown < items.length) text += ` … +${items.length - shown} more`;
    this.line(text);
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

/**
 * A summary of a shutdown for the orchestrator's termination message: outcome, reason,
 * duration, phase reached, counts, then — as many as fit, worst first — the abandoned and failed
 * tasks, the hooks that did not end ok, the slowest tasks, late failures and lingering handles.
 * Always at most `maxBytes` UTF-8 bytes (Kubernetes keeps 4096), cut between whole characters;
 * user-supplied names and errors are escaped to one line each.
 *
 * @example
 * writeFileSync('/dev/termination-log', summarizeShutdown(coordinator.getReport()!));
 * // shutdown terminated after SIGTERM in 14.6 s, phase reached terminate
 * // abandoned (1): poller
 */
export function summarizeShutdown(
  report: ShutdownReport,
  maxBytes = TERMINATION_LOG_MAX_BYTES,
): string {
  const out = new BoundedText(maxBytes);
  out.line(
    `shutdown ${report.outcome} after ${name(report.reason)} in ${seconds(report.durationMs)}, ` +
      `phase reached ${report.phaseReached}${report.finished ? '' : ' (unfinished)'}`,
  );
  out.line(
    `started ${name(report.startedAt)}; drain ${seconds(report.drain.durationMs)} ` +
      `(${report.drain.endedBy}, ${report.drain.arrivals} arrivals)`,
  );
  const hooksNotOk = report.hooks.filter((hook) => hook.outcome !== 'ok');
  out.line(
    `tasks ${report.total}: ${report.completed} completed, ${report.cancelled} cancelled, ` +
      `${report.failed} failed, ${report.abandoned} abandoned; hooks ${report.hooks.length}: ` +
      `${hooksNotOk.length} not ok`,
  );
  out.line(
    `phases: ${report.phases
      .map(
        (phase) =>
          `${phase.phase} ${Math.round(phase.elapsedMs)}/${phase.budgetMs} ms` +
          (phase.endedBy === undefined ? '' : ` (${phase.endedBy})`),
      )
      .join(', ')}`,
  );
  const abandoned = report.tasks.filter((task) => task.state === TaskState.ABANDONED);
  out.list(
    `abandoned (${abandoned.length})`,
    abandoned.map((task) => name(task.name)),
  );
  const failed = report.tasks.filter((task) => task.state === TaskState.FAILED);
  out.list(
    `failed (${failed.length})`,
    failed.map(
      (task) => `${name(task.name)} (${safeText(task.error ?? 'no error recorded', MAX_ERROR)})`,
    ),
  );
  out.list(
    `hooks not ok (${hooksNotOk.length})`,
    hooksNotOk.map(
      (hook) =>
        `${name(hook.name)} ${hook.outcome} after ${Math.round(hook.durationMs)} ms` +
        (hook.error === undefined ? '' : ` (${safeText(hook.error, MAX_ERROR)})`),
    ),
  );
  const cleanupsNotOk = report.tasks.filter(
    (task) => task.cleanup !== undefined && task.cleanup.outcome !== 'ok',
  );
  out.list(
    `cleanups not ok (${cleanupsNotOk.length})`,
    cleanupsNotOk.map((task) => `${name(task.name)} ${task.cleanup?.outcome ?? ''}`),
  );
  const slowest = report.tasks
    .filter((task) => task.stopMs !== undefined && task.state !== TaskState.ABANDONED)
    .sort((a, b) => (b.stopMs ?? 0) - (a.stopMs ?? 0))
    .slice(0, 10);
  out.list(
    'slowest to stop',
    slowest.map((task) => `${name(task.name)} ${Math.round(task.stopMs ?? 0)} ms`),
  );
  out.list(
    `late failures (${report.lateFailures.length})`,
    report.lateFailures.map((late) => `${name(late.name)} (${safeText(late.error, MAX_ERROR)})`),
  );
  out.list(
    'lingering',
    Object.entries(report.lingering).map(([type, count]) => `${name(type)} ×${count}`),
  );
  return out.toString();
}

/**
 * Writes `text` to the termination log: atomically (a temp file beside it, fsync, rename) where
 * the directory allows it; otherwise in place — `/dev/termination-log` is a file the kubelet
 * mounts into a directory the process may not write, and a rename over a mount fails (EBUSY).
 * Synchronous on purpose: it is also the last thing the watchdog does before `process.exit`.
 * Throws what the in-place write threw.
 *
 * @example
 * writeTerminationLog('/dev/termination-log', summarizeShutdown(report));
 */
export function writeTerminationLog(path: string, text: string): void {
  try {
    writeFileAtomicSync(path, text);
    return;
  } catch {
    // The kubelet bind-mounts the file: a rename onto it fails (EBUSY). Written in place then.
  }
  // One write of at most 4 KB: a reader sees the old message or the new one in all but a crash.
  writeFileSync(path, text, 'utf8');
}

/**
 * `summarizeShutdown` then `writeTerminationLog`; a failure comes back as a description, never
 * thrown (the shutdown must end whatever the disk does).
 *
 * @example
 * const problem = storeTerminationLog('/dev/termination-log', report);
 * if (problem) logger.warn(problem);
 */
export function storeTerminationLog(path: string, report: ShutdownReport): string | undefined {
  try {
    writeTerminationLog(path, summarizeShutdown(report));
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}
