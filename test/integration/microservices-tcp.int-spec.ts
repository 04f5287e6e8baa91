import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { connect } from 'node:net';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ManagedTask,
  ShutdownPhase,
  TaskState,
  currentTask,
  isRetryableRpcError,
} from '../../lib/index.js';
import { deferred, untilAborted, type TestDeferred } from '../support/deferred.js';
import { draining, phaseEntered } from '../support/lifecycle-events.js';
import { RecordingNestLogger } from '../support/microservices/recording-nest-logger.js';
import { request } from '../support/microservices/rpc-client.js';
import { freePort } from '../support/servers/free-port.js';

const TIMEOUT_MS = 20_000;

/** What the handlers tell the test, and what the test lets them do. */
let probe: {
  slowEntered: TestDeferred;
  slow: TestDeferred<string>;
  managedEntered: TestDeferred;
  managed: TestDeferred;
  stuckEntered: TestDeferred;
  noted: TestDeferred;
  notes: string[];
};

function resetProbe(): void {
  probe = {
    slowEntered: deferred(),
    slow: deferred<string>(),
    managedEntered: deferred(),
    managed: deferred(),
    stuckEntered: deferred(),
    noted: deferred(),
    notes: [],
  };
}

@Controller()
class MathController {
  @MessagePattern('sum')
  sum(numbers: number[]): number {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern('whoami')
  whoami(): string | undefined {
    return currentTask()?.name;
  }

  @MessagePattern('slow')
  async slow(): Promise<string> {
    probe.slowEntered.resolve();
    return probe.slow.promise;
  }

  // The way users mark a handler as work the shutdown must wait for.
  @ManagedTask({ start: 'call' })
  @MessagePattern('managed')
  async managed(): Promise<string> {
    probe.managedEntered.resolve();
    await probe.managed.promise;
    return 'managed done';
  }

  // Honours its task's signal: it stops when FORCEFUL aborts it.
  @MessagePattern('stuck')
  async stuck(): Promise<string> {
    probe.stuckEntered.resolve();
    await untilAborted(currentTask()!.signal);
    return 'never';
  }

  @EventPattern('note')
  note(text: string): void {
    probe.notes.push(text);
    probe.noted.resolve();
  }
}

@Module({
  imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
  controllers: [MathController],
})
class MathModule {}

/** Whether a new TCP connection to `port` is accepted right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('microservices intake: TCP, against real sockets', () => {
  let app: INestApplicationContext | undefined;
  const clients: ClientProxy[] = [];
  let logger: RecordingNestLogger;

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await app?.close();
    app = undefined;
  });

  function client(port: number): ClientProxy {
    const created = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    clients.push(created);
    return created;
  }

  /** A hybrid app the way Nest's docs show it: HTTP plus a connected TCP microservice. */
  async function startHybrid(): Promise<{ port: number; coordinator: LifecycleCoordinator }> {
    resetProbe();
    logger = new RecordingNestLogger();
    const port = await freePort();
    const hybrid = await NestFactory.create(MathModule, { logger });
    app = hybrid;
    hybrid.connectMicroservice<MicroserviceOptions>({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    await hybrid.startAllMicroservices();
    await hybrid.listen(0, '127.0.0.1');
    return { port, coordinator: hybrid.get(LifecycleCoordinator) };
  }

  it(
    'runs every message as a managed task of the microservices intake',
    async () => {
      const { port } = await startHybrid();
      const tcp = client(port);
      expect(await request(tcp, 'whoami')).toEqual({ ok: true, value: 'tcp#1 whoami#1' });
      expect(await request(tcp, 'sum', [1, 2, 3])).toEqual({ ok: true, value: 6 });
    },
    TIMEOUT_MS,
  );

  it(
    'at shutdown start refuses new connections and new requests, and answers the request in flight',
    async () => {
      const { port, coordinator } = await startHybrid();
      const tcp = client(port);
      const slow = request(tcp, 'slow');
      await probe.slowEntered.promise;

      const started = draining(coordinator);
      const closing = app!.close();
      await started;

      // A new connection is refused: the client reconnects to another instance.
      expect(await accepts(port)).toBe(false);
      // A new request on the open connection is answered with an error the client can retry.
      const late = await request(tcp, 'sum', [1, 2]);
      expect(late.ok).toBe(false);
      expect(isRetryableRpcError((late as { error: unknown }).error)).toBe(true);
      // An event on the open connection is still taken while the wave is open.
      tcp.emit('note', 'during the shutdown');
      await probe.noted.promise;

      probe.slow.resolve('slow done');
      expect(await slow).toEqual({ ok: true, value: 'slow done' });
      await closing;
      app = undefined;

      const report = coordinator.getReport()!;
      expect(report.outcome).toBe('clean');
      expect(report.intakes?.microservices?.tcp).toEqual({
        servers: 1,
        inFlightAtStart: 1,
        admitted: 1,
        drained: 2,
        handedBack: 0,
        refused: 1,
        dropped: 0,
        unfinished: 0,
      });
      expect(probe.notes).toEqual(['during the shutdown']);
      expect(report.tasks.find((t) => t.name === 'tcp#1 slow#1')?.state).toBe(TaskState.COMPLETED);
      expect(logger.at('error', 'fatal')).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    '@ManagedTask on a @MessagePattern: the call in flight finishes, a later one gets a retryable error',
    async () => {
      const { port, coordinator } = await startHybrid();
      const tcp = client(port);
      const first = request(tcp, 'managed');
      await probe.managedEntered.promise;

      const started = draining(coordinator);
      const closing = app!.close();
      await started;
      const second = await request(tcp, 'managed');

      probe.managed.resolve();
      expect(await first).toEqual({ ok: true, value: 'managed done' });
      expect(second.ok).toBe(false);
      const error = (second as { error: unknown }).error;
      expect(isRetryableRpcError(error)).toBe(true);
      expect(error).not.toMatchObject({ message: 'Internal server error' });
      await closing;
      app = undefined;

      const names = coordinator.getReport()!.tasks.map((t) => [t.name, t.state]);
      // The decorated call ran inside the message's task, and was drained with it.
      expect(names).toEqual(
        expect.arrayContaining([
          ['tcp#1 managed#1', TaskState.COMPLETED],
          ['MathController.managed#1', TaskState.COMPLETED],
        ]),
      );
      expect(logger.at('error', 'fatal')).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'at FORCEFUL answers a request still running with a retryable error, never "Internal server error"',
    async () => {
      const { port, coordinator } = await startHybrid();
      const tcp = client(port);
      const stuck = request(tcp, 'stuck');
      await probe.stuckEntered.promise;

      const graceful = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
      const closing = app!.close();
      await graceful;
      coordinator.escalate();

      const outcome = await stuck;
      expect(outcome.ok).toBe(false);
      expect(isRetryableRpcError((outcome as { error: unknown }).error)).toBe(true);
      await closing;
      app = undefined;

      const report = coordinator.getReport()!;
      expect(report.outcome).toBe('forced');
      expect(report.intakes?.microservices?.tcp).toMatchObject({
        inFlightAtStart: 1,
        drained: 0,
        handedBack: 1,
        unfinished: 0,
      });
      expect(report.tasks.find((t) => t.name === 'tcp#1 stuck#1')?.state).toBe(TaskState.CANCELLED);
    },
    TIMEOUT_MS,
  );

  it(
    "a message taken before listen() (Nest's docs order: startAllMicroservices, then listen) is drained too",
    async () => {
      resetProbe();
      logger = new RecordingNestLogger();
      const port = await freePort();
      const hybrid = await NestFactory.create(MathModule, { logger });
      app = hybrid;
      hybrid.connectMicroservice<MicroserviceOptions>({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port },
      });
      await hybrid.startAllMicroservices();
      // Served before the application's bootstrap hooks ran (listen() runs them).
      const slow = request(client(port), 'slow');
      await probe.slowEntered.promise;
      await hybrid.listen(0, '127.0.0.1');
      const coordinator = hybrid.get(LifecycleCoordinator);

      const started = draining(coordinator);
      const closing = hybrid.close();
      await started;
      probe.slow.resolve('slow done');

      expect(await slow).toEqual({ ok: true, value: 'slow done' });
      await closing;
      app = undefined;
      expect(coordinator.getReport()!.intakes?.microservices?.tcp).toMatchObject({
        inFlightAtStart: 1,
        drained: 1,
      });
    },
    TIMEOUT_MS,
  );

  it(
    'a standalone microservice: a plain app.close() answers the request in flight before the transport closes',
    async () => {
      resetProbe();
      logger = new RecordingNestLogger();
      const port = await freePort();
      const micro = await NestFactory.createMicroservice<MicroserviceOptions>(MathModule, {
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port },
        logger,
      });
      app = micro;
      await micro.listen();
      const coordinator = micro.get(LifecycleCoordinator);
      const tcp = client(port);
      const slow = request(tcp, 'slow');
      await probe.slowEntered.promise;

      const started = draining(coordinator);
      const closing = micro.close();
      await started;
      expect(await accepts(port)).toBe(false);
      probe.slow.resolve('slow done');
      expect(await slow).toEqual({ ok: true, value: 'slow done' });
      await closing;
      app = undefined;
      expect(coordinator.getReport()!.intakes?.microservices?.tcp).toMatchObject({
        inFlightAtStart: 1,
        drained: 1,
      });
      expect(logger.at('error', 'fatal')).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
