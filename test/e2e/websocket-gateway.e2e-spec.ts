import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { filter, firstValueFrom, fromEvent, interval, map, takeUntil } from 'rxjs';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  currentTask,
  type AsyncLifecycleOptions,
} from '../../lib/index.js';
import { deferred } from '../support/deferred.js';
import { openGatewayClient, type GatewayClient } from '../support/gateway-client.js';
import { OpenApps } from '../support/nest-app.js';

/** A gateway whose `hold` message waits for the test: a reply in flight, on demand. */
@WebSocketGateway()
class HoldGateway {
  readonly entered = deferred();
  readonly release = deferred();

  @SubscribeMessage('hold')
  async hold() {
    this.entered.resolve();
    await this.release.promise;
    const task = currentTask();
    return { event: 'held', data: { task: task?.name ?? null } };
  }
}

/** A gateway streaming ticks: one message whose task lasts as long as its stream. */
@WebSocketGateway()
class TickGateway {
  constructor(private readonly coordinator: LifecycleCoordinator) {}

  @SubscribeMessage('ticks')
  ticks() {
    // Ends when the shutdown begins: the connection's turn then finds nothing in flight.
    const shutdown = fromEvent(this.coordinator.shutdownSignal, 'abort');
    return interval(5).pipe(
      takeUntil(shutdown),
      map((n) => ({ event: 'tick', data: n })),
    );
  }
}

function appModule(options: AsyncLifecycleOptions): DynamicModule {
  @Module({})
  class GatewayAppModule {}
  return {
    module: GatewayAppModule,
    imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0, ...options })],
    providers: [HoldGateway, TickGateway],
  };
}

describe.each([
  ['ws', 'express'],
  ['ws', 'fastify'],
  ['socket.io', 'express'],
  ['socket.io', 'fastify'],
] as const)('a %s gateway (%s) with AsyncLifecycleModule.forRoot()', (transport, platform) => {
  const apps = new OpenApps();
  const clients: GatewayClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await apps.closeAll();
  });

  async function start(
    options: AsyncLifecycleOptions = {},
  ): Promise<{ app: INestApplication; client: GatewayClient }> {
    const moduleRef = await Test.createTestingModule({ imports: [appModule(options)] }).compile();
    const app = apps.track(
      platform === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter())
        : moduleRef.createNestApplication(),
    );
    if (transport === 'ws') app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    const client = openGatewayClient(transport, port);
    clients.push(client);
    await client.opened;
    return { app, client };
  }

  it('runs each message as a managed task in stop mode drain, its reply sent from inside it', async () => {
    const { app, client } = await start();
    const gateway = app.get(HoldGateway);
    const coordinator = app.get(LifecycleCoordinator);

    client.send('hold', {});
    await gateway.entered.promise;
    expect(coordinator.tasks()).toEqual([
      expect.objectContaining({ name: 'WS hold#1', stop: 'drain', state: 'running' }),
    ]);
    gateway.release.resolve();
    const held = await client.next('held');

    expect(held.data).toEqual({ task: 'WS hold#1' });
    expect(coordinator.tasks()).toEqual([]);
  });

  it('app.close(): the reply in flight arrives, then the close frame with 1001 and the reason', async () => {
    const { app, client } = await start();
    const gateway = app.get(HoldGateway);
    const coordinator = app.get(LifecycleCoordinator);
    const closerStarted = firstValueFrom(
      coordinator.events$.pipe(
        filter((event) => event.type === 'task' && event.name === 'WS close 1 connection(s)'),
      ),
    );

    client.send('hold', {});
    await gateway.entered.promise;
    const closing = app.close();
    // The connection's turn has come; the reply it has in flight holds its close frame back.
    await closerStarted;
    gateway.release.resolve();
    const [held, closed] = await Promise.all([client.next('held'), client.closed]);
    await closing;

    expect(held.at).toBeLessThanOrEqual(closed.at);
    expect(closed).toMatchObject({ code: 1001, reason: 'server shutting down' });
    if (transport === 'socket.io') expect(closed.disconnectReason).toBe('transport close');
    const report = coordinator.getReport();
    expect(report).toMatchObject({ outcome: 'clean' });
    expect(report?.tasks).toContainEqual(
      expect.objectContaining({ name: 'WS hold#1', state: 'completed' }),
    );
    expect(report?.intakes.websockets).toMatchObject({
      connectionsAtStart: 1,
      closedCleanly: 1,
      closedAtForceful: 0,
      messagesAtStart: 1,
      messagesDrained: 1,
      messagesCutOff: 0,
    });
  });

  it('a stream a handler returns, ended by shutdownSignal, lets its connection close in its turn', async () => {
    const { app, client } = await start();
    client.send('ticks', {});
    await client.next('tick');
    await app.close();

    expect(await client.closed).toMatchObject({ code: 1001 });
    const report = app.get(LifecycleCoordinator).getReport();
    expect(report?.tasks).toContainEqual(
      expect.objectContaining({ name: 'WS ticks#1', state: 'completed' }),
    );
    expect(report?.intakes.websockets).toMatchObject({
      closedCleanly: 1,
      closedAtForceful: 0,
      messagesDrained: 1,
    });
  });

  it('closes with the configured code and reason', async () => {
    const { app, client } = await start({
      websockets: { closeCode: 4000, closeReason: 'rolling update' },
    });
    await app.close();
    expect(await client.closed).toMatchObject({ code: 4000, reason: 'rolling update' });
  });

  it('with websockets: false, leaves gateways to Nest: no task, no report section', async () => {
    const { app, client } = await start({ websockets: false });
    const gateway = app.get(HoldGateway);
    client.send('hold', {});
    await gateway.entered.promise;
    expect(app.get(LifecycleCoordinator).tasks()).toEqual([]);
    gateway.release.resolve();
    expect((await client.next('held')).data).toEqual({ task: null });
    await app.close();
    expect(app.get(LifecycleCoordinator).getReport()?.intakes.websockets).toBeUndefined();
  });
});

/** A loopback port nothing listens on now, for a gateway on its own port. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(['ws', 'socket.io'] as const)('a %s gateway on its own port', (transport) => {
  const apps = new OpenApps();
  const clients: GatewayClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await apps.closeAll();
  });

  it('is drained the same: the client is sent 1001 and the reason', async () => {
    const port = await freePort();
    @WebSocketGateway(port)
    class PingGateway {
      @SubscribeMessage('ping')
      ping() {
        return { event: 'pong', data: currentTask()?.name ?? null };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [appModule({})],
      providers: [PingGateway],
    }).compile();
    const app = apps.track(moduleRef.createNestApplication());
    if (transport === 'ws') app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    const client = openGatewayClient(transport, port);
    clients.push(client);
    await client.opened;

    client.send('ping', {});
    expect((await client.next('pong')).data).toBe('WS ping#1');
    await app.close();

    expect(await client.closed).toMatchObject({ code: 1001, reason: 'server shutting down' });
    expect(app.get(LifecycleCoordinator).getReport()?.intakes.websockets).toMatchObject({
      connectionsAtStart: 1,
      closedCleanly: 1,
    });
  });
});
