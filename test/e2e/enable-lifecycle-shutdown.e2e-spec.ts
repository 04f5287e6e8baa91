import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ManagedTask,
  enableLifecycleShutdown,
  type TaskContext,
} from '../../lib/index.js';
import { untilAborted } from '../support/deferred.js';
import { OpenApps } from '../support/nest-app.js';
import { RecordingLogger } from '../support/recording-logger.js';

/*
 * What enableLifecycleShutdown(app) leaves in the process (DESIGN §5, §7): its listeners go with
 * the application on a plain app.close(), and Nest's own enableShutdownHooks() beside it is
 * switched off for the same signals, with one warning. Real applications, no signal sent: the
 * listeners are read from the process (the process tests send the real signals).
 */

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function listenerCounts(): Record<string, number> {
  return Object.fromEntries(SIGNALS.map((signal) => [signal, process.listenerCount(signal)]));
}

@Injectable()
class Worker {
  @ManagedTask()
  run(ctx: TaskContext) {
    return untilAborted(ctx.signal).catch(() => undefined);
  }
}

function workerModule(logger: RecordingLogger | false) {
  @Module({
    imports: [AsyncLifecycleModule.forRoot({ logger, progressIntervalMs: 0 })],
    providers: [Worker],
  })
  class WorkerModule {}
  return WorkerModule;
}

describe('enableLifecycleShutdown(app) in the process', () => {
  const apps = new OpenApps();
  let baseline: Record<string, number>;
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.name);

  beforeEach(() => {
    baseline = listenerCounts();
    warnings.length = 0;
    process.on('warning', onWarning);
  });

  afterEach(async () => {
    await apps.closeAll();
    process.removeListener('warning', onWarning);
  });

  it('a plain app.close() removes its listeners: eleven apps in a row leave none, no MaxListeners warning', async () => {
    for (let i = 0; i < 11; i++) {
      const app = apps.track(
        await NestFactory.createApplicationContext(workerModule(false), { logger: false }),
      );
      enableLifecycleShutdown(app);
      expect(listenerCounts()).toEqual({
        SIGTERM: baseline.SIGTERM + 1,
        SIGINT: baseline.SIGINT + 1,
      });
      await app.close();
      expect(listenerCounts()).toEqual(baseline);
    }
    // Emitted on the next tick, if ever.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('a closed app leaves nothing that could act on it: its methods are its own again', async () => {
    const app = apps.track(
      await NestFactory.createApplicationContext(workerModule(false), { logger: false }),
    );
    enableLifecycleShutdown(app);
    await app.close();
    for (const name of ['init', 'listen', 'enableShutdownHooks']) {
      expect(Object.getOwnPropertyNames(app)).not.toContain(name);
    }
    expect(app.get(LifecycleCoordinator).getReport()).toMatchObject({ reason: 'close' });
  });

  it.each([['before'], ['after']])(
    "Nest's enableShutdownHooks() called %s it: Nest's listeners for the same signals are removed, said once",
    async (order) => {
      const logger = new RecordingLogger();
      const app = apps.track(
        await NestFactory.createApplicationContext(workerModule(logger), {
          logger: false,
        }),
      );
      if (order === 'before') app.enableShutdownHooks();
      enableLifecycleShutdown(app);
      if (order === 'after') app.enableShutdownHooks();
      // A second call changes nothing and says nothing more.
      app.enableShutdownHooks();

      expect(listenerCounts()).toEqual({
        SIGTERM: baseline.SIGTERM + 1,
        SIGINT: baseline.SIGINT + 1,
      });
      const said = logger.messages('warn').filter((m) => m.includes('app.enableShutdownHooks()'));
      expect(said).toEqual([
        "app.enableShutdownHooks() is on beside enableLifecycleShutdown(app): Nest's listeners for SIGTERM, SIGINT were removed, enableLifecycleShutdown handles them (Nest's would close the application a second time and re-raise the signal: exit 143 instead of 0). Remove the enableShutdownHooks() call.",
      ]);
      await app.close();
      // Nest's other signals (SIGHUP, SIGQUIT …) stay Nest's until its close removes them.
      expect(listenerCounts()).toEqual(baseline);
    },
  );

  it("leaves Nest's enableShutdownHooks() alone for the signals it does not handle", async () => {
    const app = apps.track(
      await NestFactory.createApplicationContext(workerModule(false), {
        logger: false,
      }),
    );
    const hup = process.listenerCount('SIGHUP');
    app.enableShutdownHooks();
    enableLifecycleShutdown(app, { signals: ['SIGTERM'] });
    expect(process.listenerCount('SIGHUP')).toBe(hup + 1);
    expect(process.listenerCount('SIGINT')).toBe(baseline.SIGINT + 1);
    expect(process.listenerCount('SIGTERM')).toBe(baseline.SIGTERM + 1);
    await app.close();
    expect(process.listenerCount('SIGHUP')).toBe(hup);
    expect(listenerCounts()).toEqual(baseline);
  });
});
