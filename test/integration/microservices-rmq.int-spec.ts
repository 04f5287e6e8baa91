import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RmqContext,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import amqplib from 'amqplib';
import { lastValueFrom } from 'rxjs';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ShutdownPhase,
  TaskState,
  currentTask,
} from '../../lib/index.js';
import { deferred, untilAborted, type TestDeferred } from '../support/deferred.js';
import { nextEvent, phaseEntered } from '../support/lifecycle-events.js';
import { RecordingNestLogger } from '../support/microservices/recording-nest-logger.js';
import { request } from '../support/microservices/rpc-client.js';
import { describeWithBroker, startRabbitMq } from '../support/servers/brokers.js';
import type { RunningServer } from '../support/servers/server-process.js';

const TIMEOUT_MS = 30_000;

/** What one worker's handlers saw, and what the test lets them do. */
class Probe {
  readonly entered = new Map<number, TestDeferred<{ redelivered: boolean }>>();
  readonly release = new Map<number, TestDeferred>();
  readonly acked: number[] = [];
  /**
   * After each ack, a round trip on the same channel: the broker answers it only once it has
   * processed the ack, and a bad ack (an unknown delivery tag) closes the channel before that.
   */
  readonly channelAfterAck: string[] = [];
  readonly slowEntered = deferred();
  readonly slow = deferred<string>();

  enteredFor(id: number): TestDeferred<{ redelivered: boolean }> {
    let entered = this.entered.get(id);
    if (entered === undefined) this.entered.set(id, (entered = deferred()));
    return entered;
  }
  releaseFor(id: number): TestDeferred {
    let release = this.release.get(id);
    if (release === undefined) this.release.set(id, (release = deferred()));
    return release;
  }
}

/** A worker as Nest's docs write one with `noAck: false`: each handler acknowledges its message. */
function workerModule(probe: Probe) {
  @Controller()
  class JobsController {
    // Waits to be released — or, at FORCEFUL, for its signal — and acknowledges in any case:
    // the "ack in finally" of real handlers. (`<string>`: Nest 12's typed-events overload of
    // @EventPattern would otherwise require every parameter after the data to take `unknown`.)
    @EventPattern<string>('job')
    async job(@Payload() id: number, @Ctx() context: RmqContext): Promise<void> {
      const message = context.getMessage() as amqplib.Message;
      probe.enteredFor(id).resolve({ redelivered: message.fields.redelivered });
      try {
        await Promise.race([probe.releaseFor(id).promise, untilAborted(currentTask()!.signal)]);
      } finally {
        const channel = context.getChannelRef() as amqplib.Channel;
        channel.ack(message);
        probe.acked.push(id);
        await channel.checkQueue(message.fields.routingKey).then(
          () => probe.channelAfterAck.push('open'),
          (error: Error) => probe.channelAfterAck.push(error.message),
        );
      }
    }

    @MessagePattern('slow')
    async slow(@Payload() _data: unknown, @Ctx() context: RmqContext): Promise<string> {
      probe.slowEntered.resolve();
      const answer = await probe.slow.promise;
      (context.getChannelRef() as amqplib.Channel).ack(context.getMessage() as amqplib.Message);
      return answer;
    }
  }

  @Module({
    imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
    controllers: [JobsController],
  })
  class WorkerModule {}
  return WorkerModule;
}

let queues = 0;

describeWithBroker('rabbitmq')('microservices intake: RabbitMQ, against a real broker', () => {
  let rabbit: RunningServer & { url: string };
  let inspector: amqplib.ChannelModel;
  const apps: INestMicroservice[] = [];
  const clients: ClientProxy[] = [];

  beforeAll(async () => {
    rabbit = await startRabbitMq();
    inspector = await amqplib.connect(rabbit.url);
  }, 90_000);
  afterAll(async () => {
    await inspector?.close();
    await rabbit?.stop();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    for (const app of apps.splice(0)) await app.close();
  });

  async function startWorker(
    queue: string,
    probe: Probe,
    logger = new RecordingNestLogger(),
  ): Promise<INestMicroservice> {
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(workerModule(probe), {
      transport: Transport.RMQ,
      options: { urls: [rabbit.url], queue, noAck: false, prefetchCount: 2 },
      logger,
    });
    apps.push(app);
    await app.listen();
    return app;
  }

  function producer(queue: string): ClientProxy {
    const client = ClientProxyFactory.create({
      transport: Transport.RMQ,
      options: { urls: [rabbit.url], queue },
    });
    clients.push(client);
    return client;
  }

  function forget(app: INestMicroservice): void {
    apps.splice(apps.indexOf(app), 1);
  }

  async function queueState(queue: string): Promise<amqplib.Replies.AssertQueue> {
    const channel = await inspector.createChannel();
    try {
      return await channel.checkQueue(queue);
    } finally {
      await channel.close();
    }
  }

  it(
    'cancels its consumer at shutdown start, drains and acknowledges the messages in flight; the next message waits in the queue',
    async () => {
      const queue = `jobs-${++queues}`;
      const probe = new Probe();
      const logger = new RecordingNestLogger();
      const a = await startWorker(queue, probe, logger);
      const coordinator = a.get(LifecycleCoordinator);
      const jobs = producer(queue);
      await lastValueFrom(jobs.emit('job', 1));
      await lastValueFrom(jobs.emit('job', 2));
      await Promise.all([probe.enteredFor(1).promise, probe.enteredFor(2).promise]);

      const cancelled = nextEvent(
        coordinator,
        (e) =>
          e.type === 'task' &&
          e.name === 'rmq#1 stop taking messages' &&
          e.state === TaskState.COMPLETED,
      );
      const closing = a.close();
      forget(a);
      await cancelled;
      await lastValueFrom(jobs.emit('job', 3));
      // The broker no longer delivers here: job 3 waits for another consumer.
      expect(await queueState(queue)).toMatchObject({ messageCount: 1, consumerCount: 0 });

      probe.releaseFor(1).resolve();
      probe.releaseFor(2).resolve();
      await closing;
      expect(probe.acked.sort()).toEqual([1, 2]);
      expect(coordinator.getReport()!.intakes?.microservices?.rmq).toEqual({
        servers: 1,
        inFlightAtStart: 2,
        admitted: 0,
        drained: 2,
        handedBack: 0,
        refused: 0,
        dropped: 0,
        unfinished: 0,
      });
      expect(logger.at('error', 'fatal')).toEqual([]);

      // The next instance takes job 3, first delivery.
      const next = new Probe();
      await startWorker(queue, next);
      expect(await next.enteredFor(3).promise).toEqual({ redelivered: false });
      next.releaseFor(3).resolve();
    },
    TIMEOUT_MS,
  );

  it(
    'at FORCEFUL nacks what is still running: the broker redelivers it to another consumer, and the late ack is ignored',
    async () => {
      const queue = `jobs-${++queues}`;
      const probe = new Probe();
      const logger = new RecordingNestLogger();
      const a = await startWorker(queue, probe, logger);
      const coordinator = a.get(LifecycleCoordinator);
      await lastValueFrom(producer(queue).emit('job', 7));
      await probe.enteredFor(7).promise;
      const other = new Probe();
      await startWorker(queue, other);

      const graceful = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
      const closing = a.close();
      forget(a);
      await graceful;
      coordinator.escalate();

      expect(await other.enteredFor(7).promise).toEqual({ redelivered: true });
      other.releaseFor(7).resolve();
      await closing;
      // A's handler acknowledged after the nack: that ack never reached the broker (which would
      // have closed the channel over an unknown delivery tag).
      expect(probe.acked).toEqual([7]);
      expect(probe.channelAfterAck).toEqual(['open']);
      expect(coordinator.getReport()!.intakes?.microservices?.rmq).toMatchObject({
        inFlightAtStart: 1,
        handedBack: 1,
        drained: 0,
        unfinished: 0,
      });
      expect(logger.at('error', 'fatal').join('\n')).not.toMatch(/PRECONDITION|delivery tag/i);
      expect(await queueState(queue)).toMatchObject({ messageCount: 0 });
    },
    TIMEOUT_MS,
  );

  it(
    'a hybrid app (HTTP + connected RabbitMQ microservice) drains the same way when it closes',
    async () => {
      const queue = `jobs-${++queues}`;
      const probe = new Probe();
      const logger = new RecordingNestLogger();
      const hybrid = await NestFactory.create(workerModule(probe), { logger });
      hybrid.connectMicroservice<MicroserviceOptions>({
        transport: Transport.RMQ,
        options: { urls: [rabbit.url], queue, noAck: false, prefetchCount: 2 },
      });
      await hybrid.startAllMicroservices();
      await hybrid.listen(0, '127.0.0.1');
      const coordinator = hybrid.get(LifecycleCoordinator);
      const jobs = producer(queue);
      await lastValueFrom(jobs.emit('job', 1));
      await probe.enteredFor(1).promise;

      const cancelled = nextEvent(
        coordinator,
        (e) =>
          e.type === 'task' &&
          e.name === 'rmq#1 stop taking messages' &&
          e.state === TaskState.COMPLETED,
      );
      const closing = hybrid.close();
      await cancelled;
      expect(await queueState(queue)).toMatchObject({ consumerCount: 0 });
      probe.releaseFor(1).resolve();
      await closing;

      expect(probe.acked).toEqual([1]);
      expect(coordinator.getReport()!.intakes?.microservices?.rmq).toMatchObject({
        inFlightAtStart: 1,
        drained: 1,
      });
      expect(logger.at('error', 'fatal')).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'a request in flight is answered before a standalone app.close() closes the channel',
    async () => {
      const queue = `rpc-${++queues}`;
      const probe = new Probe();
      const logger = new RecordingNestLogger();
      const a = await startWorker(queue, probe, logger);
      const coordinator = a.get(LifecycleCoordinator);
      const rpc = producer(queue);
      const slow = request(rpc, 'slow');
      await probe.slowEntered.promise;

      const started = nextEvent(coordinator, (e) => e.type === 'state');
      const closing = a.close();
      forget(a);
      await started;
      probe.slow.resolve('slow done');

      expect(await slow).toEqual({ ok: true, value: 'slow done' });
      await closing;
      expect(coordinator.getReport()!.intakes?.microservices?.rmq).toMatchObject({
        inFlightAtStart: 1,
        drained: 1,
      });
      expect(logger.at('error', 'fatal')).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
