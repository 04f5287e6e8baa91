import { describe, expect, it } from '@jest/globals';
import { parseBenchOptions } from '../../../bench/harness/bench-options.js';
import type { BenchResults, RowResult } from '../../../bench/harness/bench-results.interface.js';
import { mergeResults } from '../../../bench/harness/results-file.js';
import { benchResults } from '../../support/bench-results.js';

function row(scenario: string, n: number, value: number): RowResult {
  return {
    scenario,
    metric: scenario,
    unit: 'ms',
    counts: 'tasks',
    n,
    runs: 3,
    results: { ours: { values: [value], value, min: value, max: value } },
    checks: [],
    met: undefined,
  };
}

function run(node: string, generatedAt: string, rows: RowResult[]): BenchResults {
  return benchResults(rows, { node, generatedAt });
}

describe('mergeResults (bench --merge)', () => {
  const full = run('v24.22.3', '2026-12-01T08:00:00.000Z', [
    row('shutdown-honouring-signal', 1000, 1),
    row('shutdown-honouring-signal', 10000, 2),
    row('create-run-finish', 1000, 3),
    row('http-express', 5, 4),
  ]);

  it('replaces only the scenarios measured again, in the catalog order, and says so', () => {
    const again = run('v24.22.3', '2026-12-01T09:00:00.000Z', [row('create-run-finish', 1000, 30)]);
    const merged = mergeResults(full, again);
    expect(merged.rows.map((r) => [r.scenario, r.results.ours?.value])).toEqual([
      ['shutdown-honouring-signal', 1],
      ['shutdown-honouring-signal', 2],
      ['create-run-finish', 30],
      ['http-express', 4],
    ]);
    expect(merged.generatedAt).toBe(full.generatedAt);
    expect(merged.remeasured).toEqual([
      {
        scenarios: ['create-run-finish'],
        generatedAt: again.generatedAt,
        durationS: 10,
        node: 'v24.22.3',
        load: { start: 1, end: 2 },
        runs: 3,
      },
    ]);
  });

  it('refuses to mix two Node versions in one entry', () => {
    const other = run('v24.1.0', '2026-12-01T09:00:00.000Z', [row('http-express', 5, 5)]);
    expect(() => mergeResults(full, other)).toThrow(/v24\.22\.3.*v24\.1\.0/);
  });

  it('is asked for with --only, never with --quick', () => {
    expect(parseBenchOptions(['--only', 'http-express', '--merge']).merge).toBe(true);
    expect(() => parseBenchOptions(['--merge'])).toThrow(/--only/);
    expect(() => parseBenchOptions(['--only', 'http-express', '--merge', '--quick'])).toThrow(
      /--quick/,
    );
  });
});
