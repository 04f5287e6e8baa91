import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { WebSocket, WebSocketServer } from 'ws';
import { Agent, createServer, type Server } from 'node:http';
import { ShutdownPhase, type AsyncLifecycleOptions } from '../../lib/index.js';
import { httpGet } from '../support/http-client.js';
import { deferred } from '../support/deferred.js';
import { listenerClosed } from '../support/listener-closed.js';
import { startIntakeApp, type AdapterName, type Gate } from '../support/http-intake-app.js';
import { draining, nextEvent, phaseEntered } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import { RawHttpConnection } from '../support/raw-http-connection.js';

/*
 * The connections a real server sees during a shutdown, one client behaviour each, on Express
 * and Fastify: pipelined requests, an upgraded (WebSocket) connection, a request half-sent when
 * intake closes, HTTP/1.0, `Expect: 100-continue`, a body still trickling in, and requests
 * arriving on connections after intake closed. Real sockets, written byte by byte; every step
 * waits for an event (a handler entered, a phase entered, bytes received, a socket closed).
 */

/** Small budgets: a request the intake loses would hold the close until TERMINATE. */
const BUDGETS = { phases: { gracefulMs: 3000, forcefulMs: 500, terminateMs: 300 } };

const request = (path: string, headers = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`;

const CLEAN_CLOSE = { endedByServer: true, errorCode: undefined };

/** The request reached its handler; fails at once if its connection closed first. */
function entered(gate: Gate, connection: RawHttpConnection): Promise<void> {
  return Promise.race([
    gate.entered.promise,
    connection.closed.then((close) => {
      throw new Error(
        `the connection closed (${JSON.stringify(close)}) before the request was served; ` +
          `received: ${JSON.stringify(connection.received)}`,
      );
    }),
  ]);
}

describe.each<AdapterName>(['express', 'fastify'])(
  'connections during a shutdown (%s)',
  (adapter) => {
    const apps = new OpenApps();
    const sockets: RawHttpConnection[] = [];
    const cleanups: (() => unknown)[] = [];

    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.destroy();
      for (const cleanup of cleanups.splice(0)) await cleanup();
      await apps.closeAll();
    });

    const start = async (options: AsyncLifecycleOptions = {}) => {
      const harness = await startIntakeApp(adapter, apps, sockets, { ...BUDGETS, ...options });
      cleanups.push(() => harness.gates.releaseAll());
      return harness;
    };

    describe('pipelining', () => {
      it('answers all three requests pipelined on one connection, only the last saying Connection: close', async () => {
        const { app, gates, coordinator, raw } = await start();
        gates.criticalRelease.resolve();
        const ids = ['p1', 'p2', 'p3'];
        const connection = raw();
        await connection.write(ids.map((id) => request(`/hold/${id}`)).join(''));
        // Node runs pipelined handlers at once and queues their responses.
        await Promise.all(ids.map((id) => gates.gate(id).entered.promise));

        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await intakeClosed;
        for (const id of ids) gates.gate(id).release.resolve();

        expect(await connection.closed).toEqual(CLEAN_CLOSE);
        expect(connection.statuses).toEqual([200, 200, 200]);
        expect(connection.received.match(/held p\d/g)).toEqual(['held p1', 'held p2', 'held p3']);
        expect(connection.headersOf(0)).toContain('connection: keep-alive');
        expect(connection.headersOf(1)).toContain('connection: keep-alive');
        expect(connection.headersOf(2)).toContain('connection: close');
        await closing;
        const report = coordinator.getReport();
        expect(report).toMatchObject({ outcome: 'clean', completed: 3 });
        expect(report?.intakes.http).toMatchObject({
          inFlightAtStart: 3,
          closedWithResponse: 1,
          idleClosed: 0,
        });
      });
    });

    describe('upgraded connections', () => {
      it('leaves a WebSocket alone: neither idle-closed nor destroyed while idle connections are closed', async () => {
        const { app, gates, coordinator, port, raw } = await start();
        gates.criticalRelease.resolve();
        const wss = new WebSocketServer({ server: app.getHttpServer() as Server });
        wss.on('connection', (ws) =>
          ws.on('message', (data: Buffer) => ws.send(`echo ${data.toString()}`)),
        );
        cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
        const ws = new WebSocket(`ws://127.0.0.1:${port}`);
        cleanups.push(() => ws.terminate());
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        // An idle keep-alive connection, next to it: the intake closes this one.
        const idle = raw();
        await idle.get('/fast');
        await idle.untilText('fast');

        const closing = app.close();
        expect(await idle.closed).toEqual(CLEAN_CLOSE);
        // The phased shutdown is over, idle connections are closed: the WebSocket still works.
        const echo = new Promise((resolve) =>
          ws.once('message', (data: Buffer) => resolve(data.toString())),
        );
        ws.send('still here');
        expect(await echo).toBe('echo still here');
        // Its owner (here the client) ends it; Nest's close then completes.
        const wsClosed = new Promise((resolve) => ws.once('close', resolve));
        ws.close(1000, 'bye');
        await wsClosed;
        await closing;
        expect(coordinator.getReport()?.intakes.http).toMatchObject({ upgraded: 1, idleClosed: 1 });
      });
    });

    describe('requests half-sent when intake closes', () => {
      it('answers a request half-sent on a kept-alive connection that had been idle for a while', async () => {
        const { app, gates, coordinator, raw } = await start({ drainDelayMs: 500 });
        gates.criticalRelease.resolve();
        const connection = raw();
        await connection.get('/fast');
        await connection.untilText('fast'); // idle from now: long before intake closes

        const began = draining(coordinator);
        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await began;
        await connection.write('GET /hold/h HTTP/1.1\r\nHost: loc');
        await intakeClosed;
        await connection.write('alhost\r\n\r\n');
        await entered(gates.gate('h'), connection);
        gates.gate('h').release.resolve();

        expect(await connection.closed).toEqual(CLEAN_CLOSE);
        expect(connection.statuses).toEqual([200, 200]);
        expect(connection.received).toContain('held h');
        expect(connection.headersOf(1)).toContain('connection: close');
        await closing;
        expect(coordinator.getReport()?.intakes.http).toMatchObject({
          admittedAfterIntakeClosed: 1,
          closedWithResponse: 1,
        });
      });

      it('answers a connection accepted during the drain whose headers are still arriving', async () => {
        const { app, gates, coordinator, raw } = await start({ drainDelayMs: 500 });
        gates.criticalRelease.resolve();
        const began = draining(coordinator);
        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await began;
        const connection = raw();
        await connection.connected;
        await connection.write('GET /hold/d HTTP/1.1\r\n');
        await intakeClosed;
        await connection.write('Host: localhost\r\n\r\n');
        await entered(gates.gate('d'), connection);
        gates.gate('d').release.resolve();

        expect(await connection.closed).toEqual(CLEAN_CLOSE);
        expect(connection.statuses).toEqual([200]);
        expect(connection.headersOf(0)).toContain('connection: close');
        await closing;
      });

      it('serves a request that arrives whole on a long-idle kept-alive connection right after intake closed', async () => {
        const { app, url, gates, coordinator, raw } = await start({ drainDelayMs: 300 });
        gates.criticalRelease.resolve();
        const connection = raw();
        await connection.get('/fast');
        await connection.untilText('fast');
        // Traffic in flight keeps the HTTP wave open, as under load.
        const busy = httpGet(`${url}/hold/busy`);
        await gates.gate('busy').entered.promise;

        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await intakeClosed;
        // What a load balancer's pooled connection does when it noticed nothing yet.
        await connection.get('/hold/late');
        await entered(gates.gate('late'), connection);
        gates.gate('late').release.resolve();

        expect(await connection.closed).toEqual(CLEAN_CLOSE);
        expect(connection.statuses).toEqual([200, 200]);
        expect(connection.headersOf(1)).toContain('connection: close');
        gates.gate('busy').release.resolve();
        await busy;
        await closing;
      });
    });

    describe('an event-loop stall across the idle sweep', () => {
      it('serves a request already in the socket buffer of a pooled connection when the loop stalled past quietMs', async () => {
        // Measured drain ending at maxMs: intake closes 100 ms after the shutdown starts, while
        // the pooled connection, used just before, is younger than quietMs (400 ms).
        const quietMs = 400;
        const { app, url, gates, coordinator, raw } = await start({
          drain: { minMs: 100, maxMs: 100, quietMs },
        });
        gates.criticalRelease.resolve();
        const pooled = raw();
        await pooled.get('/fast');
        await pooled.untilText('fast');
        // Traffic in flight keeps the HTTP wave open, as under load: the idle sweep runs.
        const busy = httpGet(`${url}/hold/busy`);
        await gates.gate('busy').entered.promise;

        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await intakeClosed;
        // What a proxy does at load 20: it sends on its pooled connection, and the server's event
        // loop stalls (here: blocked) for longer than quietMs before it reads the bytes. In the
        // check phase, so that the next turn starts with the timers (the overdue sweep) and
        // only then polls the socket that holds the request.
        await new Promise<void>((resolve) =>
          setImmediate(() => {
            pooled.socket.write(request('/hold/late'));
            // The request is in the kernel, nothing of it is in the client's buffer.
            expect(pooled.socket.writableLength).toBe(0);
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, quietMs + 300);
            resolve();
          }),
        );
        await entered(gates.gate('late'), pooled);
        gates.gate('late').release.resolve();

        expect(await pooled.closed).toEqual(CLEAN_CLOSE);
        expect(pooled.statuses).toEqual([200, 200]);
        expect(pooled.headersOf(1)).toContain('connection: close');
        gates.gate('busy').release.resolve();
        await busy;
        await closing;
        expect(coordinator.getReport()?.intakes.http).toMatchObject({
          ignoredAfterClose: 0,
          refused: 0,
        });
      });
    });

    describe('other clients', () => {
      it('answers HTTP/1.0 clients in flight and during the drain, each connection then closed', async () => {
        const { app, gates, coordinator, raw } = await start({ drainDelayMs: 200 });
        gates.criticalRelease.resolve();
        const inFlight = raw();
        await inFlight.write('GET /hold/old HTTP/1.0\r\n\r\n');
        await gates.gate('old').entered.promise;

        const began = draining(coordinator);
        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await began;
        // HTTP/1.0 with keep-alive, during the drain: served and kept, like any client.
        const keptAlive = raw();
        await keptAlive.write('GET /fast HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
        await keptAlive.untilText('fast');
        await intakeClosed;
        gates.gate('old').release.resolve();

        expect(await inFlight.closed).toEqual(CLEAN_CLOSE);
        expect(inFlight.received).toMatch(/^HTTP\/1\.1 200[\s\S]*held old$/);
        expect(keptAlive.statuses).toEqual([200]);
        expect(await keptAlive.closed).toEqual(CLEAN_CLOSE);
        await closing;
      });

      it('answers an Expect: 100-continue upload whose body is sent after intake closed', async () => {
        const { app, coordinator, gates, raw } = await start();
        gates.criticalRelease.resolve();
        const body = JSON.stringify({ data: 'x'.repeat(1000) });
        const connection = raw();
        await connection.write(
          'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
            `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
        );
        await connection.untilText('100 Continue');

        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await intakeClosed;
        await connection.write(body);

        expect(await connection.closed).toEqual(CLEAN_CLOSE);
        expect(connection.statuses).toEqual([100, 201]);
        expect(connection.received).toContain('uploaded 1000');
        expect(connection.headersOf(1)).toContain('connection: close');
        await closing;
      });

      it('answers an upload whose body is still trickling in when intake closes', async () => {
        const { app, coordinator, gates, raw } = await start();
        gates.criticalRelease.resolve();
        const body = JSON.stringify({ data: 'y'.repeat(3000) });
        const connection = raw();
        // Its headers are in: the request is a task (its handler runs once the body is in).
        const admitted = nextEvent(
          coordinator,
          (e) => e.type === 'task' && e.name.startsWith('POST /upload'),
        );
        await connection.write(
          'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
            `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 1000)}`,
        );
        await admitted;
        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await intakeClosed;
        for (let at = 1000; at < body.length; at += 500) {
          await connection.write(body.slice(at, at + 500));
        }

        expect(await connection.closed).toEqual(CLEAN_CLOSE);
        expect(connection.statuses).toEqual([201]);
        expect(connection.received).toContain('uploaded 3000');
        expect(connection.headersOf(0)).toContain('connection: close');
        await closing;
        expect(coordinator.getReport()?.intakes.http).toMatchObject({ inFlightAtStart: 1 });
      });
    });

    describe('after intake closed', () => {
      it('under traffic that never stops, refuses new connections after half the graceful budget: nothing admitted is cut', async () => {
        const { app, url, gates, coordinator } = await start({
          phases: { gracefulMs: 2000, forcefulMs: 300, terminateMs: 200 },
        });
        gates.criticalRelease.resolve();
        // A long request keeps the HTTP wave open while the clients below keep sending.
        const held = httpGet(`${url}/hold/a`);
        await gates.gate('a').entered.promise;
        const refusedOnce = deferred();
        // Four clients straight at the server, each sending again as soon as it is answered.
        const agent = new Agent({ keepAlive: true, maxSockets: 4 });
        cleanups.push(() => agent.destroy());
        let stop = false;
        const errors: Record<string, number> = {};
        let answered = 0;
        const flowing = deferred();
        const client = async (): Promise<void> => {
          while (!stop) {
            try {
              const result = await httpGet(`${url}/fast`, agent);
              expect(result.status).toBe(200);
              answered++;
              flowing.resolve();
            } catch (error) {
              const code = (error as NodeJS.ErrnoException).code ?? String(error);
              errors[code] = (errors[code] ?? 0) + 1;
              // Refused: the server is gone for this client; it stops, as a client would.
              if (code === 'ECONNREFUSED') {
                refusedOnce.resolve();
                return;
              }
            }
          }
        };
        const clients = [client(), client(), client(), client()];
        await flowing.promise;
        const closing = app.close();
        // Half the graceful budget after intake closed, new connections are refused.
        await refusedOnce.promise;
        gates.gate('a').release.resolve();
        await held;
        await closing;
        stop = true;
        await Promise.all(clients);

        const report = coordinator.getReport();
        expect({ outcome: report?.outcome, destroyed: report?.intakes.http?.destroyed }).toEqual({
          outcome: 'clean',
          destroyed: 0,
        });
        expect(report?.intakes.http?.admittedAfterIntakeClosed).toBeGreaterThan(0);
        expect(answered).toBeGreaterThan(0);
        // Every client error is a refused connection: nothing reset, nothing cut.
        expect(Object.keys(errors)).toEqual(['ECONNREFUSED']);
      });

      it('hands the port over: a successor that binds it once the listener closed gets every reconnection, none refused', async () => {
        // The listener closes 1 s after intake closed, the clients are told to go 0.5 s later.
        const { app, port, url, gates, coordinator } = await start({
          phases: { gracefulMs: 2000, forcefulMs: 300, terminateMs: 200 },
        });
        gates.criticalRelease.resolve();
        // A long request keeps the HTTP wave open until the clients below have moved.
        const held = httpGet(`${url}/hold/a`);
        await gates.gate('a').entered.promise;
        // The successor (a restart behind a proxy with a fixed list of backends): it takes the
        // port the moment the server lets go of it.
        const unlistened = listenerClosed(app.getHttpServer() as Server);
        const successor = createServer((_req, res) => res.end('successor'));
        cleanups.push(() => new Promise((resolve) => successor.close(resolve)));
        const bind = async (): Promise<void> => {
          await unlistened;
          await new Promise<void>((resolve, reject) => {
            successor.once('error', reject);
            successor.listen(port, '127.0.0.1', resolve);
          });
        };
        // Four clients straight at the server, each sending again as soon as it is answered,
        // until the successor answers one: a passive proxy's keep-alive pool.
        const agent = new Agent({ keepAlive: true, maxSockets: 4 });
        cleanups.push(() => agent.destroy());
        let moved = false;
        const errors: Record<string, number> = {};
        const bodies: Record<string, number> = {};
        const flowing = deferred();
        const client = async (): Promise<void> => {
          while (!moved) {
            try {
              const { status, body } = await httpGet(`${url}/fast`, agent);
              bodies[`${status} ${body}`] = (bodies[`${status} ${body}`] ?? 0) + 1;
              if (body === 'successor') moved = true;
              flowing.resolve();
            } catch (error) {
              const code = (error as NodeJS.ErrnoException).code ?? String(error);
              errors[code] = (errors[code] ?? 0) + 1;
              if (code === 'ECONNREFUSED') return;
            }
          }
        };
        const clients = [client(), client(), client(), client()];
        await flowing.promise;
        const closing = app.close();
        const bound = bind();
        await Promise.all(clients);
        await bound;
        gates.gate('a').release.resolve();
        await expect(held).resolves.toMatchObject({ status: 200 });
        await closing;

        // Half the graceful budget after intake closed the listener closed; the clients, told
        // to go only a moment later, reconnected to the successor: none was refused.
        expect(errors).toEqual({});
        expect(Object.keys(bodies).sort()).toEqual(['200 fast', '200 successor']);
        expect(coordinator.getReport()).toMatchObject({
          outcome: 'clean',
          intakes: { http: { destroyed: 0, refused: 0 } },
        });
      });

      it.each([
        [0, 'connection: close'],
        [1500, 'connection: keep-alive'],
      ])(
        'with http.handoverMs %i, serves a connection it accepted after intake closed for that long after the listener closed',
        async (handoverMs, expected) => {
          // The listener closes half the graceful budget after intake closed (traffic in flight);
          // the HTTP wave waits for the connections it still serves until the hand-over ends.
          const { app, url, gates, coordinator, raw } = await start({
            phases: { gracefulMs: 4000, forcefulMs: 300, terminateMs: 200 },
            http: { handoverMs },
          });
          gates.criticalRelease.resolve();
          const held = httpGet(`${url}/hold/a`); // keeps the HTTP wave open
          await gates.gate('a').entered.promise;
          const unlistened = listenerClosed(app.getHttpServer() as Server);
          const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
          const closing = app.close();
          await intakeClosed;
          // Accepted after intake closed: kept, not told to go, until the hand-over ends.
          const late = raw();
          await late.get('/fast');
          await late.untilText('fast');
          await late.get('/hold/b');
          await entered(gates.gate('b'), late);
          await unlistened;
          // The hand-over's timer was set as the listener closed; a 1 ms timer set after it
          // runs after it (handoverMs 0 is a 1 ms timer too), long before a 1.5 s one.
          await new Promise((resolve) => setTimeout(resolve, 1));
          gates.gate('b').release.resolve();
          await late.untilText('held b');
          expect(late.headersOf(1)).toContain(expected);
          gates.gate('a').release.resolve();
          await expect(held).resolves.toMatchObject({ status: 200 });
          await closing;
          expect(await late.closed).toEqual(CLEAN_CLOSE);
          expect(coordinator.getReport()).toMatchObject({
            outcome: 'clean',
            intakes: { http: { destroyed: 0, admittedAfterIntakeClosed: 2 } },
          });
        },
      );

      it('tells the connections it had to go, keeps the ones it accepts while the HTTP wave runs, then refuses new ones', async () => {
        const { app, url, port, gates, coordinator, raw } = await start();
        const held = httpGet(`${url}/hold/a`); // traffic in flight: the HTTP wave stays open
        await gates.gate('a').entered.promise;
        const before = raw();
        await before.get('/fast');
        await before.untilText('fast');
        const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
        const closing = app.close();
        await intakeClosed;

        // A client connected before: its next response tells it to go elsewhere.
        await before.get('/fast');
        expect(await before.closed).toEqual(CLEAN_CLOSE);
        expect(before.headersOf(1)).toContain('connection: close');
        // A load balancer that has not noticed yet, on a new connection: served, not refused,
        // and the connection kept — reconnecting would only bring it back here.
        const late = raw();
        await late.get('/fast');
        await late.untilText('fast');
        expect(late.headersOf(0)).toContain('connection: keep-alive');

        gates.gate('a').release.resolve();
        await expect(held).resolves.toMatchObject({ status: 200 });
        await gates.criticalSignalled.promise; // the HTTP wave has ended
        // Its connection is closed (a FIN, nothing in progress), new ones are refused.
        expect(await late.closed).toEqual(CLEAN_CLOSE);
        const refused = new RawHttpConnection({ port });
        expect(await refused.closed).toEqual({ endedByServer: false, errorCode: 'ECONNREFUSED' });
        gates.criticalRelease.resolve();
        await closing;
        expect(coordinator.getReport()?.intakes.http).toMatchObject({
          inFlightAtStart: 1,
          admittedAfterIntakeClosed: 2,
          refused: 0,
          idleClosed: 1,
        });
      });
    });
  },
);
