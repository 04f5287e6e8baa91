import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { mustRun } from './run-command.js';

const STAMP = '.installed';

/**
 * Where the tests keep what they install from the registry (consumer applications, the Nest 11
 * set): `$NESTJS_ASYNC_LIFECYCLE_CACHE`, else `~/.cache/nestjs-async-lifecycle`. Outside the
 * checkout on purpose: below it, Node, TypeScript and Jest would find the project's own
 * node_modules while looking up from a consumer, and a consumer without @nestjs/terminus would
 * load ours.
 */
export function cacheRoot(): string {
  const configured = process.env.NESTJS_ASYNC_LIFECYCLE_CACHE;
  if (configured !== undefined && configured !== '') return resolve(configured);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'nestjs-async-lifecycle');
}

/** Throws when a folder above `dir` holds a node_modules that packages could resolve from. */
export function assertIsolated(dir: string): void {
  for (let current = dirname(resolve(dir)); ; current = dirname(current)) {
    const modules = join(current, 'node_modules');
    if (existsSync(modules)) {
      throw new Error(
        `${dir} is below ${modules}: packages it does not install would resolve from there. ` +
          'Point NESTJS_ASYNC_LIFECYCLE_CACHE at a folder outside any Node project.',
      );
    }
    if (dirname(current) === current) return;
  }
}

/**
 * Installs the dependencies `manifest` declares into `dir` with `npm install` (the registry,
 * through npm's own cache), unless the same manifest was installed there already. The caller
 * holds the folder's lock. Resolves to whether it installed.
 */
export async function installDependencies(
  dir: string,
  manifest: Record<string, unknown>,
  timeoutMs = 10 * 60_000,
): Promise<boolean> {
  assertIsolated(dir);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const hash = createHash('sha256').update(text).digest('hex');
  const stamp = join(dir, STAMP);
  const installed = await readFile(stamp, 'utf8').catch(() => '');
  if (installed === hash && existsSync(join(dir, 'node_modules'))) return false;

  await mkdir(dir, { recursive: true });
  // The stamp goes first and comes back last: an install cut short is redone next time.
  await rm(stamp, { force: true });
  await rm(join(dir, 'node_modules'), { recursive: true, force: true });
  await rm(join(dir, 'package-lock.json'), { force: true });
  await writeFile(join(dir, 'package.json'), text);
  await mustRun('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    timeoutMs,
  });
  await writeFile(stamp, hash);
  return true;
}
