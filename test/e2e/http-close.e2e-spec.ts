import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  type INestApplication,
  type OnModuleDestroy,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo, Server } from 'node:net';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ManagedTask,
  TaskPriority,
  type TaskContext,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { httpGet } from '../support/http-client.js';
import { OpenApps } from '../support/nest-app.js';

const LOG = Symbol('LOG');

@Injectable()
class Storage implements OnModuleDestroy {
  constructor(@Inject(LOG) private readonly log: string[]) {}
  onModuleDestroy(): void {
    this.log.push('storage onModuleDestroy');
  }
}

@Injectable()
class Exporter {
  /** Resolved once the exporter (NORMAL wave) stopped: the slow request may then finish. */
  readonly stopped = deferred();
  constructor(@Inject(LOG) private readonly log: string[]) {}
  @ManagedTask(TaskPriority.NORMAL)
  async export(ctx: TaskContext): Promise<void> {
    await untilAborted(ctx.signal).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve)); // finishes its batch
    this.log.push('exporter stopped');
    this.stopped.resolve();
  }
}

@Controller()
class SlowController {
  readonly entered = deferred();
  constructor(
    @Inject(LOG) private readonly log: string[],
    private readonly exporter: Exporter,
  ) {}
  @Get('slow')
  async slow(): Promise<string> {
    this.entered.resolve();
    // Still running after the shutdown began and a wave before its own has ended.
    await this.exporter.stopped.promise;
    this.log.push('slow request answered');
    return 'slow ok';
  }
}

@Module({
  imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
  controllers: [SlowController],
  providers: [{ provide: LOG, useFactory: () => [] }, Storage, Exporter],
})
class HttpAppModule {}

describe.each([
  ['express', () => undefined],
  ['fastify', () => new FastifyAdapter()],
])('app.close() on an HTTP app (%s)', (_name, adapter) => {
  const apps = new OpenApps();
  afterEach(() => apps.closeAll());

  async function start(): Promise<{ app: INestApplication; url: string; log: string[] }> {
    const moduleRef = await Test.createTestingModule({ imports: [HttpAppModule] }).compile();
    const httpAdapter = adapter();
    const app = apps.track(
      httpAdapter === undefined
        ? moduleRef.createNestApplication()
        : moduleRef.createNestApplication(httpAdapter),
    );
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    return { app, url: `http://127.0.0.1:${port}`, log: app.get<string[]>(LOG) };
  }

  it('runs the phased shutdown from beforeClose: before any onModuleDestroy, while a request in flight is still served', async () => {
    const { app, url, log } = await start();
    const inFlight = httpGet(`${url}/slow`);
    await app.get(SlowController).entered.promise;
    await app.close();
    const response = await inFlight;

    expect(response).toMatchObject({ status: 200, body: 'slow ok' });
    // The request in flight is a task of the HTTP wave: answered before any provider is destroyed.
    expect(log).toEqual(['exporter stopped', 'slow request answered', 'storage onModuleDestroy']);
    const report = app.get(LifecycleCoordinator).getReport();
    // The request drains: it completes on its own, its signal untouched.
    expect(report).toMatchObject({ reason: 'close', outcome: 'clean', cancelled: 1, completed: 1 });
    expect(report?.tasks.map((t) => [t.name, t.priority])).toEqual([
      ['Exporter.export', TaskPriority.NORMAL],
      ['GET /slow#1', TaskPriority.HIGH],
    ]);
    expect(report?.intakes.http).toMatchObject({ inFlightAtStart: 1, refused: 0, destroyed: 0 });
  });

  it('runs it exactly once, whoever asks first', async () => {
    const { app } = await start();
    const coordinator = app.get(LifecycleCoordinator);
    const early = coordinator.shutdown({ reason: 'manual' });
    await app.close();
    const report = await early;
    expect(report.reason).toBe('manual');
    expect(coordinator.getReport()?.startedAt).toBe(report.startedAt);
  });
});
