// The hand-written baselines of DESIGN §6: one AbortController per task, a Set to track them.
// No priorities, no dependency order, no report. Must not import the library.

/** Tasks started by hand: their controllers and their promises. */
export interface RawTasks {
  readonly controllers: Set<AbortController>;
  readonly promises: Promise<unknown>[];
}

/**
 * The one abort reason a careful engineer builds once and shares: `abort()` without a reason
 * builds a `DOMException` (and captures its stack) per call.
 */
export const SHARED_REASON = new DOMException('The application is shutting down', 'AbortError');

/**
 * Starts `n` tasks running `body`, each with its own AbortController kept in a Set.
 *
 * @example
 * const tasks = startRawTasks(10_000, (signal) => untilAborted(signal));
 * await abortAllAndSettle(tasks, SHARED_REASON);
 */
export function startRawTasks(
  n: number,
  body: (signal: AbortSignal) => Promise<unknown>,
): RawTasks {
  const controllers = new Set<AbortController>();
  const promises = new Array<Promise<unknown>>(n);
  for (let i = 0; i < n; i++) {
    const controller = new AbortController();
    controllers.add(controller);
    promises[i] = body(controller.signal);
  }
  return { controllers, promises };
}

/**
 * Aborts every controller — with `reason`, or, as a hand-written loop usually does, with none
 * (`undefined`: a DOMException per task, the "naive raw" baseline) — then waits for every task
 * to settle.
 *
 * @example
 * const outcomes = await abortAllAndSettle(tasks, SHARED_REASON);
 */
export function abortAllAndSettle(
  tasks: RawTasks,
  reason: unknown,
  afterAbort?: () => void,
): Promise<PromiseSettledResult<unknown>[]> {
  if (reason === undefined) for (const controller of tasks.controllers) controller.abort();
  else for (const controller of tasks.controllers) controller.abort(reason);
  afterAbort?.();
  return Promise.allSettled(tasks.promises);
}
