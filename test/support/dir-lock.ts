import { mkdir, readlink, symlink, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

const POLL_MS = 250;
/** Locks this process holds: a lock naming our pid that is not here was left by a reused pid. */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock, or says which live process holds it. */
async function tryLock(path: string): Promise<number | undefined> {
  try {
    // A symlink is created atomically with its target, so the holder's pid is never missing.
    await symlink(String(process.pid), path);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = Number(await readlink(path).catch(() => 'NaN'));
  const ours = owner === process.pid && held.has(path);
  if (ours || (owner !== process.pid && Number.isInteger(owner) && isAlive(owner))) return owner;
  // Left by a process that died holding it.
  await unlink(path).catch(() => undefined);
  return tryLock(path);
}

/**
 * Takes an exclusive lock on `path` (a symlink naming the holder's pid), waiting while a live
 * process holds it; resolves to the function that releases it. The dependency caches live
 * outside the checkout and are shared by every checkout on the machine, so two test runs must
 * not install into, or run from, the same folder at once.
 */
export async function acquireDirLock(
  path: string,
  timeoutMs = 15 * 60_000,
): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const owner = await tryLock(path);
    if (owner === undefined) break;
    if (owner === process.pid) throw new Error(`${path} is already held by this process`);
    if (performance.now() > deadline) {
      throw new Error(`${path} still held by process ${owner} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  held.add(path);
  return async () => {
    if (!held.delete(path)) return;
    await unlink(path);
  };
}

/** Runs `fn` while holding the lock on `path` (see {@link acquireDirLock}). */
export async function withDirLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireDirLock(path);
  try {
    return await fn();
  } finally {
    await release();
  }
}
