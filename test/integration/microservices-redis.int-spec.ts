import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Redis } from 'ioredis';
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
import { describeWithBroker, startRedis } from '../support/servers/brokers.js';
import type { RunningServer } from '../support/servers/server-process.js';

const TIMEOUT_MS = 20_000;

let probe: {
  slowEntered: TestDeferred;
  slow: TestDeferred<string>;
  stuckEntered: TestDeferred;
  eventEntered: TestDeferred;
};

function resetProbe(): void {
  probe = {
    slowEntered: deferred(),
    slow: deferred<string>(),
    stuckEntered: deferred(),
    eventEntered: deferred(),
  };
}

@Controller()
class JobsController {
  @MessagePattern('whoami')
  whoami(): string | undefined {
    return currentTask()?.name;
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

  // An event whose handler honours its signal: at FORCEFUL it stops, and pub/sub cannot redeliver it.
  @EventPattern('stuck-event')
  async stuckEvent(_data: unknown): Promise<void> {
    probe.eventEntered.resolve();
    await untilAborted(currentTask()!.signal);
  }
}

@Module({
  imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
  controllers: [JobsController],
})
class JobsModule {}

describeWithBroker('redis')('microservices intake: Redis, against a real redis-server', () => {
  let redis: RunningServer;
  let app: INestMicroservice | undefined;
  let client: ClientProxy | undefined;
  let publisher: Redis | undefined;
  let logger: RecordingNestLogger;

  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(() => redis?.stop());

  afterEach(async () => {
    await client?.close();
    client = undefined;
    publisher?.disconnect();
    publisher = undefined;
    await app?.close();
    app = undefined;
  });

  /** A standalone Redis microservice, as Nest's docs create one. */
  async function start(): Promise<LifecycleCoordinator> {
    resetProbe();
    logger = new RecordingNestLogger();
    app = await NestFactory.createMicroservice<MicroserviceOptions>(JobsModule, {
      transport: Transport.REDIS,
      options: { host: '127.0.0.1', port: redis.port },
      logger,
    });
    await app.listen();
    client = ClientProxyFactory.create({
      transport: Transport.REDIS,
      options: { host: '127.0.0.1', port: redis.port },
    });
    await client.connect();
    return app.get(LifecycleCoordinator);
  }

  it(
    'runs every message as a managed task',
    async () => {
      await start();
      expect(await request(client!, 'whoami')).toEqual({
        ok: true,
        value: 'redis#1 whoami#1',
      });
    },
    TIMEOUT_MS,
  );

  it(
    'unsubscribes at shutdown start, then drains the request in flight and delivers its reply',
    async () => {
      const coordinator = await start();
      const slow = request(client!, 'slow');
      await probe.slowEntered.promise;
      publisher = new Redis({ host: '127.0.0.1', port: redis.port });

      const unsubscribed = nextEvent(
        coordinator,
        (e) =>
          e.type === 'task' &&
          e.name === 'redis#1 stop taking messages' &&
          e.state === TaskState.COMPLETED,
      );
      const closing = app!.close();
      await unsubscribed;
      // Redis no longer delivers here: a message published now reaches no subscriber.
      expect(await publisher.publish('slow', JSON.stringify({ pattern: 'slow', data: {} }))).toBe(
        0,
      );

      probe.slow.resolve('slow done');
      expect(await slow).toEqual({ ok: true, value: 'slow done' });
      await closing;
      app = undefined;

      const report = coordinator.getReport()!;
      expect(report.outcome).toBe('clean');
      expect(report.intakes?.microservices?.redis).toEqual({
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
    'at FORCEFUL answers a request still running with a retryable error; an event cannot be handed back',
    async () => {
      const coordinator = await start();
      const stuck = request(client!, 'stuck');
      client!.emit('stuck-event', {});
      await Promise.all([probe.stuckEntered.promise, probe.eventEntered.promise]);

      const graceful = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
      const closing = app!.close();
      await graceful;
      coordinator.escalate();
      const outcome = await stuck;
      expect(outcome.ok).toBe(false);
      expect(isRetryableRpcError((outcome as { error: unknown }).error)).toBe(true);
      await closing;
      app = undefined;

      expect(coordinator.getReport()!.intakes?.microservices?.redis).toMatchObject({
        inFlightAtStart: 2,
        handedBack: 1,
        drained: 0,
        // The event's handler stopped on its signal, and pub/sub keeps no copy of it.
        unfinished: 1,
      });
    },
    TIMEOUT_MS,
  );
});
