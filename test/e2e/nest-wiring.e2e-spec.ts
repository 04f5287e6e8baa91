import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AsyncLifecycleModule,
  CancellationSafe,
  ManagedTask,
  enableLifecycleShutdown,
  type TaskContext,
} from '../../lib/index.js';
import { untilAborted } from '../support/deferred.js';
import { OpenApps } from '../support/nest-app.js';
import { RecordingLogger } from '../support/recording-logger.js';

describe('Nest wiring edge cases', () => {
  const apps = new OpenApps();
  afterEach(() => apps.closeAll());

  it('leaves a frozen provider alone instead of failing bootstrap', async () => {
    const log: string[] = [];
    const frozen: OnModuleDestroy = Object.freeze({
      onModuleDestroy: () => void log.push('frozen destroyed'),
    });
    @Injectable()
    class Worker {
      @ManagedTask()
      run(ctx: TaskContext) {
        return untilAborted(ctx.signal).catch(() => void log.push('worker stopped'));
      }
    }
    @Module({
      imports: [AsyncLifecycleModule.forRoot({ logger: false })],
      providers: [{ provide: 'FROZEN', useValue: frozen }, Worker],
    })
    class AppModule {}
    const app = apps.track(await Test.createTestingModule({ imports: [AppModule] }).compile());
    await app.init();
    await app.close();
    expect(log).toContain('frozen destroyed');
    expect(log).toContain('worker stopped');
  });

  it('explains that enableLifecycleShutdown needs the module', async () => {
    @Module({})
    class BareModule {}
    const app = apps.track(await Test.createTestingModule({ imports: [BareModule] }).compile());
    expect(() => enableLifecycleShutdown(app)).toThrow(
      'enableLifecycleShutdown(app) needs AsyncLifecycleModule: import AsyncLifecycleModule.forRoot() in the root module',
    );
  });

  it('warns at bootstrap that @CancellationSafe cannot see tasks when asyncContext is false', async () => {
    const logger = new RecordingLogger();
    @Injectable()
    class Locks {
      @CancellationSafe('unlock')
      async work() {}
      unlock() {}
    }
    @Module({
      imports: [AsyncLifecycleModule.forRoot({ logger, asyncContext: false })],
      providers: [Locks],
    })
    class AppModule {}
    const app = apps.track(await Test.createTestingModule({ imports: [AppModule] }).compile());
    await app.init();
    expect(logger.messages('warn')).toEqual([
      'asyncContext is false: @CancellationSafe() on Locks.work cannot see the managed task it runs in, so only a cancellation it throws itself triggers its cleanup',
    ]);
  });
});
