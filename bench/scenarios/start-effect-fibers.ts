// The Effect baselines: one fiber per task, interrupted all at once. Must not import the library.
import { Effect, Fiber } from 'effect';

/**
 * Forks `n` root fibers running `body` (each `Effect.runFork` is a daemon: no parent scope).
 *
 * @example
 * const fibers = forkFibers(10_000, () => Effect.never);
 * await interruptAll(fibers);
 */
export function forkFibers(
  n: number,
  body: () => Effect.Effect<unknown, unknown>,
): Fiber.Fiber<unknown, unknown>[] {
  const fibers = new Array<Fiber.Fiber<unknown, unknown>>(n);
  for (let i = 0; i < n; i++) fibers[i] = Effect.runFork(body());
  return fibers;
}

/**
 * Interrupts every fiber and resolves once all of them have ended.
 *
 * @example
 * await interruptAll(fibers);
 */
export function interruptAll(fibers: readonly Fiber.Fiber<unknown, unknown>[]): Promise<void> {
  return Effect.runPromise(Fiber.interruptAll(fibers));
}

/**
 * A fiber that does the same AbortSignal work as the other implementations' tasks: Effect hands
 * `Effect.promise` an AbortSignal and aborts it on interruption.
 *
 * @example
 * forkFibers(n, () => signalTask(untilAborted));
 */
export function signalTask(
  body: (signal: AbortSignal) => Promise<unknown>,
): Effect.Effect<unknown, unknown> {
  return Effect.promise(body);
}
