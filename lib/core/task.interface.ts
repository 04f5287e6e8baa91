import type { ShutdownPhase } from './shutdown-phase.enum.js';
import type { TaskPriority } from './task-priority.enum.js';
import type { TaskState } from './task-state.enum.js';

/**
 * What a running task knows about itself. `signal` is created on first read: a task that never
 * reads it costs no `AbortController`.
 *
 * @example
 * coordinator.createTask(async (ctx) => {
 *   while (!ctx.signal.aborted) await pollOnce(ctx.signal);
 * });
 */
export interface TaskContext {
  readonly id: string;
  readonly name: string;
  readonly priority: TaskPriority;
  /** Aborted (with a `CancelledError`) when the task is cancelled; stays aborted. */
  readonly signal: AbortSignal;
  /**
   * `true` once the task is asked to stop — when its `signal` aborts (or would, had it been
   * read) — and from then on. Creates nothing: the cheapest "stop now?" check for a loop.
   * Always present on the contexts the library hands out (tasks, hooks, `currentTask()`);
   * optional only so that hand-made contexts (test doubles) still type-check.
   *
   * @example
   * coordinator.createTask(async (ctx) => {
   *   while (!ctx.stopping) await processNextBatch();
   * });
   */
  readonly stopping?: boolean;
  /**
   * Resolves with the cancellation reason (a `CancelledError`) once the task is asked to stop;
   * never rejects. The signal-free way to wait for "stop now": made on first read, it costs a
   * promise rather than an `AbortController` and an `EventTarget` dispatch, so a shutdown of
   * many tasks that only wait for it is several times cheaper. Await it once per task (a loop
   * that races it against each step adds a reaction per step; use `stopping` there).
   *
   * @example
   * coordinator.createTask(async (ctx) => {
   *   const subscription = bus.subscribe(handle);
   *   await ctx.stopped;
   *   await subscription.close();
   * });
   */
  readonly stopped?: Promise<unknown>;
}

/**
 * What a task's cleanup receives. The cleanup runs exactly once, after the task ended — or
 * without waiting for it, in the FORCEFUL and TERMINATE phases (`forced: true`).
 *
 * @example
 * coordinator.createTask(consume, {
 *   cleanup: async ({ state, signal }) => {
 *     if (state !== TaskState.COMPLETED) await channel.nackAll({ signal });
 *   },
 * });
 */
export interface CleanupInfo {
  readonly id: string;
  readonly name: string;
  readonly priority: TaskPriority;
  /** The task's state when the cleanup starts (`running`/`cancelling` when forced). */
  readonly state: TaskState;
  /** The task's failure, when it failed. */
  readonly error?: unknown;
  /** The cancellation reason, when the task was cancelled. */
  readonly reason?: unknown;
  /** `true` when run without waiting for the task (FORCEFUL / TERMINATE). */
  readonly forced: boolean;
  /** The shutdown phase the cleanup runs in, when it runs during a shutdown. */
  readonly phase?: ShutdownPhase;
  /** The cleanup's own signal: aborted at the cleanup's deadline, never by the task's cancel. */
  readonly signal: AbortSignal;
}

/**
 * How a task is stopped when its shutdown wave comes (DESIGN §4 "Stop modes"):
 * - `abort` — its signal aborts at once and the wave waits for it to end: loops, pollers,
 *   consumers (the default of `createTask` and of bootstrap tasks);
 * - `drain` — the wave waits for it to finish on its own, its signal untouched while GRACEFUL
 *   lasts; when GRACEFUL ends its signal aborts like any other: units of work an intake admitted
 *   (an HTTP request, a queue job) and `@ManagedTask({ start: 'call' })` calls.
 *
 * @example
 * coordinator.createTask(() => sendInvoice(order), { stop: 'drain' }); // finish it, do not abort
 */
export type StopMode = 'abort' | 'drain';

/**
 * Options of `createTask`.
 *
 * @example
 * coordinator.createTask(flushLoop, {
 *   name: 'flusher',
 *   priority: TaskPriority.HIGH,
 *   dependsOn: ['db-pool'],
 *   cleanup: () => buffer.flushSync(),
 *   onError: (error) => alerts.notify(error),
 * });
 */
export interface TaskOptions {
  /** Unique among live tasks and hooks; `task#<id>` when absent. */
  name?: string;
  /** Default `TaskPriority.NORMAL`. */
  priority?: TaskPriority;
  /** Names of live tasks or hooks this task needs: it stops before them. */
  dependsOn?: Iterable<string>;
  /** Runs once when the task ends, whatever the outcome, shielded from its cancellation. */
  cleanup?: (info: CleanupInfo) => unknown;
  /** Deadline of `cleanup`; default the coordinator's `cleanupTimeoutMs`. */
  cleanupTimeoutMs?: number;
  /** Called with the task's failure; without it the failure is logged. Never unhandled. */
  onError?: (error: unknown) => unknown;
  /** How its shutdown wave stops it; default `abort`. */
  stop?: StopMode;
}

/**
 * A handle on a managed task. Awaiting it yields the task's result (or its error); an
 * abandoned task's handle rejects with a `CancelledError`.
 *
 * @example
 * await using sync = coordinator.createTask((ctx) => syncAll(ctx.signal), { name: 'sync' });
 * const count = await sync;
 */
export interface ManagedTask<T> extends PromiseLike<T> {
  readonly id: string;
  readonly name: string;
  readonly priority: TaskPriority;
  readonly state: TaskState;
  /** Abort the task's signal, then wait for the task and its cleanup; never rejects. */
  cancel(reason?: unknown): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A fresh copy of a task's state, from `coordinator.tasks()`.
 *
 * @example
 * const stuck = coordinator.tasks().filter((t) => t.state === TaskState.CANCELLING);
 */
export interface TaskSnapshot {
  readonly id: string;
  readonly name: string;
  readonly priority: TaskPriority;
  readonly state: TaskState;
  readonly dependsOn: string[];
  /** Whether the task has read its signal (its `AbortController` exists). */
  readonly signalCreated: boolean;
  /** How its shutdown wave stops it. */
  readonly stop: StopMode;
}

/**
 * Options of `registerShutdownHook` (what `@OnShutdown` registers).
 *
 * @example
 * coordinator.registerShutdownHook('db-pool', () => pool.end(), {
 *   priority: TaskPriority.CRITICAL,
 *   timeoutMs: 3_000,
 * });
 */
export interface ShutdownHookOptions {
  /** Default `TaskPriority.NORMAL`. */
  priority?: TaskPriority;
  /** Names of live tasks or hooks this hook needs: it runs before they stop. */
  dependsOn?: Iterable<string>;
  /** Deadline of the hook; default the coordinator's `cleanupTimeoutMs`. */
  timeoutMs?: number;
}
