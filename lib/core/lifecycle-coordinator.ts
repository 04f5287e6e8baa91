import { Subject, type Observable } from 'rxjs';
import type { CallTaskTemplate } from './call-task-template.js';
import { CancelledError } from './cancelled.error.js';
import type { CallbackResult } from './deadline-run.js';
import { describeError, stackOf } from './describe.js';
import { HookRecord } from './hook-record.js';
import type { Intake, IntakeHandle, IntakeReports, IntakeState } from './intake.interface.js';
import { InvalidLifecycleOptionError } from './invalid-option.error.js';
import type { LifecycleEvent } from './lifecycle-event.interface.js';
import type { LifecycleLogger } from './lifecycle-logger.interface.js';
import type {
  LifecycleCoordinatorOptions,
  ResolvedLifecycleOptions,
} from './lifecycle-options.interface.js';
import {
  checkDuration,
  checkPriority,
  lifecycleOptionWarnings,
  resolveLifecycleOptions,
} from './lifecycle-options.validator.js';
import { LifecycleState } from './lifecycle-state.enum.js';
import { CoreMessages } from './lifecycle.messages.js';
import { countActiveResources, lingeringSince } from './lingering-resources.js';
import { checkTaskName } from './name-check.js';
import { guardLogger } from './safe-logger.js';
import { PHASE_ORDER, type ShutdownPhase } from './shutdown-phase.enum.js';
import { ShutdownInProgressError } from './shutdown-in-progress.error.js';
import { planShutdown } from './shutdown-plan.js';
import type { ShutdownReport } from './shutdown-report.interface.js';
import type { ProbeReport } from './shutdown-report.js';
import { ShutdownRun, type IntakeStep, type RunHost } from './shutdown-run.js';
import { taskContextStorage } from './task-context.storage.js';
import { TaskPriority } from './task-priority.enum.js';
import { recordClassFor, recordOf, type TaskObserver, type TaskRecord } from './task-record.js';
import { TaskRegistry } from './task-registry.js';
import type { TaskState } from './task-state.enum.js';
import type {
  ManagedTask,
  ShutdownHookOptions,
  StopMode,
  TaskContext,
  TaskOptions,
  TaskSnapshot,
} from './task.interface.js';
import { renderShutdownSummary, renderShutdownTimeline } from './timeline.renderer.js';

/** See `createCallTask`; set by the coordinator's static block, which can reach its internals. */
/** See `probeReportOf`; set by the coordinator's static block. */
let probeReportFrom: (coordinator: LifecycleCoordinator, rows: number) => ProbeReport | undefined;

let createFromTemplate: <T>(
  coordinator: LifecycleCoordinator,
  template: CallTaskTemplate,
  fn: (ctx: TaskContext) => Promise<T> | T,
) => TaskRecord<T>;

function checkFunction(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw InvalidLifecycleOptionError.invalid(path, value, 'a function');
  }
}

function checkStopMode(value: unknown, fallback: StopMode): StopMode {
  if (value === undefined) return fallback;
  if (value !== 'abort' && value !== 'drain') {
    throw InvalidLifecycleOptionError.invalid('stop', value, `'abort' or 'drain'`);
  }
  return value;
}

/** How a framework adapter (the Nest module) drives the coordinator. */
export interface CoordinatorAdapterOptions {
  /** Start in `STARTING` until `markRunning()`; readiness stays down during bootstrap. */
  startInStartingState?: boolean;
  /** Do not log the report when the shutdown ends; the adapter calls `completeReport()` later. */
  deferReportLog?: boolean;
}

/** An intake as the coordinator keeps it: which steps it has heard of. */
interface RegisteredIntake {
  readonly intake: Intake;
  readonly steps: Set<IntakeStep>;
}

const INTAKE_STEP_METHODS = {
  started: 'shutdownStarted',
  closed: 'intakeClosed',
  forceful: 'forcefulStarted',
  ended: 'shutdownEnded',
} as const satisfies Record<IntakeStep, keyof Intake>;

/**
 * Tracks every managed task of the application and shuts them down in phases:
 * GRACEFUL → FORCEFUL → TERMINATE, wave by wave in priority and dependency order, with cleanups
 * that cancellation cannot cut short, and a report at the end. Framework-free; the Nest module
 * provides one per application.
 *
 * It owns the live tasks, hooks and intakes and the application's state; each shutdown is a
 * `ShutdownRun` that owns everything about that shutdown. Task records report to the coordinator,
 * which hands a task's end on to the run.
 *
 * @example
 * const coordinator = new LifecycleCoordinator({ phases: { gracefulMs: 10_000 } });
 * coordinator.createTask(async ({ signal }) => {
 *   while (!signal.aborted) await drainQueue(signal);
 * }, { name: 'consumer', priority: TaskPriority.HIGH });
 * process.once('SIGTERM', async () => {
 *   const report = await coordinator.shutdown({ reason: 'SIGTERM' });
 *   process.exitCode = report.outcome === 'terminated' ? 1 : 0;
 * });
 */
export class LifecycleCoordinator {
  readonly #options: ResolvedLifecycleOptions;
  readonly #logger: LifecycleLogger | undefined;
  readonly #debug: ((message: string) => unknown) | undefined;
  readonly #adapter: CoordinatorAdapterOptions;
  readonly #registry = new TaskRegistry();
  readonly #events = new Subject<LifecycleEvent>();
  readonly #shutdownController = new AbortController();
  readonly #baseline = countActiveResources();
  readonly #intakes = new Set<RegisteredIntake>();
  readonly #observer: TaskObserver;
  /** Its own record class: the observer on its prototype (see `recordClassFor`). */
  readonly #Record: typeof TaskRecord;
  readonly #runHost: RunHost;
  /** Tasks run inside AsyncLocalStorage (`currentTask()`): the `asyncContext` option. */
  readonly #asyncContext: boolean;
  #state: LifecycleState;
  #run: ShutdownRun | undefined;
  #lastBootReport: ShutdownReport | undefined;
  #seq = 0;
  #reportLogged = false;

  // The one way in to #createCallTask from outside the class (`createCallTask`, internal).
  static {
    createFromTemplate = (coordinator, template, fn) => coordinator.#createCallTask(template, fn);
    probeReportFrom = (coordinator, rows) => coordinator.#run?.probeReport(rows);
  }

  /**
   * @param options validated now: a bad value throws an `InvalidLifecycleOptionError`.
   * @param adapter for framework adapters only (the Nest module).
   */
  constructor(options?: LifecycleCoordinatorOptions, adapter: CoordinatorAdapterOptions = {}) {
    const resolved = resolveLifecycleOptions(options ?? {});
    const logger = resolved.logger === undefined ? undefined : guardLogger(resolved.logger);
    this.#options = { ...resolved, logger };
    this.#logger = logger;
    if (logger?.debug !== undefined) this.#debug = (message) => logger.debug?.(message);
    this.#adapter = adapter;
    this.#state =
      adapter.startInStartingState === true ? LifecycleState.STARTING : LifecycleState.RUNNING;
    this.#asyncContext = resolved.asyncContext;
    this.#observer = this.#makeObserver();
    this.#Record = recordClassFor(this.#observer);
    this.#runHost = this.#makeRunHost();
    for (const warning of lifecycleOptionWarnings(resolved)) logger?.warn(warning);
  }

  /**
   * Starts `fn` now as a managed task and returns its handle. Throws `ShutdownInProgressError`
   * once shutdown began, `DuplicateTaskNameError` / `UnknownDependencyError` for bad names.
   *
   * @example
   * const sync = coordinator.createTask((ctx) => syncAll(ctx.signal), {
   *   name: 'sync',
   *   dependsOn: ['db-pool'],
   *   cleanup: () => tmp.remove(),
   * });
   * const count = await sync;
   */
  createTask<T>(fn: (ctx: TaskContext) => Promise<T> | T, options?: TaskOptions): ManagedTask<T> {
    const run = this.#run;
    if (run !== undefined) {
      // Work in flight may still start what it needs (a handler's call, a hook's flush): the
      // shutdown accepted that work. Anyone else is refused.
      if (!this.#calledFromLiveWork(run)) throw new ShutdownInProgressError('start a task');
      const nested = this.#newRecord(fn, options, 'abort');
      this.#registry.add(nested);
      run.admit(nested, true);
      nested.start(fn, this.#asyncContext);
      return nested;
    }
    const record = this.#newRecord(fn, options, 'abort');
    this.#registry.add(record);
    record.start(fn, this.#asyncContext);
    return record;
  }

  /**
   * Runs the phased shutdown once and resolves with its report; later and concurrent calls get
   * the same promise (asking for a later `phase` escalates the running shutdown). Never rejects
   * because of a task.
   *
   * @example
   * const report = await coordinator.shutdown({ reason: 'SIGTERM' });
   * console.log(report.outcome, report.abandoned);
   */
  shutdown(options: { phase?: ShutdownPhase; reason?: string } = {}): Promise<ShutdownReport> {
    const { phase, reason = 'manual' } = options;
    if (phase !== undefined && !PHASE_ORDER.includes(phase)) {
      throw InvalidLifecycleOptionError.invalid(
        'shutdown({ phase })',
        phase,
        `one of ${PHASE_ORDER.join(', ')}`,
      );
    }
    if (this.#run !== undefined) {
      // Idempotent: a second call joins the running shutdown, escalating if it asks for more.
      if (phase !== undefined) this.#run.escalateTo(phase);
      return this.#run.done;
    }
    const label = describeError(reason);
    const run = new ShutdownRun(
      this.#runHost,
      planShutdown(this.#registry.first, this.#registry.hooks()),
      label,
    );
    // Set before any user code can run (state subscribers, shutdownSignal listeners).
    this.#run = run;
    this.#setState(LifecycleState.DRAINING);
    this.#shutdownController.abort(
      new CancelledError(`Shutdown began (${label})`, { reason: label }),
    );
    run.begin(phase);
    return run.done;
  }

  /**
   * Jumps to the next phase now: drain or GRACEFUL → FORCEFUL → TERMINATE → stop waiting.
   * A repeated signal does this.
   *
   * @example
   * process.on('SIGTERM', () => coordinator.escalate());
   */
  escalate(): void {
    this.#run?.escalate('escalate');
  }

  /**
   * `starting`, `running`, `draining` (from the first instant of shutdown) or `stopped`.
   *
   * @example
   * if (coordinator.state !== LifecycleState.RUNNING) return reply.code(503).send();
   */
  get state(): LifecycleState {
    return this.#state;
  }

  /**
   * Aborted when shutdown begins: stop taking new work (close a consumer, stop a scheduler).
   *
   * @example
   * consumer.on('message', handle, { signal: coordinator.shutdownSignal });
   */
  get shutdownSignal(): AbortSignal {
    return this.#shutdownController.signal;
  }

  /**
   * Registers a component's stop method to run during the shutdown, in the same waves as tasks:
   * after the tasks of its own wave, before those it depends on. What `@OnShutdown` registers.
   *
   * @example
   * coordinator.registerShutdownHook('db-pool', () => pool.end(), {
   *   priority: TaskPriority.CRITICAL,
   * });
   */
  registerShutdownHook(
    name: string,
    fn: (ctx: TaskContext) => unknown,
    options: ShutdownHookOptions = {},
  ): void {
    if (this.#run !== undefined) throw new ShutdownInProgressError('register a shutdown hook');
    checkTaskName('name', name);
    if (typeof fn !== 'function') {
      throw InvalidLifecycleOptionError.invalid(
        `registerShutdownHook("${name}", fn)`,
        fn,
        'a function',
      );
    }
    const priority = checkPriority('priority', options.priority, TaskPriority.NORMAL);
    const timeoutMs = checkDuration('timeoutMs', options.timeoutMs, this.#options.cleanupTimeoutMs);
    this.#registry.assertNameFree(name);
    const dependencies = this.#registry.resolve(name, options.dependsOn);
    this.#registry.addHook(new HookRecord(name, fn, priority, dependencies, timeoutMs));
  }

  /**
   * Plugs in something that takes work in from outside (DESIGN §4 "Intakes"): it hears when the
   * shutdown begins, when intake closes, when FORCEFUL starts and when it is over, adds its
   * section to the report, and admits its units of work through the returned handle.
   *
   * @example
   * const handle = coordinator.registerIntake({ name: 'jobs', shutdownStarted: () => worker.pause() });
   * worker.on('job', (job) => handle.admit(() => run(job)) ?? job.requeue());
   */
  registerIntake(intake: Intake): IntakeHandle {
    if (this.#run !== undefined) throw new ShutdownInProgressError('register an intake');
    if (typeof intake?.name !== 'string' || intake.name === '') {
      throw InvalidLifecycleOptionError.invalid('intake.name', intake?.name, 'a non-empty string');
    }
    const entry: RegisteredIntake = { intake, steps: new Set() };
    this.#intakes.add(entry);
    const running = (): boolean => this.#run !== undefined;
    return {
      admit: (fn, options) => this.#admit(fn, options),
      noteArrival: () => this.#run?.noteArrival(),
      get state(): IntakeState {
        if (entry.steps.has('closed')) return 'closed';
        return running() ? 'draining' : 'open';
      },
      unregister: () => void this.#intakes.delete(entry),
    };
  }

  /**
   * Fresh copies of the live tasks, in creation order.
   *
   * @example
   * const running = coordinator.tasks().filter((t) => t.state === TaskState.RUNNING).length;
   */
  tasks(): TaskSnapshot[] {
    const snapshots: TaskSnapshot[] = [];
    for (const record of this.#registry.tasks()) {
      snapshots.push({
        id: record.id,
        // `label`, not `name`: a snapshot must not index every generated name as a side effect.
        name: record.label,
        priority: record.priority,
        state: record.state,
        dependsOn: record.dependencies?.map((node) => node.label) ?? [],
        signalCreated: record.signalCreated,
        stop: record.stopMode,
      });
    }
    return snapshots;
  }

  /**
   * Whether a live task or a registered shutdown hook has this name — the names `dependsOn`
   * can use right now.
   *
   * @example
   * const dependsOn = ['db-pool', 'cache'].filter((name) => coordinator.isRegistered(name));
   */
  isRegistered(name: string): boolean {
    return this.#registry.lookup(name) !== undefined;
  }

  /**
   * The current shutdown's report so far, or the finished one (with late failures that arrived
   * after `shutdown()` resolved); a fresh copy each call. `undefined` before any shutdown.
   *
   * @example
   * const report = coordinator.getReport();
   * if (report && !report.finished) console.log(`in ${report.phaseReached} phase`);
   */
  getReport(): ShutdownReport | undefined {
    return this.#run?.report();
  }

  /**
   * The previous process's report, read back from `reportFile` at boot (Nest module).
   *
   * @example
   * if (coordinator.getLastBootReport()?.outcome === 'terminated') logger.warn('last stop was unclean');
   */
  getLastBootReport(): ShutdownReport | undefined {
    const report = this.#lastBootReport;
    return report === undefined ? undefined : structuredClone(report);
  }

  /**
   * State, phase, wave, task and hook events. Completes when the shutdown finished. Events are
   * only built while someone subscribes.
   *
   * @example
   * coordinator.events$.subscribe((event) => logger.debug(JSON.stringify(event)));
   */
  get events$(): Observable<LifecycleEvent> {
    return this.#events.asObservable();
  }

  /**
   * The options after validation and defaults.
   *
   * @example
   * const { gracefulMs, forcefulMs, terminateMs } = coordinator.options;
   */
  get options(): ResolvedLifecycleOptions {
    return this.#options;
  }

  /**
   * For framework adapters: bootstrap finished, readiness may go up (`starting → running`).
   *
   * @example
   * onApplicationBootstrap() { this.coordinator.markRunning(); }
   */
  markRunning(): void {
    if (this.#state === LifecycleState.STARTING) this.#setState(LifecycleState.RUNNING);
  }

  /**
   * For framework adapters: the previous process's report, read from disk at boot.
   *
   * @example
   * coordinator.setLastBootReport(JSON.parse(await readFile(reportFile, 'utf8')));
   */
  setLastBootReport(report: ShutdownReport | undefined): void {
    this.#lastBootReport = report;
  }

  /**
   * For framework adapters, once the application has closed: re-audits the handles still alive
   * into the report's `lingering` (less `ownHandles`, those the adapter holds itself, such as a
   * watchdog timer), logs the summary and timeline (once) and returns the report.
   *
   * @example
   * async onApplicationShutdown() { await persist(this.coordinator.completeReport()); }
   */
  completeReport(ownHandles?: Readonly<Record<string, number>>): ShutdownReport | undefined {
    const run = this.#run;
    if (run === undefined || !run.finished) return run?.report();
    run.refreshLingering(ownHandles);
    const report = run.report();
    this.#logReport(report);
    return report;
  }

  /** Whether the caller runs inside a task of ours still running, or a hook of `run` (ALS). */
  #calledFromLiveWork(run: ShutdownRun): boolean {
    const ctx = taskContextStorage.getStore();
    if (ctx === undefined) return false;
    const record = recordOf(ctx);
    if (record !== undefined) return record.observer === this.#observer && !record.ended;
    return run.runsHook(ctx);
  }

  /**
   * `createTask` from a template validated once: the same refusal, admission and start, with
   * no option to check or resolve — only the call's name and its live dependencies.
   */
  #createCallTask<T>(
    template: CallTaskTemplate,
    fn: (ctx: TaskContext) => Promise<T> | T,
  ): TaskRecord<T> {
    const registry = this.#registry;
    if (!template.isNumberedBy(registry)) {
      template.numberWith(registry, registry.callCounter(template.name));
    }
    // Numbered first, as `createTask({ name: ... })` was called with it: a refused call uses it.
    const name = template.nextName();
    const run = this.#run;
    if (run !== undefined && !this.#calledFromLiveWork(run)) {
      throw new ShutdownInProgressError('start a task');
    }
    registry.assertCallNameFree(name);
    const dependsOn = template.dependsOn;
    const record = new this.#Record<T>(
      ++this.#seq,
      name,
      template.priority,
      dependsOn.length === 0 ? undefined : registry.resolveLive(dependsOn),
      template.options,
      template.stop,
    );
    record.markUnindexed();
    registry.add(record);
    if (run !== undefined) run.admit(record, true);
    record.start(fn, this.#asyncContext);
    return record;
  }

  /** `createTask` for intakes: joins a running shutdown's wave while it is open. */
  #admit<T>(
    fn: (ctx: TaskContext) => Promise<T> | T,
    options: TaskOptions | undefined,
  ): ManagedTask<T> | undefined {
    const run = this.#run;
    if (run !== undefined && !run.canAdmit(options?.priority ?? TaskPriority.NORMAL)) {
      return undefined;
    }
    const record = this.#newRecord(fn, options, 'drain', true);
    this.#registry.add(record);
    // Not an arrival by itself: the intake says what counts as new traffic (a request does, a
    // probe or a message on a long-lived connection does not), with noteArrival().
    if (run !== undefined) run.admit(record);
    record.start(fn, this.#asyncContext);
    return record;
  }

  /** Validates the arguments of a new task and builds its record (not yet started). */
  #newRecord<T>(
    fn: (ctx: TaskContext) => Promise<T> | T,
    options: TaskOptions | undefined,
    defaultStop: StopMode,
    forIntake = false,
  ): TaskRecord<T> {
    if (typeof fn !== 'function') {
      throw InvalidLifecycleOptionError.invalid('createTask(fn)', fn, 'a function');
    }
    const seq = ++this.#seq;
    let priority = TaskPriority.NORMAL;
    let name: string | undefined;
    let dependencies: TaskRecord['dependencies'];
    let kept: TaskOptions | undefined;
    let stop = defaultStop;
    let unindexed = false;
    if (options !== undefined) {
      priority = checkPriority('priority', options.priority, TaskPriority.NORMAL);
      if (options.name !== undefined) {
        name = checkTaskName('name', options.name);
        // An intake admits from a server's listener, where a throw would take the process down
        // and lose the unit of work: a name someone holds labels it without being claimed.
        if (forIntake) unindexed = !this.#registry.isNameFree(name);
        else this.#registry.assertNameFree(name);
      }
      dependencies = this.#registry.resolve(name ?? `task#${seq}`, options.dependsOn);
      checkFunction('cleanup', options.cleanup);
      checkFunction('onError', options.onError);
      checkDuration('cleanupTimeoutMs', options.cleanupTimeoutMs, 0);
      stop = checkStopMode(options.stop, defaultStop);
      // Keep the options only when they hold callbacks: most tasks then retain nothing extra.
      if (options.cleanup !== undefined || options.onError !== undefined) kept = options;
    }
    const record = new this.#Record<T>(seq, name, priority, dependencies, kept, stop);
    if (unindexed) record.markUnindexed();
    return record;
  }

  #makeObserver(): TaskObserver {
    const run = (): ShutdownRun | undefined => this.#run;
    return {
      cleanupTimeoutMs: this.#options.cleanupTimeoutMs,
      get phase() {
        return run()?.phase;
      },
      taskChanged: (record, previous) => this.#taskChanged(record, previous),
      taskFailed: (record, error) =>
        this.#logger?.error(
          `${CoreMessages.taskFailed(record.label)}: ${describeError(error)}`,
          stackOf(error),
        ),
      cleanupEnded: (record, result) => this.#cleanupEnded(record, result),
      taskFinished: (record) => this.#registry.remove(record),
      generatedNameRead: (record) => this.#registry.indexGeneratedName(record),
      lateFailure: (name, error) => {
        if (this.#run !== undefined) this.#run.lateFailure(name, error);
        else this.#logger?.warn(`${CoreMessages.lateFailure(name)}: ${describeError(error)}`);
      },
    };
  }

  #makeRunHost(): RunHost {
    return {
      options: this.#options,
      logger: this.#logger,
      emit: (build) => this.#emit(build),
      intakeStep: (step) => this.#intakeStep(step),
      intakeReports: () => this.#intakeReports(),
      auditLingering: () => lingeringSince(this.#baseline),
      runEnded: (report) => {
        this.#setState(LifecycleState.STOPPED);
        if (this.#adapter.deferReportLog !== true) this.#logReport(report);
        this.#events.complete();
      },
    };
  }

  #taskChanged(record: TaskRecord, previous: TaskState): void {
    if (this.#events.observed) {
      this.#events.next({
        type: 'task',
        id: record.id,
        name: record.label,
        priority: record.priority,
        state: record.state,
        previous,
        at: Date.now(),
      });
    }
    this.#debug?.(CoreMessages.taskState(record.label, record.priority, previous, record.state));
    if (record.ended) this.#run?.taskEnded(record);
  }

  #cleanupEnded(record: TaskRecord, result: CallbackResult): void {
    if (result.outcome !== 'ok') {
      const message = CoreMessages.callbackTrouble(
        `Cleanup of task "${record.label}"`,
        result.outcome,
      );
      this.#logger?.warn(`${message}: ${describeError(result.error)}`);
    }
    this.#run?.cleanupEnded(record, result);
  }

  /** Tells every intake of a step, once each; one that throws is logged, the others still hear. */
  #intakeStep(step: IntakeStep): void {
    const method = INTAKE_STEP_METHODS[step];
    for (const entry of this.#intakes) {
      if (entry.steps.has(step)) continue;
      entry.steps.add(step);
      try {
        entry.intake[method]?.();
      } catch (error) {
        this.#logger?.warn(
          `${CoreMessages.intakeFailed(entry.intake.name, method)}: ${describeError(error)}`,
        );
      }
    }
  }

  #intakeReports(): IntakeReports {
    const reports: IntakeReports = {};
    for (const { intake } of this.#intakes) {
      if (intake.report === undefined) continue;
      try {
        reports[intake.name] = intake.report();
      } catch (error) {
        reports[intake.name] = { error: describeError(error) };
      }
    }
    return reports;
  }

  #emit(build: () => LifecycleEvent): void {
    if (this.#events.observed) this.#events.next(build());
  }

  #logReport(report: ShutdownReport): void {
    if (this.#reportLogged || this.#logger === undefined) return;
    this.#reportLogged = true;
    const level = report.outcome === 'clean' ? 'log' : 'warn';
    this.#logger[level](renderShutdownSummary(report));
    this.#logger.log(renderShutdownTimeline(report).join('\n'));
  }

  #setState(state: LifecycleState): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.#emit(() => ({ type: 'state', state, previous, at: Date.now() }));
    this.#debug?.(`lifecycle ${previous} → ${state}`);
  }
}

/**
 * Creates a task from `template` — what `createTask()` does with the template's options and the
 * name `<name>#<n>`, without validating them again: the fast path of
 * `@ManagedTask({ start: 'call' })`, one task per call. Throws `ShutdownInProgressError` once a
 * shutdown began (unless called from work in flight) and `DuplicateTaskNameError` when the
 * call's name is taken.
 *
 * @example
 * const template = new CallTaskTemplate({ name: 'Jobs.process' });
 * await createCallTask(coordinator, template, () => jobs.process(job)); // task "Jobs.process#1"
 */
export function createCallTask<T>(
  coordinator: LifecycleCoordinator,
  template: CallTaskTemplate,
  fn: (ctx: TaskContext) => Promise<T> | T,
): TaskRecord<T> {
  return createFromTemplate(coordinator, template, fn);
}

/**
 * The current shutdown's report as a readiness probe shows it — a task row for at most `rows`
 * tasks neither completed nor cancelled, with the tasks still running counted by priority — in
 * one pass over the tasks; `undefined` before any shutdown. Internal: for the health indicator,
 * whose probes come every second and must not cost a row per task.
 *
 * @example
 * const view = probeReportOf(coordinator, 20);
 * if (view) console.log(view.running, view.report.tasks.length);
 */
export function probeReportOf(
  coordinator: LifecycleCoordinator,
  rows: number,
): ProbeReport | undefined {
  return probeReportFrom(coordinator, rows);
}
