import { describe, expect, it } from '@jest/globals';
import { orderByDependencies } from '../../../lib/core/dependency-order.js';
import {
  DependencyCycleError,
  DuplicateTaskNameError,
  UnknownDependencyError,
} from '../../../lib/core/task-dependency.error.js';

describe('orderByDependencies', () => {
  it('puts every dependency before what depends on it, keeping declaration order otherwise', () => {
    const ordered = orderByDependencies([
      { name: 'consumer', dependsOn: ['queue', 'db'] },
      { name: 'queue', dependsOn: ['db'] },
      { name: 'db' },
      { name: 'metrics' },
    ]);
    expect(ordered.map((d) => d.name)).toEqual(['db', 'queue', 'consumer', 'metrics']);
  });

  it('names every task of a cycle, the first repeated at the end', () => {
    const declarations = [
      { name: 'a', dependsOn: ['b'] },
      { name: 'b', dependsOn: ['c'] },
      { name: 'c', dependsOn: ['a'] },
    ];
    expect(() => orderByDependencies(declarations)).toThrow(DependencyCycleError);
    expect(() => orderByDependencies(declarations)).toThrow(
      'Dependency cycle: "a" → "b" → "c" → "a"',
    );
  });

  it('reports an unknown dependency with both names, and accepts names that already exist', () => {
    expect(() => orderByDependencies([{ name: 'x', dependsOn: ['ghost'] }])).toThrow(
      new UnknownDependencyError('x', 'ghost'),
    );
    expect(
      orderByDependencies([{ name: 'x', dependsOn: ['live'] }], (n) => n === 'live'),
    ).toHaveLength(1);
  });

  it('reports a duplicate name, including one that already exists', () => {
    expect(() => orderByDependencies([{ name: 'x' }, { name: 'x' }])).toThrow(
      DuplicateTaskNameError,
    );
    expect(() => orderByDependencies([{ name: 'live' }], (n) => n === 'live')).toThrow(
      DuplicateTaskNameError,
    );
  });

  it('is linear: a chain of 100k declarations is ordered without recursion', () => {
    const chain = Array.from({ length: 100_000 }, (_, i) => ({
      name: `n${i}`,
      dependsOn: i === 0 ? [] : [`n${i - 1}`],
    })).reverse();
    const ordered = orderByDependencies(chain);
    expect(ordered[0].name).toBe('n0');
    expect(ordered[ordered.length - 1].name).toBe('n99999');
  });
});
