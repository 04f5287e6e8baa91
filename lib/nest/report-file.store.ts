import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ShutdownReport } from '../core/shutdown-report.interface.js';
import { describeError } from '../core/describe.js';
import { writeFileAtomicSync } from '../primitives/write-file-atomic-sync.js';
import { writeJsonAtomic } from '../primitives/write-json-atomic.js';

/** What reading the previous report gave. */
export type StoredReport =
  | { readonly kind: 'report'; readonly report: ShutdownReport }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly problem: string };

function looksLikeReport(value: unknown): value is ShutdownReport {
  if (typeof value !== 'object' || value === null) return false;
  const report = value as Partial<ShutdownReport>;
  return (
    typeof report.reason === 'string' &&
    typeof report.startedAt === 'string' &&
    typeof report.outcome === 'string' &&
    Array.isArray(report.tasks)
  );
}

/**
 * Reads the report the previous process left in `path`. A missing file is normal (first start);
 * a torn or foreign one is reported, never thrown.
 */
export async function readStoredReport(path: string): Promise<StoredReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', problem: describeError(error) };
  }
  try {
    const value: unknown = JSON.parse(text);
    return looksLikeReport(value)
      ? { kind: 'report', report: value }
      : { kind: 'unreadable', problem: 'not a shutdown report' };
  } catch (error) {
    return { kind: 'unreadable', problem: describeError(error) };
  }
}

/** Writes the report atomically (temp file, fsync, rename): the next boot never reads a torn file. */
export function storeReport(path: string, report: ShutdownReport): Promise<void> {
  return writeJsonAtomic(path, report);
}

/**
 * `storeReport` for the last moment of a process (the watchdog is about to exit it): the same
 * atomic replace — temp file, fsync, rename — done synchronously, since no callback will run
 * after it. Throws what the write threw; the temp file is removed.
 */
export function storeReportSync(path: string, report: ShutdownReport): void {
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileAtomicSync(path, text);
}

/** Why the report could not be saved next to `path` — no directory, not one, not writable — or nothing. */
export async function checkReportDirectory(path: string): Promise<string | undefined> {
  const directory = dirname(path);
  try {
    if (!(await stat(directory)).isDirectory()) return 'is not a directory';
    await access(directory, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'ENOTDIR') return 'is not a directory';
    return `is not writable (${code ?? describeError(error)})`;
  }
}
