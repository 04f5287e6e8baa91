function sorted(values: readonly number[], what: string): number[] {
  if (values.length === 0) throw new Error(`${what}() of no values`);
  return [...values].sort((a, b) => a - b);
}

/**
 * The median of `values` (the mean of the two middle values for an even count).
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values: readonly number[]): number {
  const ordered = sorted(values, 'median');
  const middle = Math.floor(ordered.length / 2);
  return ordered.length % 2 === 1 ? ordered[middle] : (ordered[middle - 1] + ordered[middle]) / 2;
}

/**
 * The `p`-th percentile of `values` (nearest rank: the smallest value with at least p % of the
 * values at or below it).
 *
 * @example
 * percentile([1, 2, 3, 4], 50); // 2
 */
export function percentile(values: readonly number[], p: number): number {
  const ordered = sorted(values, 'percentile');
  const rank = Math.max(1, Math.ceil((p / 100) * ordered.length));
  return ordered[Math.min(ordered.length, rank) - 1];
}

/**
 * The smallest and the largest of `values`.
 *
 * @example
 * range([3, 1, 2]); // { min: 1, max: 3 }
 */
export function range(values: readonly number[]): { min: number; max: number } {
  const ordered = sorted(values, 'range');
  return { min: ordered[0], max: ordered[ordered.length - 1] };
}
