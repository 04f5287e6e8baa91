import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { dirname } from 'node:path';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { createDeferred } from '../core/deferred.js';
import { describeError } from '../core/describe.js';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import type { ShutdownReport } from '../core/shutdown-report.interface.js';
import { LifecycleHealthIndicator } from '../health/lifecycle.health.js';
import { INTAKE_INSTALLERS } from '../intake/intake-installers.js';
import { runBootChecks } from './boot-checks.runner.js';
import { LifecycleTelemetry } from './lifecycle-telemetry.js';
import { LIFECYCLE_LOGGER } from './lifecycle-logger.provider.js';
import { gateModuleDestroy } from './module-destroy.gate.js';
import { RESOLVED_MODULE_OPTIONS } from './resolved-module-options.interface.js';
import type { ResolvedModuleOptions } from './resolved-module-options.interface.js';
import { PreviousRunDetector } from './previous-run.detector.js';
import {
  checkReportDirectory,
  readStoredReport,
  storeReport,
  storeReportSync,
} from './report-file.store.js';
import { storeTerminationLog } from './termination-log.writer.js';
import { ownHandles } from './shutdown-signal.handler.js';

/**
 * Runs the shutdown path once, on a throwaway coordinator holding one task, and reads readiness
 * before, during and after it — so that the process's real shutdown does not run that code for
 * the first time. V8 compiles a function at its first call and its inline caches start empty:
 * a process shuts down once, so without this every SIGTERM ran cold, and readiness went down
 * and the first task was signalled about a millisecond later than warm code takes.
 */
async function warmShutdownPath(): Promise<void> {
  // Never in AsyncLocalStorage, whatever the app's asyncContext: on Node 20 and 22 a first
  // AsyncLocalStorage turns promise hooks on for the whole process, a cost a warm-up must not
  // bring to an app that has no task yet. The shutdown path itself is the same either way.
  const coordinator = new LifecycleCoordinator({
    logger: false,
    progressIntervalMs: 0,
    asyncContext: false,
  });
  const task = coordinator.createTask(
    (ctx) =>
      new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    { name: 'warm-up' },
  );
  const indicator = new LifecycleHealthIndicator(coordinator);
  indicator.isReady();
  const done = coordinator.shutdown({ reason: 'warm-up' });
  indicator.isReady();
  await Promise.all([done, task]);
  indicator.isReady();
}

/** The part of an HTTP adapter whose `beforeClose` starts a plain `app.close()`. */
interface ClosingAdapter {
  beforeClose?: () => unknown;
}

/**
 * Wires the coordinator into Nest's lifecycle (DESIGN §5), one named step per hook: at init a
 * previous run that ended without a report is detected and the previous report is read; at
 * bootstrap every provider's `onModuleDestroy` is made to wait for the phased shutdown, the
 * intakes are installed, a plain `app.close()` is made to run the shutdown from its earliest
 * step, the boot-time checks run and readiness goes up; once the server closed,
 * `onApplicationShutdown` finishes the report: lingering handles, the log, the termination log,
 * `reportFile`.
 */
@Injectable()
export class LifecycleShutdownHooks
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  /** Resolves once `onApplicationBootstrap` has run: the coordinator is running. */
  readonly bootstrapped = createDeferred<void>();
  private readonly closeListeners: (() => void)[] = [];
  private telemetry: LifecycleTelemetry | undefined;

  constructor(
    @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
    @Inject(RESOLVED_MODULE_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(LIFECYCLE_LOGGER) private readonly logger: LifecycleLogger,
    private readonly adapterHost: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    private readonly previousRun: PreviousRunDetector,
    private readonly health: LifecycleHealthIndicator,
  ) {}

  /** `listener` runs once the application has closed (the end of `onApplicationShutdown`). */
  whenClosed(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async onModuleInit(): Promise<void> {
    await this.detectUnreportedRun();
    await this.readPreviousReport();
  }

  async onApplicationBootstrap(): Promise<void> {
    const instances = this.singletonInstances();
    gateModuleDestroy(instances, this.coordinator, new Set<unknown>([this]));
    await this.installIntakes(instances);
    this.runShutdownFromAdapterClose();
    this.startBootChecks(instances);
    await this.startTelemetry();
    this.coordinator.markRunning();
    this.bootstrapped.resolve();
    // Last, readiness already up; it touches nothing of the application's. One that failed
    // would change nothing: the real shutdown runs the same code, only cold.
    warmShutdownPath().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    // Joins the shutdown already run from beforeClose or a signal; runs it for contexts without HTTP.
    await this.coordinator.shutdown({ reason: 'close' });
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      // One loop turn: a server closed just now still holds its handle until its close callback.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const report = this.coordinator.completeReport(ownHandles());
      if (report !== undefined) await this.persist(report);
      // Last: the span ends with the complete report, then the user's flush exports it.
      await this.telemetry?.end(report);
    } finally {
      // Whatever happened above: enableLifecycleShutdown's process listeners go with the app.
      for (const listener of this.closeListeners.splice(0)) listener();
    }
  }

  /**
   * For the watchdog, about to exit the process: what `onApplicationShutdown` would have
   * persisted — the termination log, `reportFile`, the end of this run's marker — synchronously.
   */
  persistSync(report: ShutdownReport): void {
    this.writeTerminationLog(report);
    this.telemetry?.endSpan(report);
    const path = this.options.reportFile;
    if (path === undefined) return;
    try {
      storeReportSync(path, report);
    } catch (error) {
      this.logger.warn(LifecycleMessages.reportFileUnwritable(describeError(error)));
    }
    this.previousRun.finish();
  }

  /** The shutdown's traces for after the process is gone; failures are warnings, never thrown. */
  private async persist(report: ShutdownReport): Promise<void> {
    // First: the orchestrator reads it even when nothing else of the pod survives.
    this.writeTerminationLog(report);
    const path = this.options.reportFile;
    if (path === undefined) return;
    try {
      await storeReport(path, report);
    } catch (error) {
      this.logger.warn(LifecycleMessages.reportFileUnwritable(describeError(error)));
    }
    // The shutdown reached its end (its report written, or the failure said): not a crash.
    this.previousRun.finish();
  }

  private writeTerminationLog(report: ShutdownReport): void {
    const path = this.options.terminationLog;
    if (path === undefined) return;
    const problem = storeTerminationLog(path, report);
    if (problem !== undefined)
      this.logger.warn(LifecycleMessages.terminationLogUnwritable(path, problem));
  }

  /** A previous run that never wrote its report (crash, SIGKILL): one warning, kept for readers. */
  private async detectUnreportedRun(): Promise<void> {
    const path = this.options.reportFile;
    if (path === undefined) return;
    const { unreported, problem } = await this.previousRun.detect(path);
    if (unreported !== undefined) {
      this.logger.warn(
        LifecycleMessages.previousRunUnreported(
          unreported.pid,
          unreported.startedAt,
          unreported.hostname,
          path,
        ),
      );
    }
    // A directory that cannot be written is said once, by readPreviousReport.
    if (problem !== undefined && (await checkReportDirectory(path)) === undefined)
      this.logger.warn(LifecycleMessages.runMarkerUnwritable(problem));
  }

  /** The shutdown as a span, when `telemetry` is on; a missing `@opentelemetry/api` fails bootstrap. */
  private async startTelemetry(): Promise<void> {
    const options = this.options.telemetry;
    if (options === undefined) return;
    const telemetry = await LifecycleTelemetry.start(this.coordinator, this.logger, options);
    this.telemetry = telemetry;
    this.whenClosed(() => telemetry.dispose());
  }

  /** Boot-time checks (keep-alive vs the load balancer, how the process was started, readiness). */
  private startBootChecks(instances: readonly object[]): void {
    const release = runBootChecks(this.options.bootChecks, this.logger, {
      httpAdapter: this.adapterHost?.httpAdapter as unknown,
      httpIntake: this.options.intakes.has('http'),
      instances,
      indicator: this.health,
      own: new Set<object>([this]),
    });
    this.whenClosed(release);
  }

  /** The report the previous process left in `reportFile`, for `getLastBootReport()`. */
  private async readPreviousReport(): Promise<void> {
    const path = this.options.reportFile;
    if (path === undefined) return;
    const stored = await readStoredReport(path);
    if (stored.kind === 'report') {
      const { outcome, reason, startedAt } = stored.report;
      this.coordinator.setLastBootReport(stored.report);
      this.logger.log(LifecycleMessages.reportFileRead(path, outcome, reason, startedAt));
    } else if (stored.kind === 'missing') {
      this.logger.log(LifecycleMessages.reportFileMissing(path));
      // Said now, when someone reads the boot log, rather than at the shutdown.
      const problem = await checkReportDirectory(path);
      if (problem !== undefined)
        this.logger.warn(LifecycleMessages.reportDirectoryUnusable(path, dirname(path), problem));
    } else {
      this.logger.warn(LifecycleMessages.reportFileUnreadable(path, stored.problem));
    }
  }

  /** Instances of the singleton providers and controllers (not request-scoped nor transient). */
  private singletonInstances(): object[] {
    const instances: object[] = [];
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient || wrapper.isAlias) continue;
      const instance: unknown = wrapper.instance;
      if (typeof instance === 'object' && instance !== null) instances.push(instance);
    }
    return instances;
  }

  /** Each intake in use finds what it drains (a server, gateways, workers) and registers it. */
  private async installIntakes(instances: readonly object[]): Promise<void> {
    const context = {
      coordinator: this.coordinator,
      logger: this.logger,
      // `undefined` under Test.createTestingModule, `null` in createApplicationContext.
      httpAdapter: this.adapterHost?.httpAdapter as unknown,
      instances,
      app: this.moduleRef,
    };
    for (const installer of INTAKE_INSTALLERS) {
      const options = this.options.intakes.get(installer.option);
      if (options !== undefined) await installer.install(context, options);
    }
  }

  /**
   * A plain `app.close()` runs the phased shutdown from its earliest step, the HTTP adapter's
   * `beforeClose` — nothing has been torn down and the server still serves the requests in
   * flight. Without an adapter, the gated `onModuleDestroy` hooks run it.
   */
  private runShutdownFromAdapterClose(): void {
    const adapter = this.adapterHost?.httpAdapter as ClosingAdapter | null | undefined;
    if (adapter == null) return;
    const original = adapter.beforeClose;
    adapter.beforeClose = async () => {
      await this.coordinator.shutdown({ reason: 'close' });
      await original?.call(adapter);
    };
  }
}
