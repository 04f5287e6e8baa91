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
import { INTAKE_INSTALLERS } from '../intake/intake-installers.js';
import { LIFECYCLE_LOGGER } from './lifecycle-logger.provider.js';
import { gateModuleDestroy } from './module-destroy.gate.js';
import { RESOLVED_MODULE_OPTIONS } from './resolved-module-options.interface.js';
import type { ResolvedModuleOptions } from './resolved-module-options.interface.js';
import { checkReportDirectory, readStoredReport, storeReport } from './report-file.store.js';
import { ownHandles } from './shutdown-signal.handler.js';

/** The part of an HTTP adapter whose `beforeClose` starts a plain `app.close()`. */
interface ClosingAdapter {
  beforeClose?: () => unknown;
}

/**
 * Wires the coordinator into Nest's lifecycle (DESIGN §5), one named step per hook: at init the
 * previous report is read; at bootstrap every provider's `onModuleDestroy` is made to wait for
 * the phased shutdown, the intakes are installed, a plain `app.close()` is made to run the
 * shutdown from its earliest step, and readiness goes up; once the server closed,
 * `onApplicationShutdown` finishes the report: lingering handles, the log, `reportFile`.
 */
@Injectable()
export class LifecycleShutdownHooks
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  /** Resolves once `onApplicationBootstrap` has run: the coordinator is running. */
  readonly bootstrapped = createDeferred<void>();
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
    @Inject(RESOLVED_MODULE_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(LIFECYCLE_LOGGER) private readonly logger: LifecycleLogger,
    private readonly adapterHost: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** `listener` runs once the application has closed (the end of `onApplicationShutdown`). */
  whenClosed(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async onModuleInit(): Promise<void> {
    await this.readPreviousReport();
  }

  async onApplicationBootstrap(): Promise<void> {
    const instances = this.singletonInstances();
    gateModuleDestroy(instances, this.coordinator, new Set<unknown>([this]));
    await this.installIntakes(instances);
    this.runShutdownFromAdapterClose();
    this.coordinator.markRunning();
    this.bootstrapped.resolve();
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
      const path = this.options.reportFile;
      if (report === undefined || path === undefined) return;
      try {
        await storeReport(path, report);
      } catch (error) {
        this.logger.warn(LifecycleMessages.reportFileUnwritable(describeError(error)));
      }
    } finally {
      // Whatever happened above: enableLifecycleShutdown's process listeners go with the app.
      for (const listener of this.closeListeners.splice(0)) listener();
    }
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
