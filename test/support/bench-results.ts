import type { BenchResults, RowResult } from '../../bench/harness/bench-results.interface.js';

/**
 * A bench results file around the given rows, on a made-up machine, for tests of the bench's
 * own output (merging, tables).
 *
 * @example
 * const results = benchResults([row], { node: 'v24.22.3' });
 */
export function benchResults(
  rows: RowResult[],
  { node = 'v24.0.0', generatedAt = '2026-12-01T00:00:00.000Z' } = {},
): BenchResults {
  return {
    generatedAt,
    durationS: 10,
    machine: {
      node,
      nodePath: '/usr/bin/node',
      v8: 'x',
      platform: 'linux',
      arch: 'x64',
      cpuModel: 'cpu',
      cpuCount: 2,
      totalMemoryMiB: 1024,
    },
    load: { start: 1, end: 2 },
    options: { quick: false, runs: 3, only: [], warmup: true, seed: 1 },
    rows,
    growth: [],
  };
}
