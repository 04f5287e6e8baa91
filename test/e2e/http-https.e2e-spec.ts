import 'reflect-metadata';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'node:https';
import { ShutdownPhase, TaskPriority } from '../../lib/index.js';
import { httpsGet } from '../support/http-client.js';
import {
  startIntakeApp,
  type AdapterName,
  type TestCertificate,
} from '../support/http-intake-app.js';
import { nextEvent, phaseEntered } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import { RawHttpConnection } from '../support/raw-http-connection.js';
import { selfSignedCertificate } from '../support/tls-certificate.js';

/*
 * An HTTPS application (`httpsOptions` on Express, `https` on Fastify) is drained exactly like
 * an HTTP one: its requests are tasks of the HTTP wave, responses after intake closed say
 * `Connection: close`, a hanging request loses its connection at FORCEFUL, and idle keep-alive
 * connections do not hold the close. Real TLS: a self-signed certificate made by openssl.
 */
/** The wave of HIGH, the HTTP priority: LOWEST stops in wave 0, CRITICAL in wave 4. */
const HTTP_WAVE = 4 - TaskPriority.HIGH;

const CLEAN_CLOSE = { endedByServer: true, errorCode: undefined };

describe.each<AdapterName>(['express', 'fastify'])('HTTPS draining (%s)', (adapter) => {
  const apps = new OpenApps();
  const sockets: RawHttpConnection[] = [];
  const agents: Agent[] = [];
  let tls: TestCertificate;

  beforeAll(async () => {
    tls = await selfSignedCertificate();
  });

  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const agent of agents.splice(0)) agent.destroy();
    await apps.closeAll();
  });

  const releases: (() => void)[] = [];
  const start = async (options = {}) => {
    const harness = await startIntakeApp(adapter, apps, sockets, options, tls);
    releases.push(() => harness.gates.releaseAll());
    return harness;
  };

  it('runs a request in flight as a task of the HTTP wave: the CRITICAL hook waits for it', async () => {
    const { app, url, gates, coordinator } = await start();
    gates.criticalRelease.resolve();
    const inFlight = httpsGet(`${url}/hold/a`, tls.cert);
    await gates.gate('a').entered.promise;

    const httpWave = nextEvent(coordinator, (e) => e.type === 'wave' && e.wave === HTTP_WAVE);
    const closing = app.close();
    await httpWave;
    // The HTTP wave waits for the request; the CRITICAL wave (and its hook) comes after it.
    expect(coordinator.getReport()?.tasks.find((t) => t.name === 'GET /hold/a#1')).toMatchObject({
      wave: HTTP_WAVE,
      state: 'running',
    });
    expect(gates.log).toEqual([]);
    gates.gate('a').release.resolve();
    await expect(inFlight).resolves.toMatchObject({ status: 200, body: 'held a' });
    await closing;
    expect(gates.log).toEqual(['answered a', 'critical hook']);
    expect(coordinator.getReport()?.intakes.http).toMatchObject({ inFlightAtStart: 1 });
  });

  it("after intake closed: serves a kept-alive connection with Connection: close; once the HTTP wave ended, refuses new connections and answers 503 on a probe's", async () => {
    const { app, url, port, gates, coordinator, raw } = await start();
    const held = httpsGet(`${url}/hold/a`, tls.cert); // keeps the HTTP wave open
    await gates.gate('a').entered.promise;
    const kept = raw();
    await kept.get('/fast');
    await kept.untilText('fast');
    expect(kept.headersOf(0)).toContain('connection: keep-alive');
    const probe = raw(); // a health poller's connection: kept open through the shutdown
    await probe.get('/health');
    await probe.untilText('health ok');

    const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closing = app.close();
    await intakeClosed;
    await kept.get('/fast');
    expect(await kept.closed).toEqual(CLEAN_CLOSE);
    expect(kept.statuses).toEqual([200, 200]);
    expect(kept.headersOf(1)).toContain('connection: close');

    gates.gate('a').release.resolve();
    await held;
    await gates.criticalSignalled.promise; // the HTTP wave has ended
    const late = new RawHttpConnection({ port, ca: tls.cert });
    expect(await late.closed).toEqual({ endedByServer: false, errorCode: 'ECONNREFUSED' });
    await probe.get('/fast');
    expect(await probe.closed).toEqual(CLEAN_CLOSE);
    expect(probe.statuses).toEqual([200, 503]);
    expect(probe.headersOf(1)).toContain('connection: close');
    gates.criticalRelease.resolve();
    await closing;
    expect(coordinator.getReport()?.intakes.http).toMatchObject({
      inFlightAtStart: 1,
      admittedAfterIntakeClosed: 1,
      refused: 1,
      closedWithResponse: 3,
    });
  });

  it('keeps serving a kept-alive TLS connection through the HTTP wave, each response telling it to go', async () => {
    const { app, gates, coordinator, raw } = await start();
    const connection = raw();
    await connection.connected;
    await connection.get('/hold/a');
    await gates.gate('a').entered.promise;

    const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closing = app.close();
    await intakeClosed;
    gates.gate('a').release.resolve();
    const close = await connection.closed;
    expect(connection.statuses).toEqual([200]);
    expect(connection.headersOf(0)).toContain('connection: close');
    expect(close).toEqual({ endedByServer: true, errorCode: undefined });
    gates.criticalRelease.resolve();
    await closing;
  });

  it('destroys the connection of a request still running at FORCEFUL', async () => {
    const { app, url, gates, coordinator } = await start({
      phases: { gracefulMs: 200, forcefulMs: 200, terminateMs: 100 },
    });
    gates.criticalRelease.resolve();
    const hanging = expect(httpsGet(`${url}/hang`, tls.cert)).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    await gates.gate('hang').entered.promise;
    await app.close();
    await hanging;
    const report = coordinator.getReport();
    expect(report?.intakes.http?.destroyed).toBe(1);
    expect(report?.tasks.find((t) => t.name === 'GET /hang#1')).toMatchObject({
      endedIn: 'forceful',
    });
  });

  it('does not let idle keep-alive TLS connections hold the close', async () => {
    const { app, url, gates, coordinator } = await start({
      phases: { gracefulMs: 2000, forcefulMs: 1000, terminateMs: 1000 },
    });
    gates.criticalRelease.resolve();
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    agents.push(agent);
    await Promise.all([1, 2, 3].map(() => httpsGet(`${url}/fast`, tls.cert, agent)));
    expect(Object.values(agent.freeSockets).flat().length).toBeGreaterThan(0);

    const started = performance.now();
    await app.close();
    // Well inside the budgets: nothing waits for the idle connections.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(coordinator.getReport()?.outcome).toBe('clean');
  });
});
