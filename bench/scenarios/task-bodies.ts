// Task bodies shared by every implementation, so that only the machinery around them differs.
// This file must not import the library: raw children would load it (and its AsyncLocalStorage).

/**
 * A task that honours its signal: pending until the signal aborts, then rejects with its reason.
 *
 * @example
 * coordinator.createTask((ctx) => untilAborted(ctx.signal));
 */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * A task that never reads its signal: it ends when the shared gate opens.
 *
 * @example
 * coordinator.createTask(() => untilOpen(gate.promise));
 */
export async function untilOpen(gate: Promise<void>): Promise<void> {
  await gate;
}

/**
 * The shortest real asynchronous task: one suspension.
 *
 * @example
 * coordinator.createTask(oneTick);
 */
export async function oneTick(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/await-thenable -- `await null` is the cheapest real suspension
  await null;
}
