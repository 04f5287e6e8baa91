import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:net';
import { AsyncLifecycleModule, LifecycleCoordinator, LifecycleState } from '../../lib/index.js';
import { BootstrapTracker, type BootstrapOutcome } from '../../lib/nest/bootstrap.tracker.js';
import { LifecycleShutdownHooks } from '../../lib/nest/lifecycle-shutdown.hooks.js';
import { deferred } from '../support/deferred.js';
import { OpenApps } from '../support/nest-app.js';

/*
 * When a signal received during bootstrap may start the shutdown (DESIGN §5): once init() and
 * listen() are both over — `await app.init(); await app.listen()` included, so that the shutdown
 * never closes a server about to listen — or as soon as bootstrap failed. Real Nest applications
 * (NestFactory: the application behind Nest's proxy, as users have it).
 */

function appModule(init: () => Promise<void> = () => Promise.resolve()) {
  @Injectable()
  class Slow implements OnModuleInit {
    onModuleInit(): Promise<void> {
      return init();
    }
  }
  @Module({
    imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
    providers: [Slow],
  })
  class AppModule {}
  return AppModule;
}

function track(app: INestApplication): BootstrapTracker {
  const coordinator = app.get(LifecycleCoordinator);
  return new BootstrapTracker(
    app,
    app.get(LifecycleShutdownHooks).bootstrapped.promise,
    coordinator.state !== LifecycleState.STARTING,
  );
}

describe('BootstrapTracker', () => {
  const apps = new OpenApps();
  afterEach(() => apps.closeAll());

  it('settles once listen() is over, after an init() awaited before it, the server listening', async () => {
    const app = apps.track(await NestFactory.create(appModule(), { logger: false }));
    const tracker = track(app);
    const seen: { outcome: BootstrapOutcome; listening: boolean }[] = [];
    void tracker.done.then((outcome) =>
      seen.push({ outcome, listening: (app.getHttpServer() as Server).listening }),
    );
    expect(tracker.pending).toBe(true);
    await app.init();
    await app.listen(0, '127.0.0.1');
    await tracker.done;
    expect(seen).toEqual([{ outcome: { failed: false }, listening: true }]);
    expect(tracker.pending).toBe(false);
    // Nothing of it is left on the application.
    expect(Object.getOwnPropertyNames(app)).not.toContain('init');
    expect(Object.getOwnPropertyNames(app)).not.toContain('listen');
  });

  it('settles as failed, with the error, when bootstrap fails', async () => {
    const failure = new Error('init failed on purpose');
    const app = apps.track(
      await NestFactory.create(
        appModule(() => Promise.reject(failure)),
        { logger: false },
      ),
    );
    const tracker = track(app);
    await expect(app.listen(0, '127.0.0.1')).rejects.toBe(failure);
    await expect(tracker.done).resolves.toEqual({ failed: true, error: failure });
  });

  it('stays pending while init() runs, whatever the order of the calls', async () => {
    const release = deferred();
    const app = apps.track(
      await NestFactory.create(
        appModule(() => release.promise),
        { logger: false },
      ),
    );
    const tracker = track(app);
    const listening = app.listen(0, '127.0.0.1');
    // A turn of the event loop, as a signal would arrive: still bootstrapping.
    await new Promise((resolve) => setImmediate(resolve));
    expect(tracker.pending).toBe(true);
    release.resolve();
    await listening;
    await expect(tracker.done).resolves.toEqual({ failed: false });
  });

  it('is settled at once for an application bootstrapped before it', async () => {
    const app = apps.track(await NestFactory.create(appModule(), { logger: false }));
    await app.init();
    const tracker = track(app);
    expect(tracker.pending).toBe(false);
    await expect(tracker.done).resolves.toEqual({ failed: false });
  });
});
