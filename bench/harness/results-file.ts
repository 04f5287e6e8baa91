import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchResults } from './bench-results.interface.js';

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
 * Writes the results as pretty JSON (creating the folder if needed).
 *
 * @example
 * await writeResults(path.join(root, 'bench', 'results.json'), results);
 */
export async function writeResults(file: string, results: BenchResults): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}
