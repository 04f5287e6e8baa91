import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchResults, ResultsFile } from './bench-results.interface.js';

/**
 * The package root: the nearest folder above `start` that holds a package.json (for the compiled
 * script in `.build/bench/`, the project folder).
 *
 * @example
 * const root = packageRoot(path.dirname(fileURLToPath(import.meta.url)));
 */
export function packageRoot(start: string): string {
  let folder = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(folder, 'package.json'))) return folder;
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error(`No package.json above ${start}`);
    folder = parent;
  }
}

/**
 * `node-24` for `v24.1.0`: runs are kept per Node major version.
 *
 * @example
 * nodeKey('v22.12.0'); // 'node-22'
 */
export function nodeKey(version: string): string {
  return `node-${version.replace(/^v/, '').split('.')[0]}`;
}

function readExisting(file: string): ResultsFile['byNode'] {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ResultsFile>;
    return parsed.version === 2 && parsed.byNode !== undefined ? parsed.byNode : {};
  } catch {
    // An unreadable or older file is replaced, never a reason to lose a run.
    return {};
  }
}

/**
 * Writes `results` into `file` under its Node major version, keeping the runs of the other
 * versions already there (pretty JSON; the folder is created if needed).
 *
 * @example
 * await writeResults(path.join(root, 'bench', 'results.json'), results);
 */
export async function writeResults(file: string, results: BenchResults): Promise<void> {
  const byNode = { ...readExisting(file), [nodeKey(results.machine.node)]: results };
  const sorted = Object.fromEntries(Object.entries(byNode).sort(([a], [b]) => a.localeCompare(b)));
  const content: ResultsFile = { version: 2, byNode: sorted };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`);
}
