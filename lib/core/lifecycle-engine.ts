import { Subject } from 'rxjs';
import { CancelledError } from './cancelled.error.js';
import type { CallbackResult, DeadlineRun } from './deadline-run.js';
import { HookRecord } from './hook-record.js';
import { InvalidLifecycleOptionError } from './invalid-option.error.js';
import type { LifecycleEvent } from './lifecycle-event.interface.js';
import type { LifecycleLogger } from './lifecycle-logger.interface.js';
import type { ResolvedLifecycleOptions } from './lifecycle-options.interface.js';
import { checkDuration, checkPriority } from './lifecycle-options.validator.js';
import { LifecycleState } from './lifecycle-state.enum.js';
import { CoreMessages } from './lifecycle.messages.js';
import { countActiveResources, lingeringSince } from './lingering-resources.js';
import { PhaseRunner, type RunnerHost, type ShutdownProgress } from './phase-runner.js';
import { PHASE_ORDER, type ShutdownPhase } from './shutdown-phase.enum.js';
import { ShutdownInProgressError } from './shutdown-in-progress.error.js';
import { planShutdown } from './shutdown-plan.js';
import type { ReportSections, ShutdownReport } from './shutdown-report.interface.js';
import { describeError } from './describe.js';
import { taskContextStorage } from './task-context.storage.js';
import { TaskPriority } from './task-priority.enum.js';
import { TaskRecord, type TaskHost } from './task-record.js';
import { TaskRegistry } from './task-registry.js';
import type { TaskState } from './task-state.enum.js';
import type {
  ShutdownHookOptions,
  TaskContext,
  TaskOptions,
  TaskSnapshot,
} from './task.interface.js';
import { renderShutdownSummary, renderShutdownTimeline } from './timeline.renderer.js';

function runInTaskContext(ctx: TaskContext, fn: (ctx: TaskContext) => unknown): unknown {
  return taskContextStorage.run(ctx, fn, ctx);
}

function checkName(path: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw InvalidLifecycleOptionError.invalid(path, value, 'a non-empty string');
  }
  return value;
}

function checkFunction(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw InvalidLifecycleOptionError.invalid(path, value, 'a function');
  }
}

/** How a framework adapter (the Nest module) drives the coordinator. */
export interface CoordinatorAdapterOptions {
  /** Start in `STARTING` until `markRunning()`; readiness stays down during bootstrap. */
  startInStartingState?: boolean;
  /** Do not log the report when the shutdown ends; the adapter calls `completeReport()` later. */
  deferReportLog?: boolean;
}

/** The engine behind `LifecycleCoordinator`: registry, task host, shutdown runner host. */
export class LifecycleEngine implements TaskHost, RunnerHost {
  readonly registry = new TaskRegistry();
  readonly events = new Subject<LifecycleEvent>();
  readonly shutdownController = new AbortController();
  readonly logger: LifecycleLogger | undefined;
  state: LifecycleState;
  runner: PhaseRunner | undefined;
  lastBootReport: ShutdownReport | undefined;
  private readonly debug: ((message: string) => unknown) | undefined;
  private readonly baseline = countActiveResources();
  /** Cleanups running now, so that a shutdown also waits for those of tasks that just ended. */
  private readonly cleanups = new Map<TaskRecord, DeadlineRun>();
  private seq = 0;
  private hookSeq = 0;
  private reportLogged = false;
  private readonly watchers = new Set<(event: ShutdownProgress) => void>();
  readonly sections = new Map<keyof ReportSections, () => ReportSections[keyof ReportSections]>();

  constructor(
    readonly options: ResolvedLifecycleOptions,
    private readonly adapter: CoordinatorAdapterOptions = {},
  ) {
    this.logger = options.logger;
    const logger = this.logger;
    if (logger?.debug !== undefined) this.debug = (message) => logger.debug?.(message);
    this.state =
      adapter.startInStartingState === true ? LifecycleState.STARTING : LifecycleState.RUNNING;
  }

  get cleanupTimeoutMs(): number {
    return this.options.cleanupTimeoutMs;
  }

  get currentPhase(): ShutdownPhase | undefined {
    return this.runner?.phase;
  }

  createTask<T>(fn: (ctx: TaskContext) => Promise<T> | T, options?: TaskOptions): TaskRecord<T> {
    if (this.runner !== undefined) throw new ShutdownInProgressError('start a task');
    const record = this.newRecord(fn, options);
    this.registry.add(record);
    record.start(fn, this.options.asyncContext ? runInTaskContext : undefined);
    return record;
  }

  /**
   * `createTask`, except during a shutdown: the task then joins the wave of its priority while
   * that wave is open, and `undefined` says it is too late.
   */
  admitTask<T>(
    fn: (ctx: TaskContext) => Promise<T> | T,
    options?: TaskOptions,
  ): TaskRecord<T> | undefined {
    const runner = this.runner;
    if (runner === undefined) return this.createTask(fn, options);
    if (!runner.canAdmit(options?.priority ?? TaskPriority.NORMAL)) return undefined;
    const record = this.newRecord(fn, options);
    this.registry.add(record);
    runner.admit(record);
    record.start(fn, this.options.asyncContext ? runInTaskContext : undefined);
    return record;
  }

  /** Validates the arguments of a new task and builds its record (not yet started). */
  private newRecord<T>(
    fn: (ctx: TaskContext) => Promise<T> | T,
    options: TaskOptions | undefined,
  ): TaskRecord<T> {
    if (typeof fn !== 'function') {
      throw InvalidLifecycleOptionError.invalid('createTask(fn)', fn, 'a function');
    }
    const seq = ++this.seq;
    let priority = TaskPriority.NORMAL;
    let name: string | undefined;
    let dependencies: TaskRecord['dependencies'];
    let kept: TaskOptions | undefined;
    if (options !== undefined) {
      priority = checkPriority('priority', options.priority, TaskPriority.NORMAL);
      if (options.name !== undefined) {
        name = checkName('name', options.name);
        this.registry.assertNameFree(name);
      }
      dependencies = this.registry.resolve(name ?? `task#${seq}`, options.dependsOn);
      checkFunction('cleanup', options.cleanup);
      checkFunction('onError', options.onError);
      checkDuration('cleanupTimeoutMs', options.cleanupTimeoutMs, 0);
      // Keep the options only when they hold callbacks: most tasks then retain nothing extra.
      if (options.cleanup !== undefined || options.onError !== undefined) kept = options;
    }
    return new TaskRecord<T>(this, seq, name, priority, dependencies, kept);
  }

  registerShutdownHook(
    name: string,
    fn: (ctx: TaskContext) => unknown,
    options: ShutdownHookOptions = {},
  ): void {
    if (this.runner !== undefined) throw new ShutdownInProgressError('register a shutdown hook');
    checkName('name', name);
    if (typeof fn !== 'function') {
      throw InvalidLifecycleOptionError.invalid(
        `registerShutdownHook("${name}", fn)`,
        fn,
        'a function',
      );
    }
    const priority = checkPriority('priority', options.priority, TaskPriority.NORMAL);
    const timeoutMs = checkDuration('timeoutMs', options.timeoutMs, this.options.cleanupTimeoutMs);
    this.registry.assertNameFree(name);
    const dependencies = this.registry.resolve(name, options.dependsOn);
    this.registry.addHook(
      new HookRecord(++this.hookSeq, name, fn, priority, dependencies, timeoutMs),
    );
  }

  shutdown(options: { phase?: ShutdownPhase; reason?: string } = {}): Promise<ShutdownReport> {
    const { phase, reason = 'manual' } = options;
    if (phase !== undefined && !PHASE_ORDER.includes(phase)) {
      throw InvalidLifecycleOptionError.invalid(
        'shutdown({ phase })',
        phase,
        `one of ${PHASE_ORDER.join(', ')}`,
      );
    }
    if (this.runner !== undefined) {
      // Idempotent: a second call joins the running shutdown, escalating if it asks for more.
      if (phase !== undefined) this.runner.escalateTo(phase);
      return this.runner.done.promise;
    }
    const plan = planShutdown(this.registry.tasks(), this.registry.hooks());
    // Set before any user code can run (state subscribers, shutdownSignal listeners).
    const runner = new PhaseRunner(this, plan, String(reason), this.cleanups);
    this.runner = runner;
    this.setState(LifecycleState.DRAINING);
    this.shutdownController.abort(
      new CancelledError(`Shutdown began (${String(reason)})`, { reason: String(reason) }),
    );
    runner.begin(phase);
    return runner.done.promise;
  }

  escalate(): void {
    this.runner?.escalate('escalate');
  }

  tasks(): TaskSnapshot[] {
    const snapshots: TaskSnapshot[] = [];
    for (const record of this.registry.tasks()) {
      snapshots.push({
        id: record.id,
        // `label`, not `name`: a snapshot must not index every generated name as a side effect.
        name: record.label,
        priority: record.priority,
        state: record.state,
        dependsOn: record.dependencies?.map((node) => node.label) ?? [],
        signalCreated: record.signalCreated,
      });
    }
    return snapshots;
  }

  isRegistered(name: string): boolean {
    return this.registry.lookup(name) !== undefined;
  }

  markRunning(): void {
    if (this.state === LifecycleState.STARTING) this.setState(LifecycleState.RUNNING);
  }

  /** Re-audits lingering handles (less the caller's own) and logs the summary and timeline (once). */
  completeReport(ownHandles?: Readonly<Record<string, number>>): ShutdownReport | undefined {
    const runner = this.runner;
    if (runner === undefined || !runner.finished) return runner?.report();
    runner.refreshLingering(ownHandles);
    const report = runner.report();
    this.logReport(report);
    return report;
  }

  /** Calls `watcher` at each step of a shutdown; returns the function that stops it. */
  watchShutdown(watcher: (event: ShutdownProgress) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  // RunnerHost

  progress(event: ShutdownProgress): void {
    for (const watcher of this.watchers) watcher(event);
  }

  emit(build: () => LifecycleEvent): void {
    if (this.events.observed) this.events.next(build());
  }

  auditLingering(): Record<string, number> {
    return lingeringSince(this.baseline);
  }

  runnerFinished(report: ShutdownReport): void {
    this.setState(LifecycleState.STOPPED);
    if (this.adapter.deferReportLog !== true) this.logReport(report);
    this.events.complete();
  }

  // TaskHost

  taskStateChanged(record: TaskRecord, previous: TaskState): void {
    if (this.events.observed) {
      this.events.next({
        type: 'task',
        id: record.id,
        name: record.label,
        priority: record.priority,
        state: record.state,
        previous,
        at: Date.now(),
      });
    }
    if (this.debug !== undefined) {
      this.debug(CoreMessages.taskState(record.label, record.priority, previous, record.state));
    }
  }

  taskFailed(record: TaskRecord, error: unknown): void {
    this.logger?.error(
      `${CoreMessages.taskFailed(record.label)}: ${describeError(error)}`,
      (error as Error | undefined)?.stack,
    );
  }

  taskEnded(record: TaskRecord): void {
    this.runner?.taskEnded(record);
  }

  cleanupStarted(record: TaskRecord, run: DeadlineRun): void {
    this.cleanups.set(record, run);
    this.runner?.cleanupStarted(record, run);
  }

  cleanupEnded(record: TaskRecord, result: CallbackResult): void {
    this.cleanups.delete(record);
    if (result.outcome !== 'ok') {
      const message = CoreMessages.callbackTrouble(
        `Cleanup of task "${record.label}"`,
        result.outcome,
      );
      this.logger?.warn(`${message}: ${describeError(result.error)}`);
    }
    this.runner?.cleanupEnded(record, result);
  }

  taskFinished(record: TaskRecord): void {
    this.registry.remove(record);
  }

  generatedNameRead(record: TaskRecord): void {
    this.registry.indexGeneratedName(record);
  }

  lateFailure(name: string, error: unknown): void {
    if (this.runner !== undefined) this.runner.lateFailure(name, error);
    else this.logger?.warn(`${CoreMessages.lateFailure(name)}: ${describeError(error)}`);
  }

  private logReport(report: ShutdownReport): void {
    if (this.reportLogged || this.logger === undefined) return;
    this.reportLogged = true;
    const level = report.outcome === 'clean' ? 'log' : 'warn';
    this.logger[level](renderShutdownSummary(report));
    this.logger.log(renderShutdownTimeline(report).join('\n'));
  }

  private setState(state: LifecycleState): void {
    const previous = this.state;
    if (previous === state) return;
    this.state = state;
    this.emit(() => ({ type: 'state', state, previous, at: Date.now() }));
    this.debug?.(`lifecycle ${previous} → ${state}`);
  }
}
