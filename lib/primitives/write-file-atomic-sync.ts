import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `text` atomically and synchronously — a temp file beside it, fsync,
 * rename — for the last writes of a process, after which no callback will run (`writeJsonAtomic`
 * is the asynchronous form). A reader sees the old content or the new one, never a torn file.
 * Throws what the write threw; the temp file is removed first.
 *
 * @example
 * writeFileAtomicSync('/var/run/app/report.json', `${JSON.stringify(report)}\n`);
 */
export function writeFileAtomicSync(path: string, text: string): void {
  const temp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const fd = openSync(temp, 'wx');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
