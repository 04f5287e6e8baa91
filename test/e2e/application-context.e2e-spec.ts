import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ManagedTask,
  TaskState,
  type TaskContext,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { OpenApps } from '../support/nest-app.js';

describe('NestFactory.createApplicationContext (a worker or CLI without HTTP)', () => {
  const apps = new OpenApps();
  afterEach(() => apps.closeAll());

  // NestFactory sets the HTTP adapter of a context to null, where a testing module leaves it
  // undefined: bootstrap must take both for "no HTTP".
  it('boots, and app.close() stops its tasks and reports them', async () => {
    const started = deferred();
    @Injectable()
    class Worker {
      @ManagedTask()
      run(ctx: TaskContext) {
        started.resolve();
        return untilAborted(ctx.signal);
      }
    }
    @Module({ imports: [AsyncLifecycleModule.forRoot({ logger: false })], providers: [Worker] })
    class WorkerModule {}

    const app = apps.track(
      await NestFactory.createApplicationContext(WorkerModule, { logger: false }),
    );
    const coordinator = app.get(LifecycleCoordinator);
    await started.promise;
    await app.close();

    expect(coordinator.getReport()).toMatchObject({
      reason: 'close',
      outcome: 'clean',
      total: 1,
      tasks: [expect.objectContaining({ name: 'Worker.run', state: TaskState.CANCELLED })],
    });
  });
});
