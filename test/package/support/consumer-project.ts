import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDirLock } from '../../support/dir-lock.js';
import { cacheRoot, installDependencies } from '../../support/dependency-cache.js';
import { mustRun, runCommand, type CommandResult } from '../../support/run-command.js';

const TEMPLATES = fileURLToPath(new URL('../consumers/', import.meta.url));
/** Kept from one run to the next: what `installDependencies` installed. */
const KEPT = new Set(['node_modules', 'package-lock.json', '.installed']);

/** A consumer application laid out in the cache, with the packed package installed in it. */
export interface ConsumerProject {
  readonly dir: string;
  /** Runs `node <args>` in the consumer, in a clean environment. */
  node(args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** Releases the consumer's folder for other test runs. */
  release(): Promise<void>;
}

/**
 * Lays out the consumer `name` (test/package/consumers/<name>, plus shared/) in the cache and
 * installs, as a user would, its dependencies from the registry (once per change of its
 * package.json) and then the tarball (`npm install <tarball>`, every run). The folder stays
 * locked for this run until `release()`.
 */
export async function prepareConsumer(name: string, tarball: string): Promise<ConsumerProject> {
  const dir = join(cacheRoot(), 'consumers', name);
  const release = await acquireDirLock(`${dir}.lock`);
  try {
    for (const entry of await readdir(dir).catch(() => [])) {
      if (!KEPT.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
    }
    await cp(join(TEMPLATES, name), dir, { recursive: true });
    await cp(join(TEMPLATES, 'shared'), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    await installDependencies(dir, manifest);
    await mustRun(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball],
      { cwd: dir, timeoutMs: 5 * 60_000 },
    );
  } catch (error) {
    await release();
    throw error;
  }
  return {
    dir,
    node: (args, timeoutMs = 120_000) =>
      runCommand(process.execPath, ['--unhandled-rejections=strict', ...args], {
        cwd: dir,
        timeoutMs,
      }),
    release,
  };
}

/** What a consumer script printed after `prefix` on its first line starting with it. */
export function printed(result: CommandResult, prefix: string): string | undefined {
  const line = result.stdout.split('\n').find((l) => l.startsWith(prefix));
  return line?.slice(prefix.length);
}
