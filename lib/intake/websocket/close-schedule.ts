/**
 * When each of `count` connections gets its close frame, in ms from the moment intake closed:
 * evenly spread over `windowMs` (the first at 0, the last at `windowMs`), but never more than
 * `maxIntervalMs` apart — stretching a few closes over a long window would only make the
 * shutdown slower, while spreading many is what keeps their reconnections from arriving at the
 * other instances in one burst.
 *
 * @example
 * closeSchedule(5, 1000, 500); // [0, 250, 500, 750, 1000]
 * closeSchedule(3, 30_000, 10); // [0, 10, 20]
 */
export function closeSchedule(count: number, windowMs: number, maxIntervalMs: number): number[] {
  const offsets: number[] = [];
  const interval = count > 1 ? Math.min(windowMs / (count - 1), maxIntervalMs) : 0;
  for (let i = 0; i < count; i++) offsets.push(i * interval);
  return offsets;
}
