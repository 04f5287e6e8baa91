import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  Module,
  type INestApplication,
  type LoggerService,
  type OnModuleDestroy,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  LifecycleHealthIndicator,
  LifecycleState,
  LifecycleTerminusLogger,
  ShutdownPhase,
  TaskPriority,
  TaskState,
  type AsyncLifecycleOptions,
  type LastShutdownSummary,
  type ShutdownReport,
  type TaskReport,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { httpGet } from '../support/http-client.js';
import { Agent } from 'node:http';
import { nextEvent } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import { nestMajor } from '../support/nest-version.js';
import { RecordingLogger } from '../support/recording-logger.js';

/*
 * What `/health` (a terminus check of `LifecycleHealthIndicator.isReady`) and `/health/live`
 * (`isAlive`) answer over a fresh connection — what a kubelet probe opens — at each step of
 * `app.close()`:
 *
 *   running → drain delay → GRACEFUL → FORCEFUL → TERMINATE → phased shutdown over (the app's
 *   own onModuleDestroy still running) → terminus' SIGTERM sleep (gracefulShutdownTimeoutMs)
 *   → server closed
 *
 * on Express and Fastify, with and without Nest's `return503OnClosing`, with and without
 * terminus' `gracefulShutdownTimeoutMs`. Each step is held with deferreds (a task that ignores
 * its signal, a cleanup that hangs, an onModuleDestroy that waits) or by a budget running out;
 * the test waits in-process for the step, then probes over HTTP.
 *
 * What a readiness probe needs, and what these tests assert (the same on both adapters):
 *
 *   running          /health 200 `ok`, up { state: running [, lastShutdown] }; /health/live 200
 *   drain delay      /health 503 `error`, down { state: draining, phase: drain, elapsedMs,
 *                    running, report }; other routes still 200 (the load balancer has not
 *                    noticed yet); /health/live 200 `ok`, up
 *   GRACEFUL,        /health 503 `error`, down { state: draining, phase, elapsedMs, running,
 *   FORCEFUL,        report so far (finished: false) }; /health/live 200 `ok`, up.
 *   TERMINATE        return503OnClosing changes nothing yet: the adapter's flag is set after
 *                    our shutdown, in its own beforeClose
 *   phased shutdown  /health 503 `error`, down { state: stopped, phase reached, running: {},
 *   over, server up  final report (finished: true) }; /health/live 200 `ok`, up { stopped }.
 *                    With return503OnClosing: the adapter's own 503 on every path (Express:
 *                    text "Service Unavailable"; Fastify: its JSON 503), Connection: close
 *   terminus' sleep  /health 503 `shutting_down`, down { state: stopped, … }; /health/live 503
 *   (SIGTERM with    `shutting_down`, up. With return503OnClosing: the adapter's own 503
 *   gracefulShut-
 *   downTimeoutMs)
 *   closed           ECONNREFUSED
 */

// ---------------------------------------------------------------------------------------------
// Shapes of what the probes answer

/** What the indicator puts under its key; `status` is terminus' own, the rest is ours. */
interface LifecycleData {
  status: 'up' | 'down';
  state: LifecycleState;
  phase?: ShutdownPhase | 'drain';
  elapsedMs?: number;
  running?: Record<string, number>;
  report?: ShutdownReport;
  lastShutdown?: LastShutdownSummary;
}

/** terminus' response body (the same object in its 200 and in its 503). */
interface TerminusBody {
  status: 'ok' | 'error' | 'shutting_down';
  info: Record<string, LifecycleData>;
  error: Record<string, LifecycleData>;
  details: Record<string, LifecycleData>;
}

/** A probe's outcome: an answer, or the connection error (`ECONNREFUSED` once closed). */
type Probe =
  | { status: number; text: string; json: unknown; connection: string | undefined }
  | { error: string };

async function probe(url: string, agent?: Agent): Promise<Probe> {
  try {
    const response = await httpGet(url, agent);
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      json = undefined;
    }
    const connection = response.headers.connection;
    return {
      status: response.status,
      text: response.body,
      json,
      connection: typeof connection === 'string' ? connection.toLowerCase() : undefined,
    };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

/** The body of an answer, after checking it is one: a refused probe fails here, readably. */
function bodyOf(answer: Probe): TerminusBody {
  expect(answer).toMatchObject({ status: expect.any(Number), json: expect.any(Object) });
  return (answer as { json: TerminusBody }).json;
}

/** Our data in the report so far, by task name. */
function task(report: ShutdownReport | undefined, name: string): TaskReport | undefined {
  return report?.tasks.find((t) => t.name === name);
}

/** The keys the indicator may use: terminus' `status` plus ours, never another `status`. */
const DOWN_KEYS = ['elapsedMs', 'phase', 'report', 'running', 'state', 'status'];

/**
 * `/health` while the indicator is down: terminus' 503, the indicator under `error` and
 * `details` (the same object), nothing under `info`, only our keys, and no `status` in the
 * report. Returns the indicator's data for further checks.
 */
function expectDown(
  answer: Probe,
  expected: {
    terminus: 'error' | 'shutting_down';
    state: LifecycleState;
    phase: ShutdownPhase | 'drain';
    running: Record<string, number>;
    finished: boolean;
  },
): LifecycleData {
  const body = bodyOf(answer);
  expect(answer).toMatchObject({ status: 503 });
  expect(body.status).toBe(expected.terminus);
  expect(body.info).toEqual({});
  expect(Object.keys(body.error)).toEqual(['lifecycle']);
  expect(body.details).toEqual(body.error);
  const data = body.error.lifecycle;
  expect(Object.keys(data).sort()).toEqual(DOWN_KEYS);
  expect(data).toMatchObject({ status: 'down', state: expected.state, phase: expected.phase });
  expect(data.running).toEqual(expected.running);
  expect(data.elapsedMs).toEqual(expect.any(Number));
  expect(data.report).not.toHaveProperty('status');
  expect(data.report).toMatchObject({ finished: expected.finished });
  return data;
}

/** `/health/live` while the indicator is up: only `status: 'up'` and our `state`. */
function expectAlive(answer: Probe, terminus: 'ok' | 'shutting_down', state: LifecycleState) {
  const body = bodyOf(answer);
  expect(answer).toMatchObject({ status: terminus === 'ok' ? 200 : 503 });
  expect(body).toEqual({
    status: terminus,
    info: { lifecycle: { status: 'up', state } },
    error: {},
    details: { lifecycle: { status: 'up', state } },
  });
}

/** The adapter's own 503 of `return503OnClosing`, exactly as each adapter sends it. */
function expectAdapter503(adapter: AdapterName, answer: Probe): void {
  if (adapter === 'express') {
    expect(answer).toEqual({
      status: 503,
      text: 'Service Unavailable',
      json: undefined,
      connection: 'close',
    });
  } else {
    expect(answer).toMatchObject({
      status: 503,
      json: { statusCode: 503, error: 'Service Unavailable', message: 'Service Unavailable' },
      connection: 'close',
    });
  }
}

/** Nest's `return503OnClosing` arrived in Nest 12: on Nest 11 only its absence is tested. */
const RETURN_503_ON_CLOSING = nestMajor >= 12 ? [false, true] : [false];

// ---------------------------------------------------------------------------------------------
// The application under test

/** Everything a test holds: released in afterEach whatever happened, so closes can finish. */
class Gates {
  /** The stubborn task ignores its signal until this. */
  readonly taskRelease = deferred();
  /** Its cleanup hangs until this. */
  readonly cleanupRelease = deferred();
  /** The app's own provider entered onModuleDestroy: the phased shutdown is over. */
  readonly moduleDestroyEntered = deferred();
  /** …and leaves it at this: the server is still up until then. */
  readonly moduleDestroyRelease = deferred();
  /** terminus logged "Awaiting …ms before shutdown": it sleeps now. */
  readonly terminusSleeping = deferred();
  /** Everything terminus logged. */
  readonly terminusLog: string[] = [];

  releaseAll(): void {
    for (const gate of [this.taskRelease, this.cleanupRelease, this.moduleDestroyRelease]) {
      gate.resolve();
    }
  }
}

interface AppSetup {
  lifecycle?: Omit<AsyncLifecycleOptions, 'logger' | 'progressIntervalMs'>;
  /** `TerminusModule.forRoot({ gracefulShutdownTimeoutMs })`. */
  terminusTimeoutMs?: number;
  return503OnClosing?: boolean;
}

function healthModule(gates: Gates, setup: AppSetup) {
  /** terminus' logger: tells the test when terminus starts its SIGTERM sleep. */
  @Injectable()
  class TerminusLog implements LoggerService {
    log(message: unknown): void {
      const line = String(message);
      gates.terminusLog.push(line);
      if (line.startsWith('Awaiting')) gates.terminusSleeping.resolve();
    }
    error(): void {
      // "Health Check has failed!" on every 503: expected here.
    }
    warn(message: unknown): void {
      gates.terminusLog.push(String(message));
    }
  }

  @Controller('health')
  class HealthController {
    constructor(
      private readonly health: HealthCheckService,
      private readonly lifecycle: LifecycleHealthIndicator,
    ) {}

    @Get()
    @HealthCheck()
    check() {
      return this.health.check([() => this.lifecycle.isReady('lifecycle')]);
    }

    @Get('live')
    @HealthCheck()
    live() {
      return this.health.check([() => this.lifecycle.isAlive('lifecycle')]);
    }
  }

  /** A route the load balancer sends traffic to. */
  @Controller('work')
  class WorkController {
    @Get()
    work(): string {
      return 'work done';
    }
  }

  /** Holds the server open after the phased shutdown: Nest closes it after onModuleDestroy. */
  @Injectable()
  class SlowResource implements OnModuleDestroy {
    async onModuleDestroy(): Promise<void> {
      gates.moduleDestroyEntered.resolve();
      await gates.moduleDestroyRelease.promise;
    }
  }

  @Module({
    imports: [
      AsyncLifecycleModule.forRoot({
        cleanupTimeoutMs: 5000,
        ...setup.lifecycle,
        logger: false,
        progressIntervalMs: 0,
      }),
      TerminusModule.forRoot({
        logger: TerminusLog,
        ...(setup.terminusTimeoutMs === undefined
          ? {}
          : { gracefulShutdownTimeoutMs: setup.terminusTimeoutMs }),
      }),
    ],
    controllers: [HealthController, WorkController],
    providers: [SlowResource],
  })
  class HealthAppModule {}
  return HealthAppModule;
}

type AdapterName = 'express' | 'fastify';

interface Harness {
  app: INestApplication;
  coordinator: LifecycleCoordinator;
  gates: Gates;
  get(path: string): Promise<Probe>;
  /** `app.close()` not awaited; with a signal, as `enableShutdownHooks` would call it. */
  close(signal?: 'SIGTERM'): Promise<void>;
}

/** Waits in-process until the shutdown is at `step`; the probes then say what it looks like. */
async function reach(
  coordinator: LifecycleCoordinator,
  step: 'drain' | ShutdownPhase,
): Promise<void> {
  const at = (): string | undefined => {
    const report = coordinator.getReport();
    if (report === undefined || report.finished) return undefined;
    return report.phases.at(-1)?.phase ?? 'drain';
  };
  // Checked and subscribed in one synchronous step: no event can slip in between.
  if (at() === step) return;
  await nextEvent(coordinator, (event) =>
    step === 'drain'
      ? event.type === 'state' && event.state === LifecycleState.DRAINING
      : event.type === 'phase' && event.phase === step,
  );
}

/** Creates a task that ignores its signal until released, and whose cleanup hangs. */
function stubbornTask(harness: Harness): void {
  const { gates } = harness;
  void harness.coordinator.createTask(
    async () => {
      await gates.taskRelease.promise;
    },
    { name: 'stubborn', priority: TaskPriority.LOW, cleanup: () => gates.cleanupRelease.promise },
  );
}

/** Creates a task that stops as soon as its signal aborts. */
function politeTask(harness: Harness): void {
  void harness.coordinator
    .createTask(({ signal }) => untilAborted(signal), {
      name: 'polite',
      priority: TaskPriority.NORMAL,
    })
    .then(undefined, () => undefined);
}

// ---------------------------------------------------------------------------------------------

describe.each<[AdapterName]>([['express'], ['fastify']])('/health on %s', (adapterName) => {
  const apps = new OpenApps();
  let harnesses: Harness[] = [];
  let tempDirs: string[] = [];
  let agents: Agent[] = [];

  beforeEach(() => {
    harnesses = [];
    tempDirs = [];
    agents = [];
  });

  afterEach(async () => {
    // Release every hold and cut short what is still waiting, then close what is open.
    for (const { gates, coordinator } of harnesses) {
      gates.releaseAll();
      void coordinator.shutdown({ phase: ShutdownPhase.TERMINATE, reason: 'test teardown' });
    }
    await apps.closeAll();
    for (const agent of agents) agent.destroy();
    for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
  });

  async function start(setup: AppSetup = {}): Promise<Harness> {
    const gates = new Gates();
    const moduleRef = await Test.createTestingModule({
      imports: [healthModule(gates, setup)],
    }).compile();
    const options = { return503OnClosing: setup.return503OnClosing ?? false };
    const app = apps.track(
      adapterName === 'express'
        ? moduleRef.createNestApplication(options)
        : moduleRef.createNestApplication(new FastifyAdapter(), options),
    );
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    const poller = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(poller);
    const harness: Harness = {
      app,
      coordinator: app.get(LifecycleCoordinator),
      gates,
      // Health is polled over one kept-alive connection, as a sidecar or agent does: probes keep
      // theirs through the drain. Other requests come on fresh connections.
      get: (path) =>
        probe(`http://127.0.0.1:${port}${path}`, path.startsWith('/health') ? poller : undefined),
      // The public interface types close() without arguments; Nest's implementation takes the
      // signal, which is what terminus' beforeApplicationShutdown receives.
      close: (signal) =>
        (app as unknown as { close(signal?: string): Promise<void> }).close(signal),
    };
    harnesses.push(harness);
    return harness;
  }

  it('running: 200, the indicator up with its state and nothing else', async () => {
    const { get } = await start();
    const answer = await get('/health');
    expect(answer).toMatchObject({ status: 200 });
    expect(bodyOf(answer)).toEqual({
      status: 'ok',
      info: { lifecycle: { status: 'up', state: 'running' } },
      error: {},
      details: { lifecycle: { status: 'up', state: 'running' } },
    });
    expectAlive(await get('/health/live'), 'ok', LifecycleState.RUNNING);
  });

  it('running after a previous shutdown: 200 with lastShutdown read from reportFile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'health-e2e-'));
    tempDirs.push(dir);
    const reportFile = join(dir, 'last-shutdown.json');
    const lifecycle = {
      reportFile,
      phases: { gracefulMs: 50, forcefulMs: 1000, terminateMs: 1000 },
    };

    // The previous process: a task that ignores its signal until its cleanup (run at FORCEFUL)
    // lets it go — a forced shutdown, written to reportFile.
    const previous = await start({ lifecycle });
    const released = deferred();
    void previous.coordinator.createTask(() => released.promise, {
      name: 'stubborn-until-cleanup',
      cleanup: () => released.resolve(),
    });
    previous.gates.moduleDestroyRelease.resolve(); // nothing to observe while it closes
    await previous.close();
    expect(previous.coordinator.getReport()).toMatchObject({ outcome: 'forced', total: 1 });

    const next = await start({ lifecycle });
    const answer = await next.get('/health');
    expect(answer).toMatchObject({ status: 200 });
    const body = bodyOf(answer);
    expect(body.status).toBe('ok');
    expect(body.details).toEqual(body.info);
    expect(body.info.lifecycle).toEqual({
      status: 'up',
      state: 'running',
      lastShutdown: {
        reason: 'close',
        outcome: 'forced',
        startedAt: previous.coordinator.getReport()?.startedAt,
        durationMs: expect.any(Number),
        total: 1,
        failed: 0,
        abandoned: 0,
      },
    });
  });

  it.each(RETURN_503_ON_CLOSING)(
    'drain delay (return503OnClosing: %s): 503 with phase "drain", /work still 200, alive',
    async (return503OnClosing) => {
      // A drain delay long enough to hold it; escalate() ends it afterwards.
      const harness = await start({
        lifecycle: { drainDelayMs: 10_000, phases: { gracefulMs: 1000, forcefulMs: 500 } },
        return503OnClosing,
      });
      const { coordinator, get } = harness;
      stubbornTask(harness);
      politeTask(harness);
      const closing = harness.close();
      await reach(coordinator, 'drain');

      const data = expectDown(await get('/health'), {
        terminus: 'error',
        state: LifecycleState.DRAINING,
        phase: 'drain',
        running: { LOW: 1, NORMAL: 1 },
        finished: false,
      });
      expect(data.report).toMatchObject({ reason: 'close', phases: [] });
      expect(task(data.report, 'stubborn')?.state).toBe(TaskState.RUNNING);
      expect(task(data.report, 'polite')?.state).toBe(TaskState.RUNNING);

      // The load balancer has not noticed yet: traffic is served as usual.
      expect(await get('/work')).toMatchObject({ status: 200, text: 'work done' });
      expectAlive(await get('/health/live'), 'ok', LifecycleState.DRAINING);

      // The request joined the shutdown as an HTTP task; /health itself is never tracked.
      const after = expectDown(await get('/health'), {
        terminus: 'error',
        state: LifecycleState.DRAINING,
        phase: 'drain',
        running: { LOW: 1, NORMAL: 1 },
        finished: false,
      });
      // A probe carries the tasks still running, failed or abandoned; the whole report is the
      // coordinator's.
      expect(task(after.report, 'GET /work#1')).toBeUndefined();
      expect(task(coordinator.getReport(), 'GET /work#1')).toMatchObject({
        priority: TaskPriority.HIGH,
        state: TaskState.COMPLETED,
      });
      expect(coordinator.getReport()?.tasks.some((t) => t.name.includes('/health'))).toBe(false);
      expect(after.report?.intakes.http).toMatchObject({ admitted: 1, refused: 0 });

      harness.gates.releaseAll();
      coordinator.escalate();
      await closing;
      expect(await get('/health')).toEqual({ error: 'ECONNREFUSED' });
    },
  );

  it.each(RETURN_503_ON_CLOSING)(
    'each phase (return503OnClosing: %s): 503 with the phase, running tasks and report so far',
    async (return503OnClosing) => {
      const harness = await start({
        lifecycle: {
          drainDelayMs: 150,
          phases: { gracefulMs: 250, forcefulMs: 250, terminateMs: 250 },
        },
        return503OnClosing,
      });
      const { coordinator, gates, get } = harness;
      stubbornTask(harness); // LOW: holds GRACEFUL, then FORCEFUL (its cleanup hangs)
      politeTask(harness); // NORMAL: its wave comes after, so it runs until TERMINATE
      const closing = harness.close();
      const seen: string[] = [];
      // Every probe is a new connection, as the kubelet's are: /health must stay reachable
      // (excluded from the drain) until Nest itself closes the server.

      await reach(coordinator, 'drain');
      expectDown(await get('/health'), {
        terminus: 'error',
        state: LifecycleState.DRAINING,
        phase: 'drain',
        running: { LOW: 1, NORMAL: 1 },
        finished: false,
      });
      seen.push('drain');

      await reach(coordinator, ShutdownPhase.GRACEFUL);
      const graceful = expectDown(await get('/health'), {
        terminus: 'error',
        state: LifecycleState.DRAINING,
        phase: ShutdownPhase.GRACEFUL,
        running: { LOW: 1, NORMAL: 1 },
        finished: false,
      });
      expect(graceful.report?.phases).toMatchObject([{ phase: 'graceful', budgetMs: 250 }]);
      expect(graceful.report?.phases[0]).not.toHaveProperty('endedBy');
      expect(task(graceful.report, 'stubborn')?.state).toBe(TaskState.CANCELLING);
      expect(task(graceful.report, 'polite')?.state).toBe(TaskState.RUNNING);
      expectAlive(await get('/health/live'), 'ok', LifecycleState.DRAINING);
      seen.push('graceful');

      await reach(coordinator, ShutdownPhase.FORCEFUL);
      const forceful = expectDown(await get('/health'), {
        terminus: 'error',
        state: LifecycleState.DRAINING,
        phase: ShutdownPhase.FORCEFUL,
        running: { LOW: 1, NORMAL: 1 },
        finished: false,
      });
      expect(forceful.report?.phases).toMatchObject([
        { phase: 'graceful', endedBy: 'budget' },
        { phase: 'forceful' },
      ]);
      // Its cleanup runs now (and hangs): not in the report until it ends.
      expect(task(forceful.report, 'stubborn')).not.toHaveProperty('cleanup');
      expectAlive(await get('/health/live'), 'ok', LifecycleState.DRAINING);
      seen.push('forceful');

      await reach(coordinator, ShutdownPhase.TERMINATE);
      const terminate = expectDown(await get('/health'), {
        terminus: 'error',
        state: LifecycleState.DRAINING,
        phase: ShutdownPhase.TERMINATE,
        running: { LOW: 1 },
        finished: false,
      });
      expect(task(terminate.report, 'polite')).toBeUndefined();
      expect(task(coordinator.getReport(), 'polite')).toMatchObject({
        state: TaskState.CANCELLED,
        endedIn: 'terminate',
      });
      expect(task(terminate.report, 'stubborn')?.state).toBe(TaskState.CANCELLING);
      expectAlive(await get('/health/live'), 'ok', LifecycleState.DRAINING);
      seen.push('terminate');

      // The phased shutdown is over; the app's own onModuleDestroy holds the server open.
      await gates.moduleDestroyEntered.promise;
      expect(coordinator.state).toBe(LifecycleState.STOPPED);
      const health = await get('/health');
      const live = await get('/health/live');
      if (return503OnClosing) {
        // The adapter's beforeClose ran after ours: its flag answers every request now, with
        // Connection: close — and intake is closed, so the poller cannot reconnect.
        expectAdapter503(adapterName, health);
        expect(live).toEqual({ error: 'ECONNREFUSED' });
      } else {
        const stopped = expectDown(health, {
          terminus: 'error',
          state: LifecycleState.STOPPED,
          phase: ShutdownPhase.TERMINATE,
          running: {},
          finished: true,
        });
        expect(stopped.report).toMatchObject({ outcome: 'terminated', abandoned: 1 });
        expect(task(stopped.report, 'stubborn')).toMatchObject({
          state: TaskState.ABANDONED,
          cleanup: { outcome: 'timeout' },
        });
        expect(stopped.report?.phases.map((p) => [p.phase, p.endedBy])).toEqual([
          ['graceful', 'budget'],
          ['forceful', 'budget'],
          ['terminate', 'budget'],
        ]);
        expectAlive(live, 'ok', LifecycleState.STOPPED);
      }
      seen.push('stopped');

      gates.moduleDestroyRelease.resolve();
      await closing;
      expect(await get('/health')).toEqual({ error: 'ECONNREFUSED' });
      expect(seen).toEqual(['drain', 'graceful', 'forceful', 'terminate', 'stopped']);
    },
  );

  describe.each([
    ['without gracefulShutdownTimeoutMs', undefined],
    ['with gracefulShutdownTimeoutMs', 250],
  ])('after the phased shutdown, terminus %s', (_label, terminusTimeoutMs) => {
    it.each(RETURN_503_ON_CLOSING)(
      'app.close("SIGTERM"), return503OnClosing: %s',
      async (return503OnClosing) => {
        const harness = await start({
          lifecycle: { phases: { gracefulMs: 1000, forcefulMs: 500, terminateMs: 500 } },
          terminusTimeoutMs,
          return503OnClosing,
        });
        const { coordinator, gates, get } = harness;
        politeTask(harness);
        // The poller has been polling all along: its connection predates the shutdown.
        expect(await get('/health')).toMatchObject({ status: 200 });
        const closing = harness.close('SIGTERM');

        // 1. Our shutdown finished (clean); the app's onModuleDestroy holds the server open.
        await gates.moduleDestroyEntered.promise;
        expect(coordinator.getReport()).toMatchObject({ finished: true, outcome: 'clean' });
        const health = await get('/health');
        const live = await get('/health/live');
        if (return503OnClosing) {
          // The adapter's 503 says Connection: close; intake being closed, nothing reconnects.
          expectAdapter503(adapterName, health);
          expect(live).toEqual({ error: 'ECONNREFUSED' });
        } else {
          const data = expectDown(health, {
            terminus: 'error',
            state: LifecycleState.STOPPED,
            phase: ShutdownPhase.GRACEFUL,
            running: {},
            finished: true,
          });
          expect(data.report).toMatchObject({ outcome: 'clean', total: 1, cancelled: 1 });
          expectAlive(live, 'ok', LifecycleState.STOPPED);
        }
        gates.moduleDestroyRelease.resolve();

        // 2. terminus' beforeApplicationShutdown: it sleeps on SIGTERM when given a timeout.
        if (terminusTimeoutMs !== undefined) {
          await gates.terminusSleeping.promise;
          const sleeping = await get('/health');
          const sleepingLive = await get('/health/live');
          if (return503OnClosing) {
            expect(sleeping).toEqual({ error: 'ECONNREFUSED' });
            expect(sleepingLive).toEqual({ error: 'ECONNREFUSED' });
          } else {
            const data = expectDown(sleeping, {
              terminus: 'shutting_down',
              state: LifecycleState.STOPPED,
              phase: ShutdownPhase.GRACEFUL,
              running: {},
              finished: true,
            });
            expect(data.report?.outcome).toBe('clean');
            expectAlive(sleepingLive, 'shutting_down', LifecycleState.STOPPED);
          }
        }

        // 3. Closed.
        await closing;
        expect(await get('/health')).toEqual({ error: 'ECONNREFUSED' });
        expect(gates.terminusLog).toEqual(
          terminusTimeoutMs === undefined
            ? []
            : [
                'Received termination signal SIGTERM',
                `Awaiting ${terminusTimeoutMs}ms before shutdown`,
                'Timeout reached, shutting down now',
              ],
        );
      },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// What terminus logs while the application shuts down

describe.each<[AdapterName]>([['express'], ['fastify']])('terminus logs on %s', (adapterName) => {
  const apps = new OpenApps();
  const agents: Agent[] = [];
  const releases: (() => void)[] = [];

  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    await apps.closeAll();
    for (const agent of agents.splice(0)) agent.destroy();
  });

  /**
   * An app whose `/health` is the readiness check and `/health/db` a check that always fails;
   * terminus' logger is `logger`, Nest's (where Nest's `Logger` writes) is recorded.
   */
  async function start(logger: typeof LifecycleTerminusLogger | true) {
    @Controller('health')
    class HealthController {
      constructor(
        private readonly health: HealthCheckService,
        private readonly lifecycle: LifecycleHealthIndicator,
      ) {}

      @Get()
      @HealthCheck()
      ready() {
        return this.health.check([() => this.lifecycle.isReady('lifecycle')]);
      }

      @Get('db')
      @HealthCheck()
      db() {
        return this.health.check([() => ({ db: { status: 'down' as const } })]);
      }
    }
    @Module({
      imports: [
        // The drain holds the shutdown in its first step until escalate().
        AsyncLifecycleModule.forRoot({
          logger: false,
          progressIntervalMs: 0,
          drainDelayMs: 10_000,
          phases: { gracefulMs: 10_000, forcefulMs: 10_000, terminateMs: 1000 },
        }),
        TerminusModule.forRoot({ logger }),
      ],
      controllers: [HealthController],
    })
    class LoggedHealthModule {}
    const moduleRef = await Test.createTestingModule({ imports: [LoggedHealthModule] }).compile();
    const app = apps.track(
      adapterName === 'express'
        ? moduleRef.createNestApplication()
        : moduleRef.createNestApplication(new FastifyAdapter()),
    );
    const nestLog = new RecordingLogger();
    app.useLogger(nestLog);
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    // A poller on a kept-alive connection: it keeps probing through every step.
    const poller = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(poller);
    const coordinator = app.get(LifecycleCoordinator);
    // A task that holds GRACEFUL until the test lets it go.
    const release = deferred();
    releases.push(() => release.resolve());
    void coordinator.createTask(() => release.promise, { name: 'held' });
    return {
      app,
      coordinator,
      nestLog,
      release,
      get: (path: string) => probe(`http://127.0.0.1:${port}${path}`, poller),
      failedChecks: () =>
        nestLog.lines.filter(
          (line) => line.level === 'error' && line.message.startsWith('Health Check has failed!'),
        ),
      shutdownLines: () =>
        nestLog
          .messages('log')
          .filter((message) => message.startsWith('Health checks fail while the application')),
    };
  }

  it('with LifecycleTerminusLogger: an ERROR while running; while shutting down, one line per step and no ERROR', async () => {
    const harness = await start(LifecycleTerminusLogger);
    const { coordinator, get } = harness;
    expect(await get('/health')).toMatchObject({ status: 200 });
    expect(await get('/health/db')).toMatchObject({ status: 503 });
    expect(harness.failedChecks()).toHaveLength(1);

    const closing = harness.app.close();
    await reach(coordinator, 'drain');
    for (let i = 0; i < 3; i++) expect(await get('/health')).toMatchObject({ status: 503 });
    expect(await get('/health/db')).toMatchObject({ status: 503 });
    coordinator.escalate(); // the drain ends: FORCEFUL
    await reach(coordinator, ShutdownPhase.FORCEFUL);
    for (let i = 0; i < 3; i++) expect(await get('/health')).toMatchObject({ status: 503 });

    expect(harness.failedChecks()).toHaveLength(1);
    expect(harness.shutdownLines()).toEqual([
      'Health checks fail while the application shuts down (drain): readiness is down on purpose; further failures are not logged until the next step',
      'Health checks fail while the application shuts down (forceful): readiness is down on purpose; further failures are not logged until the next step',
    ]);
    expect(harness.nestLog.messages('error')).toHaveLength(1);
    harness.release.resolve();
    await closing;
  });

  it("with terminus' own logger: an ERROR carrying the report on every probe (what the logger above avoids)", async () => {
    const harness = await start(true);
    const { coordinator, get } = harness;
    const closing = harness.app.close();
    await reach(coordinator, 'drain');
    for (let i = 0; i < 3; i++) expect(await get('/health')).toMatchObject({ status: 503 });
    const failed = harness.failedChecks();
    expect(failed).toHaveLength(3);
    for (const line of failed) expect(line.message.length).toBeGreaterThan(500);
    harness.release.resolve();
    coordinator.escalate();
    await closing;
  });
});

describe('the shutdown path, run once at bootstrap', () => {
  const apps = new OpenApps();

  afterEach(async () => {
    jest.restoreAllMocks();
    await apps.closeAll();
  });

  it("on a throwaway coordinator with one task, readiness read on it: the app's coordinator stays running, nothing logged", async () => {
    const shutdown = jest.spyOn(LifecycleCoordinator.prototype, 'shutdown');
    const isReady = jest.spyOn(LifecycleHealthIndicator.prototype, 'isReady');
    const logger = new RecordingLogger();
    @Module({
      imports: [AsyncLifecycleModule.forRoot({ logger, progressIntervalMs: 0 })],
    })
    class AppModule {}
    const app = apps.track(
      await NestFactory.createApplicationContext(AppModule, { logger: false }),
    );
    const coordinator = app.get(LifecycleCoordinator);

    // Started inside onApplicationBootstrap: there by the time init() resolved.
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(shutdown).toHaveBeenCalledWith({ reason: 'warm-up' });
    const throwaway = shutdown.mock.contexts[0] as LifecycleCoordinator;
    expect(throwaway).not.toBe(coordinator);
    // Never in AsyncLocalStorage (on Node 20/22 it would turn promise hooks on process-wide),
    // even when the app's tasks run in it.
    expect(coordinator.options.asyncContext).toBe(true);
    expect(throwaway.options.asyncContext).toBe(false);
    const report = await (shutdown.mock.results[0].value as Promise<ShutdownReport>);
    expect(report).toMatchObject({ reason: 'warm-up', outcome: 'clean', total: 1 });
    // Up before the shutdown, down during and after it: both paths of the probe ran.
    expect(
      isReady.mock.results.map(
        (result) => (result.value as { lifecycle: LifecycleData }).lifecycle.status,
      ),
    ).toEqual(['up', 'down', 'down']);
    expect(coordinator.state).toBe(LifecycleState.RUNNING);
    expect(coordinator.getReport()).toBeUndefined();
    // The app's own boot line only.
    expect(logger.messages()).toEqual(['lifecycle starting → running']);
  });
});
