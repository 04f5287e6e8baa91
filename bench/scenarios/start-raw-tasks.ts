// The hand-written baseline of DESIGN §6: one AbortController per task, a Set to track them.
// No priorities, no dependency order, no report. Must not import the library.

/** Tasks started by hand: their controllers and their promises. */
export interface RawTasks {
  readonly controllers: Set<AbortController>;
  readonly promises: Promise<unknown>[];
}

/**
 * Starts `n` tasks running `body`, each with its own AbortController kept in a Set.
 *
 * @example
 * const { controllers, promises } = startRawTasks(10_000, (signal) => untilAborted(signal));
 * for (const controller of controllers) controller.abort();
 * await Promise.allSettled(promises);
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
 * Aborts every controller, then waits for every task to settle. `abort()` without a reason, as
 * a hand-written loop does: each call builds a DOMException (a stack capture), which the library
 * avoids by sharing one reason per phase — a real difference the baseline is meant to show.
 *
 * @example
 * const outcomes = await abortAllAndSettle(tasks);
 */
export function abortAllAndSettle(
  tasks: RawTasks,
  afterAbort?: () => void,
): Promise<PromiseSettledResult<unknown>[]> {
  for (const controller of tasks.controllers) controller.abort();
  afterAbort?.();
  return Promise.allSettled(tasks.promises);
}
