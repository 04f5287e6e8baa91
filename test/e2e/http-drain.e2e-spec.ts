import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo, Server } from 'node:net';
import { Agent } from 'node:http';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ManagedTask,
  ShutdownPhase,
  TaskPriority,
  currentTask,
  type AsyncLifecycleOptions,
  type TaskContext,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { httpGet } from '../support/http-client.js';
import { draining, phaseEntered } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import { RawHttpConnection } from '../support/raw-http-connection.js';

const state = {
  pollEntered: deferred(),
  slowEntered: deferred(),
  slow: deferred(),
  hangEntered: deferred(),
  critical: deferred(),
  criticalSignalled: deferred(),
  healthEntered: deferred(),
  healthSlow: deferred(),
};

@Controller()
class DrainController {
  constructor(private readonly coordinator: LifecycleCoordinator) {}

  @Get('whoami')
  whoami(): { task?: string; priority?: number } {
    return { task: currentTask()?.name, priority: currentTask()?.priority };
  }

  @Get('slow')
  async slow(): Promise<string> {
    state.slowEntered.resolve();
    await state.slow.promise;
    return 'slow done';
  }

  @Get('poll')
  async poll(): Promise<string> {
    state.pollEntered.resolve();
    // A long-poll drains like any request; it learns of the shutdown from shutdownSignal.
    await untilAborted(this.coordinator.shutdownSignal).catch(() => undefined);
    return `ended early, request aborted: ${String(currentTask()?.signal.aborted)}`;
  }

  @Get('hang')
  async hang(): Promise<string> {
    state.hangEntered.resolve();
    await new Promise(() => undefined);
    return 'never';
  }

  @Get('health/slow')
  async healthSlow(): Promise<string> {
    state.healthEntered.resolve();
    await state.healthSlow.promise;
    return 'health ok';
  }

  @Get('orders')
  orders(): string {
    return 'orders';
  }
}

@Injectable()
class CriticalWork {
  // Holds the shutdown in the CRITICAL wave, after the HTTP (HIGH) wave ended.
  @ManagedTask({ priority: TaskPriority.CRITICAL, name: 'critical-flush' })
  async flush(ctx: TaskContext): Promise<void> {
    await untilAborted(ctx.signal).catch(() => undefined);
    state.criticalSignalled.resolve();
    await state.critical.promise;
  }
}

function appModule(options: AsyncLifecycleOptions) {
  @Module({
    imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0, ...options })],
    controllers: [DrainController],
    providers: [CriticalWork],
  })
  class DrainModule {}
  return DrainModule;
}

describe.each([
  ['express', () => undefined],
  ['fastify', () => new FastifyAdapter()],
])('zero-downtime draining (%s)', (_name, makeAdapter) => {
  const apps = new OpenApps();
  const sockets: RawHttpConnection[] = [];
  const agents: Agent[] = [];

  afterEach(async () => {
    for (const key of Object.keys(state) as (keyof typeof state)[]) state[key].resolve();
    for (const raw of sockets.splice(0)) raw.destroy();
    for (const agent of agents.splice(0)) agent.destroy();
    await apps.closeAll();
    for (const key of Object.keys(state) as (keyof typeof state)[]) state[key] = deferred();
  });

  async function start(options: AsyncLifecycleOptions = {}) {
    const moduleRef = await Test.createTestingModule({ imports: [appModule(options)] }).compile();
    const adapter = makeAdapter();
    const app: INestApplication = apps.track(
      adapter === undefined
        ? moduleRef.createNestApplication()
        : moduleRef.createNestApplication(adapter),
    );
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    const raw = (): RawHttpConnection => {
      const connection = new RawHttpConnection({ port });
      sockets.push(connection);
      return connection;
    };
    return {
      app,
      url: `http://127.0.0.1:${port}`,
      port,
      raw,
      coordinator: app.get(LifecycleCoordinator),
    };
  }

  it('runs every request as a managed task of the HTTP priority, visible through currentTask()', async () => {
    const { url } = await start();
    const first = JSON.parse((await httpGet(`${url}/whoami`)).body) as {
      task: string;
      priority: number;
    };
    const second = JSON.parse((await httpGet(`${url}/whoami`)).body) as {
      task: string;
      priority: number;
    };
    expect(first).toEqual({ task: 'GET /whoami#1', priority: TaskPriority.HIGH });
    expect(second.task).toBe('GET /whoami#2');
  });

  it('lets a long-poll end early on shutdownSignal: it drains, its own signal untouched', async () => {
    const { app, url, coordinator } = await start();
    const polling = httpGet(`${url}/poll`);
    await state.pollEntered.promise;
    state.critical.resolve();
    await app.close();
    await expect(polling).resolves.toMatchObject({
      status: 200,
      body: 'ended early, request aborted: false',
    });
    const report = coordinator.getReport();
    expect(report?.tasks.find((t) => t.name === 'GET /poll#1')).toMatchObject({
      state: 'completed',
      endedIn: 'graceful',
      wave: 3,
    });
  });

  it('serves as usual during the drain, keeps serving while the HTTP wave runs — telling each connection to go —, closes idle connections once traffic is quiet, and stops accepting once the wave ended', async () => {
    // The measured drain: open until no request arrived for 300 ms.
    const { app, url, port, raw, coordinator } = await start({
      drain: { minMs: 0, quietMs: 300, maxMs: 10_000 },
    });
    const idle = raw();
    await idle.get('/orders');
    await idle.untilText('orders');
    const inFlight = raw();
    await inFlight.get('/slow');
    await state.slowEntered.promise;

    const began = draining(coordinator);
    const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closing = app.close();
    await began;
    // 2. The drain: the load balancer has not noticed yet, a new connection is served as usual.
    const during = await httpGet(`${url}/orders`);
    expect(during.status).toBe(200);
    expect(coordinator.getReport()?.phases).toEqual([]); // still draining when it was served
    await intakeClosed;
    // 3. Intake closed: a late request on a new connection is still served…
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    const after = await httpGet(`${url}/orders`, agent);
    expect(after).toMatchObject({ status: 200, headers: { connection: 'keep-alive' } });
    // …and the idle keep-alive connections are closed (a FIN) once no request came for 300 ms.
    expect(await idle.closed).toEqual({ endedByServer: true, errorCode: undefined });

    // 4. The request in flight is answered with Connection: close.
    state.slow.resolve();
    expect(await inFlight.closed).toEqual({ endedByServer: true, errorCode: undefined });
    expect(inFlight.statuses).toEqual([200]);
    expect(inFlight.headersOf(0)).toContain('connection: close');
    // 5. The HTTP wave has ended: new connections are refused.
    await state.criticalSignalled.promise;
    const refusedConnection = new RawHttpConnection({ port });
    expect(await refusedConnection.closed).toEqual({
      endedByServer: false,
      errorCode: 'ECONNREFUSED',
    });
    state.critical.resolve();
    await closing;

    const report = coordinator.getReport();
    expect(report?.drain).toMatchObject({ endedBy: 'quiet', arrivals: 1 });
    expect(report?.intakes.http).toEqual({
      inFlightAtStart: 1,
      admitted: 2,
      admittedDuringDrain: 1,
      admittedAfterIntakeClosed: 1,
      refused: 0,
      ignoredAfterClose: 0,
      idleClosed: 2,
      closedWithResponse: 2,
      closedByClient: 0,
      destroyed: 0,
      reset: 0,
      upgraded: 0,
    });
  });

  it('ends the measured drain once requests stop, whatever health checkers keep opening', async () => {
    const { app, url, coordinator } = await start({
      drain: { minMs: 0, quietMs: 300, maxMs: 5000 },
    });
    state.critical.resolve();
    const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    let closed = false;
    void intakeClosed.then(() => (closed = true));
    const closing = app.close();
    // Requests over one kept-alive connection, as a load balancer still routing here sends
    // them, until the drain has lasted 600 ms; then only probes, a new connection each (an
    // active health check): they must not keep intake open.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    let requests = 0;
    while ((coordinator.getReport()?.drain.durationMs ?? 0) < 600) {
      expect((await httpGet(`${url}/orders`, agent)).status).toBe(200);
      requests++;
    }
    agent.destroy();
    state.healthSlow.resolve(); // probes answer at once
    let probes = 0;
    while (!closed) {
      const probe = await httpGet(`${url}/health/slow`).catch(() => undefined);
      if (probe !== undefined) probes++;
    }
    await closing;

    const drain = coordinator.getReport()?.drain;
    expect(probes).toBeGreaterThan(0);
    expect(drain).toMatchObject({ endedBy: 'quiet', arrivals: requests });
    // Closed quiet 300 ms after the last request, not held open by the probes until maxMs.
    expect(drain?.lastArrivalMs).toBeGreaterThanOrEqual(300);
    expect(drain?.durationMs).toBeGreaterThanOrEqual((drain?.lastArrivalMs ?? 0) + 300 - 20);
    expect(drain?.durationMs).toBeLessThan(5000);
  });

  it('answers 503 with Connection: close to a request that arrives after the HTTP wave ended', async () => {
    const { app, raw, coordinator } = await start();
    // An excluded (health) request keeps this connection open through the HTTP wave.
    const connection = raw();
    await connection.get('/health/slow');
    await state.healthEntered.promise;
    const closing = app.close();
    // The HTTP wave (HIGH) ends at once — nothing tracked in flight — and the CRITICAL task holds
    // the shutdown after it.
    await state.criticalSignalled.promise;
    await connection.get('/orders');
    state.healthSlow.resolve();
    await connection.untilText('Service Unavailable');
    await connection.closed;
    expect(connection.received).toMatch(/^HTTP\/1\.1 200[\s\S]*health ok[\s\S]*HTTP\/1\.1 503/);
    const refusal = connection.received.slice(connection.received.indexOf('HTTP/1.1 503'));
    expect(refusal.toLowerCase()).toContain('connection: close');
    expect(refusal).toContain('Service Unavailable: the server is shutting down');
    state.critical.resolve();
    await closing;
    expect(coordinator.getReport()?.intakes.http?.refused).toBe(1);
  });

  it('destroys the connection of a request still running at FORCEFUL, and counts it', async () => {
    const { app, url, coordinator } = await start({
      phases: { gracefulMs: 200, forcefulMs: 200, terminateMs: 100 },
    });
    const hanging = expect(httpGet(`${url}/hang`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await state.hangEntered.promise;
    state.critical.resolve();
    await app.close();
    await hanging;
    const report = coordinator.getReport();
    expect(report?.intakes.http?.destroyed).toBe(1);
    expect(report?.tasks.find((t) => t.name === 'GET /hang#1')).toMatchObject({
      endedIn: 'forceful',
    });
  });

  // Without async context the request has no task until the shutdown makes one: its own path.
  it.each([{ asyncContext: true }, { asyncContext: false }])(
    'with requestTimeoutMs, cuts a request that runs longer once draining began (%o)',
    async ({ asyncContext }) => {
      const { app, url, coordinator } = await start({
        asyncContext,
        http: { requestTimeoutMs: 100 },
      });
      const hanging = expect(httpGet(`${url}/hang`)).rejects.toMatchObject({ code: 'ECONNRESET' });
      await state.hangEntered.promise;
      state.critical.resolve();
      const started = performance.now();
      await app.close();
      await hanging;
      // Cut after 100 ms, not after the 30 s graceful budget.
      expect(performance.now() - started).toBeLessThan(2000);
      expect(coordinator.getReport()?.intakes.http?.destroyed).toBe(1);
    },
  );

  it('with asyncContext: false, counts a request on its connection only until a shutdown begins, then drains it as a task', async () => {
    const { app, url, coordinator } = await start({ asyncContext: false });
    const slow = httpGet(`${url}/slow`);
    await state.slowEntered.promise;
    // No handler can see a task: the request has none yet.
    expect(coordinator.tasks().map((t) => t.name)).toEqual(['critical-flush']);
    const begun = draining(coordinator);
    const closing = app.close();
    await begun;
    // The shutdown made one of the request in flight: its wave waits for it.
    expect(coordinator.tasks().map((t) => t.name)).toEqual(['critical-flush', 'GET /slow#1']);
    state.slow.resolve();
    await expect(slow).resolves.toMatchObject({ status: 200, body: 'slow done' });
    state.critical.resolve();
    await closing;
    const report = coordinator.getReport();
    expect(report?.intakes.http?.inFlightAtStart).toBe(1);
    expect(report?.tasks.find((t) => t.name === 'GET /slow#1')).toMatchObject({
      state: 'completed',
    });
  });

  it('leaves excluded paths untracked, and tracks nothing with http: false', async () => {
    const tracked = await start();
    const health = httpGet(`${tracked.url}/health/slow`);
    await state.healthEntered.promise;
    expect(tracked.coordinator.tasks().map((t) => t.name)).toEqual(['critical-flush']);
    state.healthSlow.resolve();
    await expect(health).resolves.toMatchObject({ status: 200, body: 'health ok' });
    state.critical.resolve();
    await tracked.app.close();

    const plain = await start({ http: false });
    state.critical.resolve();
    const body = JSON.parse((await httpGet(`${plain.url}/whoami`)).body) as object;
    expect(body).toEqual({});
    await plain.app.close();
    expect(plain.coordinator.getReport()?.intakes.http).toBeUndefined();
  });
});
