import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeError, describeValue } from '../core/describe.js';

/** The cause's message, else a description of it; never throws (a toJSON may throw anything). */
function detailOf(cause: unknown): string {
  try {
    // Duck-typed: errors from another realm (a VM context, a test sandbox) fail `instanceof Error`.
    const message = (cause as { message?: unknown } | null | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // A getter or Proxy trap that throws: describeError reads it safely.
  }
  return describeError(cause);
}

function failure(path: string, what: string, cause: unknown): Error {
  return new Error(`Could not write JSON to "${path}": ${what} (${detailOf(cause)})`, { cause });
}

function serialise(path: string, data: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(data, null, 2);
  } catch (cause) {
    throw failure(path, 'the data cannot be serialised', cause);
  }
  if (json === undefined) {
    throw new TypeError(
      `Could not write JSON to "${path}": the data has no JSON form (${describeValue(data)})`,
    );
  }
  return `${json}\n`;
}

async function writeDurably(file: string, text: string): Promise<void> {
  // 'wx': never follow or reuse a file someone else put at the temp name.
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    // The bytes must be on disk before the rename publishes them, or a crash could leave the
    // target renamed but empty.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(directory: string): Promise<void> {
  // Makes the rename itself durable. Where a directory cannot be opened or synced (Windows, some
  // network file systems) the replace was still atomic, so this step is best-effort.
  const handle = await open(directory, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Writes `data` as pretty JSON (`JSON.stringify(data, null, 2)` and a final newline) to `path`
 * atomically: into a temp file in the same directory (`.<name>.<pid>.<random>.tmp`), flushed to
 * disk, then renamed over `path`, then the directory is synced (best-effort). A reader sees the
 * old content or the new one, never a torn file, even if the process dies mid-write. On any
 * failure — a missing or unwritable directory, data that `JSON.stringify` rejects (a BigInt, a
 * cycle) or that has no JSON form (`undefined`, a function) — the temp file is removed, `path` is
 * untouched and the promise rejects with an error naming `path` and the cause (also in `cause`).
 *
 * @example
 * await writeJsonAtomic('/var/run/app/shutdown-report.json', report);
 * // the next boot reads either the previous report or this one, whole
 * const last = JSON.parse(await readFile('/var/run/app/shutdown-report.json', 'utf8'));
 */
export async function writeJsonAtomic(path: string, data: unknown): Promise<void> {
  const text = serialise(path, data);
  const directory = dirname(path);
  const temp = join(
    directory,
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await writeDurably(temp, text);
    await rename(temp, path);
  } catch (cause) {
    // A failed removal (the directory itself is gone or unreachable) must not hide the cause.
    await rm(temp, { force: true }).catch(() => undefined);
    throw failure(path, 'the write failed', cause);
  }
  await syncDirectory(directory);
}
