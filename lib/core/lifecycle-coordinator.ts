import type { Observable } from 'rxjs';
import type { LifecycleEvent } from './lifecycle-event.interface.js';
import { LifecycleEngine, type CoordinatorAdapterOptions } from './lifecycle-engine.js';
import type {
  AsyncLifecycleOptions,
  ResolvedLifecycleOptions,
} from './lifecycle-options.interface.js';
import { lifecycleOptionWarnings, resolveLifecycleOptions } from './lifecycle-options.validator.js';
import type { LifecycleState } from './lifecycle-state.enum.js';
import type { ShutdownPhase } from './shutdown-phase.enum.js';
import type { ShutdownProgress } from './phase-runner.js';
import type { ReportSections, ShutdownReport } from './shutdown-report.interface.js';
import type {
  ManagedTask,
  ShutdownHookOptions,
  TaskContext,
  TaskOptions,
  TaskSnapshot,
} from './task.interface.js';

export type { CoordinatorAdapterOptions } from './lifecycle-engine.js';

/**
 * Tracks every managed task of the application and shuts them down in phases:
 * GRACEFUL → FORCEFUL → TERMINATE, wave by wave in priority and dependency order, with cleanups
 * that cancellation cannot cut short, and a report at the end. Framework-free; the Nest module
 * provides one per application.
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
  private readonly engine: LifecycleEngine;

  /**
   * @param options validated now: a bad value throws an `InvalidLifecycleOptionError`.
   * @param adapter for framework adapters only (the Nest module).
   */
  constructor(options?: AsyncLifecycleOptions, adapter?: CoordinatorAdapterOptions) {
    const resolved = resolveLifecycleOptions(options ?? {});
    this.engine = new LifecycleEngine(resolved, adapter);
    for (const warning of lifecycleOptionWarnings(resolved)) resolved.logger?.warn(warning);
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
    return this.engine.createTask(fn, options);
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
  shutdown(options?: { phase?: ShutdownPhase; reason?: string }): Promise<ShutdownReport> {
    return this.engine.shutdown(options);
  }

  /**
   * Jumps to the next phase now: drain or GRACEFUL → FORCEFUL → TERMINATE → stop waiting.
   * A repeated signal does this.
   *
   * @example
   * process.on('SIGTERM', () => coordinator.escalate());
   */
  escalate(): void {
    this.engine.escalate();
  }

  /**
   * `starting`, `running`, `draining` (from the first instant of shutdown) or `stopped`.
   *
   * @example
   * if (coordinator.state !== LifecycleState.RUNNING) return reply.code(503).send();
   */
  get state(): LifecycleState {
    return this.engine.state;
  }

  /**
   * Aborted when shutdown begins: stop taking new work (close a consumer, stop a scheduler).
   *
   * @example
   * consumer.on('message', handle, { signal: coordinator.shutdownSignal });
   */
  get shutdownSignal(): AbortSignal {
    return this.engine.shutdownController.signal;
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
    options?: ShutdownHookOptions,
  ): void {
    this.engine.registerShutdownHook(name, fn, options);
  }

  /**
   * Fresh copies of the live tasks, in creation order.
   *
   * @example
   * const running = coordinator.tasks().filter((t) => t.state === TaskState.RUNNING).length;
   */
  tasks(): TaskSnapshot[] {
    return this.engine.tasks();
  }

  /**
   * Whether a live task or a registered shutdown hook has this name — the names `dependsOn`
   * can use right now.
   *
   * @example
   * const dependsOn = ['db-pool', 'cache'].filter((name) => coordinator.isRegistered(name));
   */
  isRegistered(name: string): boolean {
    return this.engine.isRegistered(name);
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
    return this.engine.runner?.report();
  }

  /**
   * The previous process's report, read back from `reportFile` at boot (Nest module).
   *
   * @example
   * if (coordinator.getLastBootReport()?.outcome === 'terminated') logger.warn('last stop was unclean');
   */
  getLastBootReport(): ShutdownReport | undefined {
    const report = this.engine.lastBootReport;
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
    return this.engine.events.asObservable();
  }

  /**
   * The options after validation and defaults.
   *
   * @example
   * const { gracefulMs, forcefulMs, terminateMs } = coordinator.options;
   */
  get options(): ResolvedLifecycleOptions {
    return this.engine.options;
  }

  /**
   * For framework adapters: like `createTask`, but during a shutdown the task joins the wave of
   * its priority while that wave has not ended (an HTTP request on a connection still in use);
   * `undefined` means it is too late — answer 503.
   *
   * @example
   * const task = coordinator.admitTask(() => handle(req, res), { priority: TaskPriority.HIGH });
   * if (task === undefined) return refuse(res);
   */
  admitTask<T>(
    fn: (ctx: TaskContext) => Promise<T> | T,
    options?: TaskOptions,
  ): ManagedTask<T> | undefined {
    return this.engine.admitTask(fn, options);
  }

  /**
   * For framework adapters: `watcher` hears when a shutdown begins (`drain`), enters each phase,
   * and ends (`stopped`). Returns the function that stops it.
   *
   * @example
   * const stop = coordinator.watchShutdown((event) => { if (event.kind === 'phase') closeIntake(); });
   */
  watchShutdown(watcher: (event: ShutdownProgress) => void): () => void {
    return this.engine.watchShutdown(watcher);
  }

  /**
   * For framework adapters: adds a section to every report (`http` — what the drain did).
   *
   * @example
   * coordinator.setReportSection('http', () => ({ ...drainCounters }));
   */
  setReportSection<K extends keyof ReportSections>(
    key: K,
    provider: () => ReportSections[K],
  ): void {
    this.engine.sections.set(key, provider);
  }

  /**
   * For framework adapters: bootstrap finished, readiness may go up (`starting → running`).
   *
   * @example
   * onApplicationBootstrap() { this.coordinator.markRunning(); }
   */
  markRunning(): void {
    this.engine.markRunning();
  }

  /**
   * For framework adapters: the previous process's report, read from disk at boot.
   *
   * @example
   * coordinator.setLastBootReport(JSON.parse(await readFile(reportFile, 'utf8')));
   */
  setLastBootReport(report: ShutdownReport | undefined): void {
    this.engine.lastBootReport = report;
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
    return this.engine.completeReport(ownHandles);
  }
}
