import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  MessagePattern,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ShutdownPhase,
  TaskState,
  currentTask,
  isRetryableRpcError,
} from '../../lib/index.js';
import { deferred, untilAborted, type TestDeferred } from '../support/deferred.js';
import { nextEvent, phaseEntered } from '../support/lifecycle-events.js';
import { RecordingNestLogger } from '../support/microservices/recording-nest-logger.js';
import { request } from '../support/microservices/rpc-client.js';
import { describeWithBroker, startNats } from '../support/servers/brokers.js';
import type { RunningServer } from '../support/servers/server-process.js';

const TIMEOUT_MS = 20_000;
const QUEUE = 'workers';

interface Probe {
  slowEntered: TestDeferred;
  slow: TestDeferred<string>;
  stuckEntered: TestDeferred;
}

/** A worker module whose handlers say which worker answered. */
function workerModule(name: string, probe: Probe) {
  @Controller()
  class WorkerController {
    @MessagePattern('who')
    who(): { worker: string; task?: string } {
      return { worker: name, task: currentTask()?.name };
    }

    @MessagePattern('slow')
    async slow(): Promise<string> {
      probe.slowEntered.resolve();
      return probe.slow.promise;
    }

    @MessagePattern('stuck')
    async stuck(): Promise<string> {
      probe.stuckEntered.resolve();
      await untilAborted(currentTask()!.signal);
      return 'never';
    }
  }

  @Module({
    imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
    controllers: [WorkerController],
  })
  class WorkerModule {}
  return WorkerModule;
}

function newProbe(): Probe {
  return { slowEntered: deferred(), slow: deferred<string>(), stuckEntered: deferred() };
}

describeWithBroker('nats')('microservices intake: NATS, against a real nats-server', () => {
  let nats: RunningServer & { url: string };
  const apps: INestMicroservice[] = [];
  let client: ClientProxy | undefined;

  beforeAll(async () => {
    nats = await startNats();
  }, 30_000);
  afterAll(() => nats?.stop());

  afterEach(async () => {
    await client?.close();
    client = undefined;
    for (const app of apps.splice(0)) await app.close();
  });

  /** A standalone NATS microservice in the queue group, as Nest's docs create one. */
  async function startWorker(
    name: string,
    probe: Probe,
    logger = new RecordingNestLogger(),
  ): Promise<INestMicroservice> {
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(
      workerModule(name, probe),
      { transport: Transport.NATS, options: { servers: [nats.url], queue: QUEUE }, logger },
    );
    apps.push(app);
    await app.listen();
    return app;
  }

  function connectClient(): ClientProxy {
    client = ClientProxyFactory.create({
      transport: Transport.NATS,
      options: { servers: [nats.url] },
    });
    return client;
  }

  function forget(app: INestMicroservice): void {
    apps.splice(apps.indexOf(app), 1);
  }

  it(
    'runs every message as a managed task',
    async () => {
      await startWorker('a', newProbe());
      expect(await request(connectClient(), 'who')).toEqual({
        ok: true,
        value: { worker: 'a', task: 'nats#1 who#1' },
      });
    },
    TIMEOUT_MS,
  );

  it(
    'drains its subscription at shutdown start: the queue group hands new requests to another member, the request in flight is answered',
    async () => {
      const probeA = newProbe();
      const logger = new RecordingNestLogger();
      const a = await startWorker('a', probeA, logger);
      const coordinator = a.get(LifecycleCoordinator);
      const nc = connectClient();
      const slow = request(nc, 'slow');
      await probeA.slowEntered.promise;
      await startWorker('b', newProbe());

      const unsubscribed = nextEvent(
        coordinator,
        (e) =>
          e.type === 'task' &&
          e.name === 'nats#1 stop taking messages' &&
          e.state === TaskState.COMPLETED,
      );
      const closing = a.close();
      forget(a);
      await unsubscribed;

      const answers = await Promise.all(Array.from({ length: 6 }, () => request(nc, 'who')));
      expect(
        answers.map((answer) => (answer as { value: { worker: string } }).value.worker),
      ).toEqual(['b', 'b', 'b', 'b', 'b', 'b']);

      probeA.slow.resolve('slow done');
      expect(await slow).toEqual({ ok: true, value: 'slow done' });
      await closing;

      const report = coordinator.getReport()!;
      expect(report.outcome).toBe('clean');
      expect(report.intakes?.microservices?.nats).toEqual({
        servers: 1,
        inFlightAtStart: 1,
        admitted: 0,
        drained: 1,
        handedBack: 0,
        refused: 0,
        dropped: 0,
        unfinished: 0,
      });
      expect(logger.at('error', 'fatal')).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'at FORCEFUL answers a request still running with a retryable error',
    async () => {
      const probe = newProbe();
      const a = await startWorker('a', probe);
      const coordinator = a.get(LifecycleCoordinator);
      const stuck = request(connectClient(), 'stuck');
      await probe.stuckEntered.promise;

      const graceful = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
      const closing = a.close();
      forget(a);
      await graceful;
      coordinator.escalate();

      const outcome = await stuck;
      expect(outcome.ok).toBe(false);
      expect(isRetryableRpcError((outcome as { error: unknown }).error)).toBe(true);
      await closing;
      expect(coordinator.getReport()!.intakes?.microservices?.nats).toMatchObject({
        inFlightAtStart: 1,
        handedBack: 1,
        unfinished: 0,
      });
    },
    TIMEOUT_MS,
  );
});
