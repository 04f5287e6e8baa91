import { isCancellation } from './cancellation.js';
import { TASK_ENDED, taskContextStorage } from './task-context.storage.js';
import { isThenable } from './thenable.js';
import { CancelledError } from './cancelled.error.js';
import { DeadlineRun, type CallbackResult } from './deadline-run.js';
import { createDeferred, type Deferred } from './deferred.js';
import type { DependencyNode } from './dependency-node.interface.js';
import type { ShutdownPhase } from './shutdown-phase.enum.js';
import type { TaskPriority } from './task-priority.enum.js';
import { TaskState } from './task-state.enum.js';
import type {
  CleanupInfo,
  ManagedTask,
  StopMode,
  TaskContext,
  TaskOptions,
} from './task.interface.js';

/**
 * What a task record tells the coordinator that owns it. A record keeps its own state (result,
 * signal, cleanup) and no shutdown bookkeeping: the running shutdown learns of its end from here.
 */
export interface TaskObserver {
  readonly cleanupTimeoutMs: number;
  /** The shutdown phase now, for the cleanup's `CleanupInfo`. */
  readonly phase: ShutdownPhase | undefined;
  /** The task moved to another state; when `record.ended`, it has settled. */
  taskChanged(record: TaskRecord, previous: TaskState): void;
  /** The task failed and has no `onError` (or its `onError` failed). */
  taskFailed(record: TaskRecord, error: unknown): void;
  cleanupEnded(record: TaskRecord, result: CallbackResult): void;
  /** The task ended and its cleanup ran: it leaves the registry. */
  taskFinished(record: TaskRecord): void;
  /** A generated name was handed out: from now on `dependsOn` may use it. */
  generatedNameRead(record: TaskRecord): void;
  /** Work the shutdown gave up on failed afterwards. */
  lateFailure(name: string, error: unknown): void;
}

const NOT_CANCELLED: unique symbol = Symbol('not-cancelled');
const enum Flag {
  Rejected = 1,
  /**
   * Named, but not in the registry's name index: a `start: 'call'` method's call (unique by its
   * numbering), or an intake's unit of work whose name a task or hook already holds.
   */
  Unindexed = 2,
  CleanupDone = 4,
  Finished = 8,
  NameIndexed = 16,
  /** Stop mode `drain`: its wave waits for it without aborting its signal during GRACEFUL. */
  Drain = 32,
}

// The state's index in STATES and the priority live in `flags` too: a field less each, and a
// field is 8 bytes on every live task.
const STATE_SHIFT = 6;
const STATE_MASK = 7 << STATE_SHIFT;
const PRIORITY_SHIFT = 9;
const PRIORITY_BITS = 7;
const STATES: readonly TaskState[] = [
  TaskState.CREATED,
  TaskState.RUNNING,
  TaskState.CANCELLING,
  TaskState.COMPLETED,
  TaskState.CANCELLED,
  TaskState.FAILED,
  TaskState.ABANDONED,
];
/** A state's index in STATES; the three live states first (`ended` is `code > Cancelling`). */
const enum Code {
  Created,
  Running,
  Cancelling,
  Completed,
  Cancelled,
  Failed,
  Abandoned,
}

/** What the task function receives; kept apart from the thenable handle so it can be awaited. */
class RecordContext implements TaskContext {
  constructor(readonly record: TaskRecord) {}
  get id(): string {
    return this.record.id;
  }
  get name(): string {
    return this.record.name;
  }
  get priority(): TaskPriority {
    return this.record.priority;
  }
  get signal(): AbortSignal {
    return this.record.signal;
  }
  get stopping(): boolean {
    return this.record.cancelRequested;
  }
  get stopped(): Promise<unknown> {
    return this.record.stopped;
  }
  get [TASK_ENDED](): boolean {
    return this.record.ended;
  }
}

/** The record behind a task context, when `ctx` is a managed task's (not a hook's). */
export function recordOf(ctx: TaskContext | undefined): TaskRecord | undefined {
  return ctx instanceof RecordContext ? ctx.record : undefined;
}

/**
 * What most tasks never need, made on first use: their options and dependencies, their cleanup
 * and the promises handed out to those who await them. One field on the record rather than
 * eight; fields declared up front so that every such object has the same shape. (The signal's
 * controller stays on the record: a shutdown makes one for every task that reads its signal.)
 */
class TaskExtras<T> {
  dependencies: readonly DependencyNode[] | undefined = undefined;
  /** Kept only when they hold callbacks (`cleanup`, `onError`). */
  options: TaskOptions | undefined = undefined;
  cleanupRun: DeadlineRun | undefined = undefined;
  outcome: Promise<T> | undefined = undefined;
  outcomeDeferred: Deferred<T> | undefined = undefined;
  finished: Deferred<void> | undefined = undefined;
  /** `ctx.stopped`: resolved with the cancel reason. */
  stopped: Deferred<unknown> | undefined = undefined;
  /** Internal watchers of the stop (`addStopListener`), called once with the cancel reason. */
  stopListeners: Set<(reason: unknown) => void> | undefined = undefined;
}

function settleFulfilled(this: TaskRecord, value: unknown): void {
  this.settle(value, false);
}

function settleRejected(this: TaskRecord, error: unknown): void {
  this.settle(error, true);
}

/** Calls the task function and attaches its settlement, in whatever scope the caller runs. */
function startIn(
  record: TaskRecord,
  fn: (ctx: TaskContext) => unknown,
  context: TaskContext,
): void {
  let value: unknown;
  try {
    value = fn(context);
  } catch (error) {
    record.settle(error, true);
    return;
  }
  let pending: Promise<unknown> | undefined;
  try {
    pending = isThenable(value) ? Promise.resolve(value) : undefined;
  } catch (error) {
    // A returned value whose `then` (or promise `constructor`) cannot be read fails the task,
    // as awaiting it would; createTask() itself never throws for what the task returns.
    record.settle(error, true);
    return;
  }
  if (pending === undefined) {
    record.settle(value, false);
    return;
  }
  // Attached at once so a failing task can never be an unhandled rejection. Bound functions
  // rather than closures: they are the smaller allocation, and this runs once per task.
  pending.then(settleFulfilled.bind(record), settleRejected.bind(record));
}

/**
 * A live managed task and its handle. Fields are few on purpose (ten; each is 8 bytes on every
 * live task): a task without options that never reads its signal and is never awaited costs
 * this object, its context and one promise reaction. What fewer tasks need is in `TaskExtras`,
 * state and priority are bits of `flags`, and the observer is on a per-coordinator prototype.
 */
export class TaskRecord<T = unknown> implements ManagedTask<T>, DependencyNode {
  /** Neighbours in the registry's list of live tasks (creation order). */
  previous: TaskRecord | undefined = undefined;
  next: TaskRecord | undefined = undefined;
  /** See `DependencyNode.planIndex`: the shutdown plan's link to its entry, -1 until planned. */
  planIndex = -1;
  private controller: AbortController | undefined = undefined;
  private cancelReason: unknown = NOT_CANCELLED;
  private result: unknown = undefined;
  /** `Flag` bits, the state's code and the priority. */
  private flags: number;
  private extras: TaskExtras<T> | undefined = undefined;
  /** Who it reports to: on the prototype `recordClassFor` makes per coordinator, not a field. */
  declare private readonly host: TaskObserver;

  constructor(
    readonly seq: number,
    readonly explicitName: string | undefined,
    priority: TaskPriority,
    dependencies: readonly DependencyNode[] | undefined,
    options: TaskOptions | undefined,
    stop: StopMode,
  ) {
    this.flags = (stop === 'drain' ? Flag.Drain : 0) | (priority << PRIORITY_SHIFT);
    if (dependencies !== undefined || options !== undefined) {
      const extras = this.more();
      extras.dependencies = dependencies;
      extras.options = options;
    }
  }

  private more(): TaskExtras<T> {
    return (this.extras ??= new TaskExtras<T>());
  }

  private get code(): Code {
    return (this.flags & STATE_MASK) >> STATE_SHIFT;
  }

  get state(): TaskState {
    return STATES[this.code];
  }

  get priority(): TaskPriority {
    return (this.flags >> PRIORITY_SHIFT) & PRIORITY_BITS;
  }

  get dependencies(): readonly DependencyNode[] | undefined {
    return this.extras?.dependencies;
  }

  private get options(): TaskOptions | undefined {
    return this.extras?.options;
  }

  /** Who it reports to: tells whether a context belongs to a given coordinator. */
  get observer(): TaskObserver {
    return this.host;
  }

  /** How its wave stops it (DESIGN §4 "Stop modes"). */
  get stopMode(): StopMode {
    return (this.flags & Flag.Drain) !== 0 ? 'drain' : 'abort';
  }

  /** Stop mode `drain` (the hot-path form of `stopMode`). */
  get drains(): boolean {
    return (this.flags & Flag.Drain) !== 0;
  }

  /** Its signal was aborted (or would be, once read). */
  get cancelRequested(): boolean {
    return this.cancelReason !== NOT_CANCELLED;
  }

  get id(): string {
    return String(this.seq);
  }

  /**
   * The task's name. A generated one is indexed the first time it is handed out, so that
   * `dependsOn` can find it; tasks whose generated name nobody reads cost no index entry.
   */
  get name(): string {
    if (this.explicitName !== undefined) return this.explicitName;
    if ((this.flags & (Flag.NameIndexed | Flag.Finished)) === 0) {
      this.flags |= Flag.NameIndexed;
      this.host.generatedNameRead(this);
    }
    return `task#${this.seq}`;
  }

  /** The name for reports and logs, without indexing a generated one. */
  get label(): string {
    return this.explicitName ?? `task#${this.seq}`;
  }

  /** See `Flag.Unindexed`. */
  get unindexed(): boolean {
    return (this.flags & Flag.Unindexed) !== 0;
  }

  /** Keeps its name out of the registry's index; before the registry adds it. */
  markUnindexed(): void {
    this.flags |= Flag.Unindexed;
  }

  get nameIndexed(): boolean {
    return (this.flags & Flag.NameIndexed) !== 0;
  }

  get signalCreated(): boolean {
    return this.controller !== undefined;
  }

  get ended(): boolean {
    return this.code > Code.Cancelling;
  }

  /** The task's cleanup has run (or it has none). */
  get cleanupDone(): boolean {
    return this.options?.cleanup === undefined || (this.flags & Flag.CleanupDone) !== 0;
  }

  /** Its cleanup is running now. */
  get cleanupRunning(): boolean {
    return this.extras?.cleanupRun !== undefined && (this.flags & Flag.CleanupDone) === 0;
  }

  /** Gives up on a running cleanup (the shutdown stopped waiting): it times out now. */
  expireCleanup(givenMs: number): void {
    if (this.cleanupRunning) this.extras?.cleanupRun?.expire(givenMs);
  }

  /** The task's own error, when it failed. */
  get error(): unknown {
    return this.code === Code.Failed ? this.result : undefined;
  }

  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller === undefined) {
      controller = this.controller = new AbortController();
      // Level-triggered: a task that reads its signal after being cancelled sees it aborted.
      if (this.cancelReason !== NOT_CANCELLED) controller.abort(this.cancelReason);
    }
    return controller.signal;
  }

  /**
   * Resolves with the cancel reason once cancellation is requested: a promise rather than an
   * AbortController, made only when read (the signal-free path of `ctx.stopped`).
   */
  get stopped(): Promise<unknown> {
    if (this.cancelReason !== NOT_CANCELLED) return Promise.resolve(this.cancelReason);
    const extras = this.more();
    extras.stopped ??= createDeferred<unknown>();
    return extras.stopped.promise;
  }

  /**
   * Runs the task function now — inside its AsyncLocalStorage scope when `inContext` (so that
   * `currentTask()` works across its awaits) — and settles the record when it ends.
   */
  start(fn: (ctx: TaskContext) => unknown, inContext: boolean): void {
    // Cancelled before it started (admitted into a wave already stopping): it starts cancelling.
    if (this.code === Code.Created) this.setState(Code.Running);
    const context = new RecordContext(this);
    // The end is watched from inside the task's scope: on Node 24 `run()` leaves a fresh copy of
    // the caller's context frame behind, and a reaction attached after it would keep that copy
    // (~180 B) for the task's whole life. Code the end calls back sees no task: `currentTask()`
    // is undefined once its task has ended.
    if (inContext) taskContextStorage.run(context, startIn, this, fn, context);
    else startIn(this, fn, context);
  }

  /** Aborts the task's signal (if it exists) with `reason`; the first reason wins. */
  requestCancel(reason: unknown): void {
    if (this.cancelReason !== NOT_CANCELLED || this.ended) return;
    this.cancelReason = reason;
    this.setState(Code.Cancelling);
    this.controller?.abort(reason);
    const extras = this.extras;
    if (extras === undefined) return;
    extras.stopped?.resolve(reason);
    const listeners = extras.stopListeners;
    if (listeners !== undefined) {
      extras.stopListeners = undefined;
      for (const listener of listeners) listener(reason);
    }
  }

  /** The reason cancellation was requested with; `undefined` before. */
  get stopReason(): unknown {
    return this.cancelReason === NOT_CANCELLED ? undefined : this.cancelReason;
  }

  /**
   * Calls `listener` (which must not throw) once with the cancel reason when cancellation is
   * requested — the library's own way to watch a task stop without making its AbortController:
   * a Set entry costs a fraction of an EventTarget listener, and wrapped calls add and remove one
   * per call. Call only while `cancelRequested` is false; undo with `removeStopListener`.
   */
  addStopListener(listener: (reason: unknown) => void): void {
    (this.more().stopListeners ??= new Set()).add(listener);
  }

  removeStopListener(listener: (reason: unknown) => void): void {
    this.extras?.stopListeners?.delete(listener);
  }

  cancel(reason?: unknown): Promise<void> {
    this.requestCancel(reason ?? new CancelledError());
    return this.whenFinished();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.cancel();
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.outcomePromise().then(onfulfilled, onrejected);
  }

  /** Resolves once the task ended and its cleanup ran; never rejects. */
  whenFinished(): Promise<void> {
    if ((this.flags & Flag.Finished) !== 0) return Promise.resolve();
    const extras = this.more();
    extras.finished ??= createDeferred<void>();
    return extras.finished.promise;
  }

  /** Runs the cleanup now, without waiting for the task (FORCEFUL / TERMINATE). */
  forceCleanup(): void {
    this.runCleanup(true);
  }

  /** The shutdown gave up on this task: it is abandoned, its handle rejects, it leaves. */
  abandon(reason: CancelledError): void {
    if (this.ended) return;
    this.setState(Code.Abandoned);
    // The handle of an abandoned task rejects: code awaiting it must not hang forever.
    this.result = reason;
    this.flags |= Flag.Rejected;
    this.extras?.outcomeDeferred?.reject(reason);
    this.finish();
  }

  /**
   * The promise the handle's `then` chains on: settles with the task's outcome. Handed out as
   * is to callers that need no fresh promise of their own (a `start: 'call'` method's caller):
   * one promise and one turn of the queue fewer than `then()`.
   */
  outcomePromise(): Promise<T> {
    const extras = this.more();
    if (extras.outcome === undefined) {
      if (this.ended) {
        extras.outcome =
          (this.flags & Flag.Rejected) !== 0
            ? Promise.reject(this.result)
            : Promise.resolve(this.result as T);
      } else {
        extras.outcomeDeferred = createDeferred<T>();
        extras.outcome = extras.outcomeDeferred.promise;
      }
    }
    return extras.outcome;
  }

  /** The task function's promise settled (or it returned / threw synchronously). */
  settle(value: unknown, rejected: boolean): void {
    if (this.code === Code.Abandoned) {
      if (rejected && !isCancellation(value)) this.host.lateFailure(this.label, value);
      return;
    }
    this.result = value;
    if (rejected) this.flags |= Flag.Rejected;
    const previous = this.state;
    let code: Code;
    if (rejected) code = isCancellation(value) ? Code.Cancelled : Code.Failed;
    else code = this.cancelReason !== NOT_CANCELLED ? Code.Cancelled : Code.Completed;
    this.writeCode(code);
    const extras = this.extras;
    const deferred = extras?.outcomeDeferred;
    if (deferred !== undefined) {
      if (rejected) deferred.reject(value);
      else deferred.resolve(value as T);
    }
    if (code === Code.Failed) this.reportFailure(value);
    this.host.taskChanged(this, previous);
    if (extras?.options?.cleanup !== undefined && extras.cleanupRun === undefined) {
      this.runCleanup(false);
    } else if (this.cleanupDone) {
      this.finish();
    }
  }

  private reportFailure(error: unknown): void {
    const onError = this.options?.onError;
    if (onError === undefined) {
      this.host.taskFailed(this, error);
      return;
    }
    try {
      const handled = onError(error);
      if (isThenable(handled)) {
        Promise.resolve(handled).then(undefined, (handlerError: unknown) =>
          this.host.taskFailed(this, handlerError),
        );
      }
    } catch (handlerError) {
      this.host.taskFailed(this, handlerError);
    }
  }

  private runCleanup(forced: boolean): void {
    const extras = this.extras;
    const cleanup = extras?.options?.cleanup;
    if (extras === undefined || cleanup === undefined || extras.cleanupRun !== undefined) return;
    const run = new DeadlineRun({
      timeoutMs: extras.options?.cleanupTimeoutMs ?? this.host.cleanupTimeoutMs,
      what: `cleanup of task "${this.label}"`,
      onDone: (result) => {
        this.flags |= Flag.CleanupDone;
        this.host.cleanupEnded(this, result);
        if (this.ended) this.finish();
      },
      onLateFailure: (error) => this.host.lateFailure(`cleanup of ${this.label}`, error),
    });
    extras.cleanupRun = run;
    const info = this.cleanupInfo(run, forced);
    // Shielded: the cleanup runs outside the task's context, so the task's cancellation
    // (seen through currentTask()) cannot cut it short.
    run.start(() => cleanup(info));
  }

  private cleanupInfo(run: DeadlineRun, forced: boolean): CleanupInfo {
    const state = this.state;
    const info: {
      -readonly [K in keyof CleanupInfo]: CleanupInfo[K];
    } = {
      id: this.id,
      name: this.label,
      priority: this.priority,
      state,
      forced,
      get signal() {
        return run.signal;
      },
    };
    if (this.code === Code.Failed) info.error = this.result;
    if (this.cancelReason !== NOT_CANCELLED) info.reason = this.cancelReason;
    const phase = this.host.phase;
    if (phase !== undefined) info.phase = phase;
    return info;
  }

  private finish(): void {
    if ((this.flags & Flag.Finished) !== 0) return;
    this.flags |= Flag.Finished;
    this.host.taskFinished(this);
    this.extras?.finished?.resolve();
  }

  private setState(code: Code): void {
    const previous = this.state;
    this.writeCode(code);
    this.host.taskChanged(this, previous);
  }

  /** The state's code into `flags`, without telling the observer (`setState` does). */
  private writeCode(code: Code): void {
    this.flags = (this.flags & ~STATE_MASK) | (code << STATE_SHIFT);
  }
}

/**
 * The record class of one coordinator: its records report to `host`, which lives on the class's
 * prototype — one per coordinator rather than 8 bytes on every live task.
 *
 * @example
 * const Record = recordClassFor(observer);
 * const record = new Record(1, 'db', TaskPriority.HIGH, undefined, undefined, 'abort');
 */
export function recordClassFor(host: TaskObserver): typeof TaskRecord {
  class HostedTaskRecord<T> extends TaskRecord<T> {}
  Object.defineProperty(HostedTaskRecord.prototype, 'host', { value: host });
  return HostedTaskRecord;
}
