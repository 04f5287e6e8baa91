import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SCENARIOS } from '../scenarios/scenario-catalog.js';
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

function catalogIndex(scenario: string): number {
  const index = SCENARIOS.findIndex((definition) => definition.id === scenario);
  return index === -1 ? SCENARIOS.length : index;
}

/**
 * `later`'s rows and growth figures in place of `earlier`'s for the scenarios `later` measured,
 * in the catalog's order; `earlier`'s machine and timing stay, `later` is listed under
 * `remeasured`. Only within one Node version: figures of two versions never share a table.
 *
 * @example
 * const entry = mergeResults(fullRun, httpRowsAgain);
 */
export function mergeResults(earlier: BenchResults, later: BenchResults): BenchResults {
  if (earlier.machine.node !== later.machine.node) {
    throw new Error(
      `--merge: the results file holds a run of Node ${earlier.machine.node}, this run is ${later.machine.node}; run them all again instead`,
    );
  }
  const measured = new Set(later.rows.map((row) => row.scenario));
  // Stable sort: each scenario's rows keep their order (sizes, then the secondary rows).
  const rows = [...earlier.rows.filter((row) => !measured.has(row.scenario)), ...later.rows].sort(
    (a, b) => catalogIndex(a.scenario) - catalogIndex(b.scenario),
  );
  const growth = [
    ...earlier.growth.filter((entry) => !measured.has(entry.scenario)),
    ...later.growth,
  ].sort((a, b) => catalogIndex(a.scenario) - catalogIndex(b.scenario));
  const remeasurement = {
    scenarios: [...measured],
    generatedAt: later.generatedAt,
    durationS: later.durationS,
    node: later.machine.node,
    load: later.load,
    runs: later.options.runs,
  };
  return { ...earlier, rows, growth, remeasured: [...(earlier.remeasured ?? []), remeasurement] };
}

/**
 * Writes `results` into `file` under its Node major version, keeping the runs of the other
 * versions already there (pretty JSON; the folder is created if needed). With `merge`, only the
 * scenarios `results` measured replace their rows in that version's entry (see `mergeResults`).
 * Returns the entry written.
 *
 * @example
 * await writeResults(path.join(root, 'bench', 'results.json'), results);
 */
export async function writeResults(
  file: string,
  results: BenchResults,
  merge = false,
): Promise<BenchResults> {
  const existing = readExisting(file);
  const key = nodeKey(results.machine.node);
  const previous = existing[key];
  if (merge && previous === undefined) {
    throw new Error(`--merge: ${file} holds no run of ${key} to merge into`);
  }
  const entry = merge && previous !== undefined ? mergeResults(previous, results) : results;
  const byNode = { ...existing, [key]: entry };
  const sorted = Object.fromEntries(Object.entries(byNode).sort(([a], [b]) => a.localeCompare(b)));
  const content: ResultsFile = { version: 2, byNode: sorted };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`);
  return entry;
}
