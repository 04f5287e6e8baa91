import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { ASYNC_LIFECYCLE_OPTIONS } from '../async-lifecycle.module-definition.js';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import { HttpDrain, resolveHttpDrainOptions } from '../http/http-drain.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import type { AsyncLifecycleOptions } from '../core/lifecycle-options.interface.js';
import { Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { describeError } from '../core/describe.js';
import { LIFECYCLE_LOGGER } from './lifecycle-logger.provider.js';
import { gateModuleDestroy } from './module-destroy.gate.js';
import { checkReportDirectory, readStoredReport, storeReport } from './report-file.store.js';
import { ownHandles } from './shutdown-signal.handler.js';

/** The part of an HTTP adapter the module hooks into. */
interface ClosableAdapter {
  beforeClose?: () => unknown;
  close?: () => unknown;
  getHttpServer?: () => unknown;
}

/**
 * Wires the coordinator into Nest's lifecycle (DESIGN §5): the previous report is read at init;
 * readiness goes up at bootstrap; a plain `app.close()` runs the phased shutdown from the HTTP
 * adapter's `beforeClose` (before any `onModuleDestroy`, while the server still serves the
 * requests in flight) and, without HTTP, before the first provider's `onModuleDestroy` (each is
 * gated on it); `onApplicationShutdown`, once the server closed, finishes the report: lingering
 * handles, the log, `reportFile`.
 */
@Injectable()
export class LifecycleShutdownHooks
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  constructor(
    @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
    @Inject(ASYNC_LIFECYCLE_OPTIONS) private readonly options: AsyncLifecycleOptions,
    @Inject(LIFECYCLE_LOGGER) private readonly logger: LifecycleLogger,
    private readonly adapterHost: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
  ) {}

  async onModuleInit(): Promise<void> {
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

  onApplicationBootstrap(): void {
    const instances = [...this.discovery.getProviders(), ...this.discovery.getControllers()]
      .filter(
        (wrapper) => wrapper.isDependencyTreeStatic() && !wrapper.isTransient && !wrapper.isAlias,
      )
      .map((wrapper) => wrapper.instance as unknown);
    gateModuleDestroy(instances, this.coordinator, new Set<unknown>([this]));
    // NestFactory.createApplicationContext sets it to null (a testing module leaves it undefined).
    const adapter = (this.adapterHost?.httpAdapter ?? undefined) as ClosableAdapter | undefined;
    const drain = resolveHttpDrainOptions(this.options.http);
    const server = adapter?.getHttpServer?.();
    if (drain !== undefined && server instanceof HttpServer && adapter !== undefined) {
      const httpDrain = new HttpDrain(
        server as HttpServer<typeof IncomingMessage, typeof ServerResponse>,
        this.coordinator,
        drain,
      );
      httpDrain.install();
      const close = adapter.close;
      // Nest's last step with the server: the drain's own clean ending comes first.
      adapter.close = async () => {
        await httpDrain.finish();
        await close?.call(adapter);
      };
    }
    if (adapter !== undefined) {
      const original = adapter.beforeClose;
      // The earliest step of app.close(): nothing has been torn down, the server still serves.
      adapter.beforeClose = async () => {
        await this.coordinator.shutdown({ reason: 'close' });
        await original?.call(adapter);
      };
    }
    this.coordinator.markRunning();
  }

  async onModuleDestroy(): Promise<void> {
    // Joins the shutdown already run from beforeClose or a signal; runs it for contexts without HTTP.
    await this.coordinator.shutdown({ reason: 'close' });
  }

  async onApplicationShutdown(): Promise<void> {
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
  }
}
