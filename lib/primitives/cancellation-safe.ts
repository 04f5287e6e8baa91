import { AbortLink } from '../core/abort-link.js';
import { isCancellation } from '../core/cancellation.js';
import { InvalidLifecycleOptionError } from '../core/invalid-option.error.js';
import { currentTask } from '../core/task-context.storage.js';
import { recordOf, type TaskRecord } from '../core/task-record.js';
import type { CleanupOptions } from './cleanup-options.interface.js';
import {
  isLazyOperation,
  observeOperation,
  startOperation,
  toPromise,
  type Operation,
} from './operation.js';
import { checkCleanupOptions, runCleanup } from './run-cleanup.js';
import { settleRace, type RaceOutcome } from './settle-race.js';

/** When the cleanup runs: on cancellation (default), on any failure, or whatever happens. */
export type CleanupWhen = 'cancel' | 'error' | 'always';

const CLEANUP_WHEN: readonly unknown[] = ['cancel', 'error', 'always'] satisfies CleanupWhen[];

/**
 * Options of {@link cancellationSafe}.
 *
 * @example
 * const options: CancellationSafeOptions<number> = { cleanup: () => lock.release(), suppress: true, fallback: 0 };
 */
export interface CancellationSafeOptions<T> extends CleanupOptions {
  cleanup: () => unknown;
  /** Resolve to `fallback` instead of rethrowing the cancellation. */
  suppress?: boolean;
  fallback?: T;
  /** Default: the current managed task's signal. */
  signal?: AbortSignal;
  /** `cancel` (default): on cancellation; `error`: on cancellation or failure; `always`. */
  on?: CleanupWhen;
}

/**
 * Runs an operation whose cleanup cancellation cannot cut short. When the signal aborts (or the
 * operation rejects with a cancellation), it stops waiting, runs the cleanup once — shielded
 * from that cancellation, with its own deadline — and rethrows the cancellation (or, with
 * `suppress`, resolves to `fallback`). What `@CancellationSafe` does for a method.
 *
 * Bad options — a missing `cleanup`, a `cleanupTimeoutMs` that is not a finite number of
 * milliseconds, an unknown `on` — reject with an `InvalidLifecycleOptionError` naming the option
 * before anything starts, never later in place of a cancellation (a promise passed in still gets
 * a handler). The operation may reject with any value, hostile ones included.
 *
 * @example
 * // before: the finally block runs, but its own awaits are aborted by the same signal
 * try { await consume(signal); } finally { await channel.nackAll({ signal }); }
 * // after
 * await cancellationSafe((signal) => consume(signal), {
 *   cleanup: () => channel.nackAll(),
 *   cleanupTimeoutMs: 2_000,
 * });
 */
export async function cancellationSafe<T>(
  op: Operation<T>,
  options: CancellationSafeOptions<T>,
): Promise<T> {
  try {
    checkCleanupOptions(options, true);
    if (options.on !== undefined && !CLEANUP_WHEN.includes(options.on)) {
      throw InvalidLifecycleOptionError.invalid('on', options.on, `'cancel', 'error' or 'always'`);
    }
  } catch (error) {
    // Refused before it started: a promise passed in still gets a handler.
    observeOperation(op);
    throw error;
  }
  const on = options.on ?? 'cancel';
  const link = new AbortLink(options.signal ?? currentTask()?.signal);
  let outcome;
  try {
    if (link.signal.aborted && isLazyOperation(op)) {
      // Cancelled before it started: nothing to clean up.
      if (options.suppress === true) return options.fallback as T;
      throw link.signal.reason;
    }
    outcome = await settleRace(startOperation(op, link.signal), link.signal);
  } finally {
    link.dispose();
  }

  if (outcome.kind === 'value') {
    if (on === 'always') await runCleanup(options, 'cancellationSafe');
    return outcome.value;
  }
  const error =
    outcome.kind === 'aborted'
      ? outcome.reason
      : outcome.kind === 'error'
        ? outcome.error
        : undefined;
  if (outcome.kind === 'aborted' || isCancellation(error)) {
    await runCleanup(options, 'cancellationSafe');
    if (options.suppress === true) return options.fallback as T;
    throw error;
  }
  if (on !== 'cancel') await runCleanup(options, 'cancellationSafe');
  throw error;
}

/**
 * What `@CancellationSafe` fixed for one method at bootstrap, validated once: a call then pays
 * for no option object, no check and no closure it does not use.
 */
export interface CancellationSafeMethodOptions {
  readonly cleanupTimeoutMs: number;
  readonly suppress: boolean | undefined;
  readonly fallback: unknown;
  readonly on: CleanupWhen;
  readonly onCleanupError: (error: unknown) => unknown;
}

/** Waits for `work` with nothing to follow: only the work itself can end it. */
async function settleAlone<T>(work: Promise<T>): Promise<RaceOutcome<T>> {
  try {
    return { kind: 'value', value: await work };
  } catch (error) {
    return { kind: 'error', error };
  }
}

/**
 * `cancellationSafe` for a decorated method: the same outcome for every call, at the least cost.
 * The method does not take a signal, so no per-call AbortController is made: inside a task the
 * call races the task's stop directly (one Set entry on its record, removed when the race
 * ends; a hook's signal otherwise); outside
 * any task nothing can abort it, and it is simply awaited. The cleanup is called with the call's
 * arguments only when it runs.
 *
 * @example
 * return cancellationSafeCall(() => original.apply(self, args), () => cleanup.apply(self, args), options);
 */
export function cancellationSafeCall<T>(
  call: () => PromiseLike<T> | T,
  cleanup: () => unknown,
  options: CancellationSafeMethodOptions,
): Promise<T> {
  const ctx = currentTask();
  // A managed task is watched through its record: no AbortController made, no EventTarget
  // listener added and removed per call. A hook's context keeps its signal.
  const record = recordOf(ctx);
  if (record !== undefined && !record.cancelRequested) {
    return raceStopCall(call, cleanup, options, record);
  }
  // A task's signal is made only when read: only a hook's context is asked for one.
  return settleCall(call, cleanup, options, record, record === undefined ? ctx?.signal : undefined);
}

/**
 * A call inside a managed task still running — the common case — without an async function:
 * the first of the call settling and the task's stop settles the returned promise directly,
 * and only an outcome that needs a cleanup goes through `afterOutcome`. That is two promises
 * and a turn of the microtask queue fewer per call than awaiting a race, each of which the
 * promise hooks of AsyncLocalStorage (Node 20, 22) tax again.
 */
function raceStopCall<T>(
  call: () => PromiseLike<T> | T,
  cleanup: () => unknown,
  options: CancellationSafeMethodOptions,
  record: TaskRecord,
): Promise<T> {
  let work: Promise<T>;
  try {
    work = toPromise(call());
  } catch (error) {
    work = Promise.reject(error);
  }
  return new Promise<T>((resolve) => {
    // The first outcome wins; the later one (the call settling after the stop) only leaves.
    let ended = false;
    const end = (outcome: RaceOutcome<T>): void => {
      if (ended) return;
      ended = true;
      record.removeStopListener(onStop);
      resolve(
        outcome.kind === 'value' && options.on !== 'always'
          ? outcome.value
          : afterOutcome(outcome, cleanup, options),
      );
    };
    const onStop = (reason: unknown): void => end({ kind: 'aborted', reason });
    work.then(
      (value) => end({ kind: 'value', value }),
      (error: unknown) => end({ kind: 'error', error }),
    );
    // The call itself may have stopped its task: the listener would come too late.
    if (record.cancelRequested) onStop(record.stopReason);
    else record.addStopListener(onStop);
  });
}

/** Outside a managed task (or in one already stopping, or in a hook): awaited as it comes. */
async function settleCall<T>(
  call: () => PromiseLike<T> | T,
  cleanup: () => unknown,
  options: CancellationSafeMethodOptions,
  record: TaskRecord | undefined,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (record?.cancelRequested === true || signal?.aborted === true) {
    // Cancelled before it started: nothing to clean up.
    if (options.suppress === true) return options.fallback as T;
    throw record === undefined ? signal?.reason : record.stopReason;
  }
  let work: Promise<T>;
  try {
    work = toPromise(call());
  } catch (error) {
    work = Promise.reject(error);
  }
  const outcome = signal === undefined ? await settleAlone(work) : await settleRace(work, signal);
  // The value, at once: returning afterOutcome's promise would cost this call two more turns.
  if (outcome.kind === 'value' && options.on !== 'always') return outcome.value;
  return afterOutcome(outcome, cleanup, options);
}

/** What a call's outcome leads to: its value, or its error or stop after the cleanup ran. */
async function afterOutcome<T>(
  outcome: RaceOutcome<T>,
  cleanup: () => unknown,
  options: CancellationSafeMethodOptions,
): Promise<T> {
  if (outcome.kind === 'value') {
    if (options.on === 'always') await runMethodCleanup(cleanup, options);
    return outcome.value;
  }
  const error =
    outcome.kind === 'aborted'
      ? outcome.reason
      : outcome.kind === 'error'
        ? outcome.error
        : undefined;
  if (outcome.kind === 'aborted' || isCancellation(error)) {
    await runMethodCleanup(cleanup, options);
    if (options.suppress === true) return options.fallback as T;
    throw error;
  }
  if (options.on !== 'cancel') await runMethodCleanup(cleanup, options);
  throw error;
}

function runMethodCleanup(
  cleanup: () => unknown,
  options: CancellationSafeMethodOptions,
): Promise<unknown> {
  return runCleanup(
    { cleanup, cleanupTimeoutMs: options.cleanupTimeoutMs, onCleanupError: options.onCleanupError },
    'cancellationSafe',
  );
}
