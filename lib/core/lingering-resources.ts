/**
 * Counts of the handle and request types keeping the event loop alive now
 * (`process.getActiveResourcesInfo()`), e.g. `{ Timeout: 2, TCPSocketWrap: 1 }`.
 */
export function countActiveResources(): Map<string, number> {
  // stdout/stderr handles are made on first use and live as long as the process: open them
  // now so that a first log line after the baseline does not read as a lingering handle.
  void process.stdout;
  void process.stderr;
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo())
    counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/**
 * What is alive now that was not at `baseline`: per type, how many more. Used for the report's
 * `lingering` field and for the watchdog's "what still holds the process" line.
 *
 * @example
 * const baseline = countActiveResources();
 * // … start and stop the application …
 * lingeringSince(baseline); // { Timeout: 1 } → a timer nobody cleared
 */
export function lingeringSince(baseline: ReadonlyMap<string, number>): Record<string, number> {
  const lingering: Record<string, number> = {};
  for (const [type, count] of countActiveResources()) {
    const extra = count - (baseline.get(type) ?? 0);
    if (extra > 0) lingering[type] = extra;
  }
  return lingering;
}
