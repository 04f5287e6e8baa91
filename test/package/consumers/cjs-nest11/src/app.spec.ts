import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AsyncLifecycleModule, LifecycleCoordinator, TaskState } from 'nestjs-async-lifecycle';
import { AppModule } from './app.module';
import { JobsService } from './jobs.service';

/** One GET on a connection of its own (no keep-alive agent left behind). */
function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }),
      );
    }).on('error', reject);
  });
}

const pollerCancelled = {
  reason: 'close',
  outcome: 'clean',
  total: 1,
  cancelled: 1,
  tasks: [expect.objectContaining({ name: 'poller', state: TaskState.CANCELLED })],
};

describe('nestjs-async-lifecycle in a CommonJS Nest 11 application', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('is loaded from its CommonJS build', () => {
    expect(require.resolve('nestjs-async-lifecycle')).toMatch(/[\\/]dist[\\/]cjs[\\/]index\.js$/);
    expect(typeof AsyncLifecycleModule.forRoot).toBe('function');
  });

  it('Test.createTestingModule: app.close() cancels the running task and reports it', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    const jobs = app.get(JobsService);
    const coordinator = app.get(LifecycleCoordinator);
    await jobs.pollerStarted;
    await expect(jobs.startExport('42')).resolves.toBe('export 42 done');

    await app.close();
    app = undefined;

    await expect(jobs.poller).resolves.toBe('stopped');
    expect(coordinator.getReport()).toMatchObject(pollerCancelled);
  });

  it('NestFactory.create: /health is up through terminus, and app.close() reports the task', async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const coordinator = app.get(LifecycleCoordinator);
    await app.get(JobsService).pollerStarted;

    const health = await getJson(`http://127.0.0.1:${port}/health`);
    expect(health).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { lifecycle: { status: 'up', state: 'running' } } },
    });

    await app.close();
    app = undefined;
    expect(coordinator.getReport()).toMatchObject(pollerCancelled);
  });
});
