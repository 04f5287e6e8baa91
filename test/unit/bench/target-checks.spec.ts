import { describe, expect, it } from '@jest/globals';
import { checksOf } from '../../../bench/harness/benchmark-runner.js';
import type { ImplementationName } from '../../../bench/harness/measurement.interface.js';
import { renderResults } from '../../../bench/harness/results-table.js';
import type { Target } from '../../../bench/scenarios/scenario-catalog.js';
import { benchResults } from '../../support/bench-results.js';

const figures: Partial<Record<ImplementationName, number>> = {
  ours: 110,
  raw: 50,
  'raw-waves': 100,
};
const figureOf = (name: ImplementationName): number | undefined => figures[name];

describe('target checks', () => {
  it('an advisory target has its own verdict and does not decide the row', () => {
    const targets: Target[] = [
      { kind: 'ratio', against: 'raw', max: 1.2 },
      { kind: 'ratio', against: 'raw-waves', max: 1.2, advisory: 'the ordered form' },
    ];
    const { checks, met } = checksOf(targets, 'ms', figureOf);
    expect(checks.map((c) => [c.figure, c.met, c.advisory])).toEqual([
      [2.2, false, undefined],
      [1.1, true, 'the ordered form'],
    ]);
    expect(met).toBe(false);
  });

  it('a row whose only failing target is advisory is met', () => {
    const { met } = checksOf(
      [
        { kind: 'ratio', against: 'raw-waves', max: 1.2 },
        { kind: 'ratio', against: 'raw', max: 1.2, advisory: 'not fair' },
      ],
      'ms',
      figureOf,
    );
    expect(met).toBe(true);
  });

  it('the table prints the advisory verdict beside its ratio', () => {
    const { checks, met } = checksOf(
      [
        { kind: 'ratio', against: 'raw', max: 1.2 },
        { kind: 'ratio', against: 'raw-waves', max: 1.2, advisory: 'the ordered form' },
      ],
      'ms',
      figureOf,
    );
    const results = benchResults([
      {
        scenario: 's',
        metric: 'shutdown',
        unit: 'ms',
        counts: 'tasks',
        n: 1000,
        runs: 1,
        results: {
          ours: { values: [110], value: 110, min: 110, max: 110 },
          raw: { values: [50], value: 50, min: 50, max: 50 },
          'raw-waves': { values: [100], value: 100, min: 100, max: 100 },
        },
        checks,
        met,
      },
    ]);
    const table = renderResults(results);
    expect(table).toContain('1.10× (≤ 1.2× raw in waves): PASS, the ordered form');
    expect(table).toMatch(/2\.20× \(≤ 1\.2× raw\).*\| FAIL/);
  });
});
