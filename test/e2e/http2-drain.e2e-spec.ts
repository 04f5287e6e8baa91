import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Module,
  Sse,
  type INestApplication,
  type MessageEvent,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { request as httpsRequest } from 'node:https';
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { Subject, defer, type Observable } from 'rxjs';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ShutdownPhase,
  TaskPriority,
  currentTask,
  endOnShutdown,
  type AsyncLifecycleOptions,
} from '../../lib/index.js';
import { deferred } from '../support/deferred.js';
import { phaseEntered } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import { parseSseEvents } from '../support/sse-events.js';
import { createTestCertificate, type TestCertificate } from '../support/tls-certificate.js';

const state = {
  slowEntered: deferred(),
  slow: deferred(),
  hangEntered: deferred(),
  streamOpened: deferred(),
  feed: new Subject<MessageEvent>(),
};

@Controller()
class Http2Controller {
  constructor(private readonly lifecycle: LifecycleCoordinator) {}

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

  @Get('hang')
  async hang(): Promise<string> {
    state.hangEntered.resolve();
    await new Promise(() => undefined);
    return 'never';
  }

  @Sse('events')
  events(): Observable<MessageEvent> {
    const feed = defer(() => {
      state.streamOpened.resolve();
      return state.feed;
    });
    return feed.pipe(endOnShutdown(this.lifecycle));
  }
}

function appModule(options: AsyncLifecycleOptions) {
  @Module({
    imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0, ...options })],
    controllers: [Http2Controller],
  })
  class Http2Module {}
  return Http2Module;
}

/** A stream read in full by Node's http2 client; `rstCode` tells a clean end from a reset. */
interface StreamResult {
  headers: IncomingHttpHeaders;
  body: string;
  rstCode: number;
}

/**
 * What opening a stream on `client` gives: `served`, or the error code. Node 20 and 22 throw
 * at once on a session that heard GOAWAY; Node 24 reports it on the stream.
 */
async function openStream(client: ClientHttp2Session, path: string): Promise<string> {
  try {
    const stream = client.request({ ':path': path });
    return await new Promise((resolve) => {
      stream.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      stream.once('response', () => resolve('served'));
    });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

function read(stream: ClientHttp2Stream): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    let headers: IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => (headers = h));
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('error', () => undefined); // a reset is reported through rstCode
    stream.once('close', () => resolve({ headers, body, rstCode: stream.rstCode ?? -1 }));
    stream.once('aborted', () => reject(new Error('aborted')));
  });
}

// Nest's Express adapter builds an http or https server only, and Express cannot serve HTTP/2
// (its request object is not Node's http2 compatibility one): HTTP/2 is a Fastify feature.
describe('HTTP/2 draining (fastify, http2: true)', () => {
  let certificate: TestCertificate;
  const apps = new OpenApps();
  const sessions: ClientHttp2Session[] = [];

  beforeAll(() => {
    certificate = createTestCertificate();
  });

  afterAll(() => certificate.remove());

  afterEach(async () => {
    for (const key of ['slowEntered', 'slow', 'hangEntered', 'streamOpened'] as const) {
      state[key].resolve();
    }
    for (const session of sessions.splice(0)) session.destroy();
    await apps.closeAll();
    state.slowEntered = deferred();
    state.slow = deferred();
    state.hangEntered = deferred();
    state.streamOpened = deferred();
    state.feed.complete();
    state.feed = new Subject<MessageEvent>();
  });

  async function start(options: AsyncLifecycleOptions = {}) {
    const moduleRef = await Test.createTestingModule({ imports: [appModule(options)] }).compile();
    const https = { key: certificate.key, cert: certificate.cert, allowHTTP1: true };
    const app: INestApplication = apps.track(
      moduleRef.createNestApplication(new FastifyAdapter({ http2: true, https })),
    );
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    const url = `https://localhost:${port}`;
    const session = (): ClientHttp2Session => {
      const client = connect(url, { ca: certificate.cert });
      client.on('error', () => undefined);
      sessions.push(client);
      return client;
    };
    /** The GOAWAY frames a session received: [code, lastStreamID]. */
    const goaways = (client: ClientHttp2Session): [number, number][] => {
      const seen: [number, number][] = [];
      client.on('goaway', (code: number, lastStreamID: number) => seen.push([code, lastStreamID]));
      return seen;
    };
    return { app, url, port, session, goaways, coordinator: app.get(LifecycleCoordinator) };
  }

  it('runs every stream as a managed task of the HTTP priority', async () => {
    const { session } = await start();
    const client = session();
    const first = await read(client.request({ ':path': '/whoami' }));
    const second = await read(client.request({ ':path': '/whoami' }));
    expect(first.headers[':status']).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ task: 'GET /whoami#1', priority: TaskPriority.HIGH });
    expect(JSON.parse(second.body)).toMatchObject({ task: 'GET /whoami#2' });
  });

  it('sends GOAWAY at intake close; the stream in flight completes; new streams and connections go elsewhere', async () => {
    const { app, url, session, goaways, coordinator } = await start();
    const client = session();
    const seen = goaways(client);
    // The notice, then the final GOAWAY naming the last stream received.
    const bothGoaways = new Promise<void>((resolve) =>
      client.on('goaway', () => seen.length === 2 && resolve()),
    );
    const slow = read(client.request({ ':path': '/slow' }));
    await state.slowEntered.promise;

    const closing = app.close();
    await bothGoaways;
    // The client heard it: it opens no new stream on this session …
    await expect(openStream(client, '/whoami')).resolves.toBe('ERR_HTTP2_GOAWAY_SESSION');
    // … and the server takes no new connection.
    const refused = connect(url, { ca: certificate.cert });
    sessions.push(refused);
    await expect(
      new Promise((resolve, reject) => {
        refused.once('connect', resolve);
        refused.once('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    // The stream in flight when GOAWAY came still completes.
    state.slow.resolve();
    await expect(slow).resolves.toMatchObject({ body: 'slow done', rstCode: 0 });
    await closing;

    // First the notice (every stream sent so far counts), then the final GOAWAY.
    expect(seen).toEqual([
      [constants.NGHTTP2_NO_ERROR, 2 ** 31 - 1],
      [constants.NGHTTP2_NO_ERROR, 1],
    ]);
    const report = coordinator.getReport();
    expect(report?.tasks.find((t) => t.name === 'GET /slow#1')).toMatchObject({
      state: 'completed',
      endedIn: 'graceful',
    });
    expect(report?.intakes.http2).toEqual({
      sessionsAtStart: 1,
      goawaySent: 1,
      streamsAtStart: 1,
      admitted: 0,
      refused: 0,
      streamsDrained: 1,
      streamsCancelled: 0,
      closedAtForceful: 0,
      destroyedAtClose: 0,
    });
  });

  it('cancels a stream that never ends at FORCEFUL, and app.close() still completes', async () => {
    const { app, session, coordinator } = await start({
      phases: { gracefulMs: 300, forcefulMs: 300, terminateMs: 300 },
    });
    const client = session();
    const hang = read(client.request({ ':path': '/hang' }));
    await state.hangEntered.promise;
    await app.close(); // before: Node's server.close() waited for the session forever
    await expect(hang).resolves.toMatchObject({ rstCode: constants.NGHTTP2_CANCEL });
    const report = coordinator.getReport();
    expect(report?.phaseReached).toBe(ShutdownPhase.FORCEFUL);
    expect(report?.tasks.find((t) => t.name === 'GET /hang#1')).toMatchObject({
      state: 'cancelled',
      endedIn: 'forceful',
    });
    expect(report?.intakes.http2).toMatchObject({
      sessionsAtStart: 1,
      goawaySent: 1,
      streamsCancelled: 1,
      closedAtForceful: 1,
      destroyedAtClose: 0,
    });
  });

  it('cancels a stream still running http2.requestTimeoutMs after the shutdown began, during GRACEFUL', async () => {
    const { app, session, coordinator } = await start({ http2: { requestTimeoutMs: 100 } });
    const client = session();
    const hang = read(client.request({ ':path': '/hang' }));
    await state.hangEntered.promise;
    await app.close();
    await expect(hang).resolves.toMatchObject({ rstCode: constants.NGHTTP2_CANCEL });
    const report = coordinator.getReport();
    expect(report?.phaseReached).toBe(ShutdownPhase.GRACEFUL); // the 30 s budget was not needed
    expect(report?.intakes.http2).toMatchObject({ streamsCancelled: 1, closedAtForceful: 0 });
  });

  it('ends an @Sse() stream with retry: and a clean end of its HTTP/2 stream', async () => {
    const { app, session, coordinator } = await start();
    const client = session();
    const stream = read(client.request({ ':path': '/events' }));
    await state.streamOpened.promise;
    state.feed.next({ id: '1', data: 'tick' });
    await app.close();
    const { headers, body, rstCode } = await stream;
    expect(headers['content-type']).toMatch(/^text\/event-stream/);
    expect(rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    expect(parseSseEvents(body)).toEqual([
      { id: '1', data: 'tick' },
      { id: '1', retry: '1000' },
    ]);
    expect(coordinator.getReport()?.intakes.sse).toMatchObject({ openAtStart: 1, streamsEnded: 1 });
    expect(coordinator.getReport()?.intakes.http2).toMatchObject({ streamsDrained: 1 });
  });

  it('spreads GOAWAY over http2.spreadMs, one session after another', async () => {
    const { app, session, coordinator } = await start({ http2: { spreadMs: 400 } });
    // When the server sends each session its GOAWAY notice: the client, in this same process,
    // may hear two of them in one turn of the loop.
    const sentAt: number[] = [];
    (app.getHttpServer() as Server).on('session', (serverSession: ServerHttp2Session) => {
      const goaway = serverSession.goaway.bind(serverSession);
      serverSession.goaway = (...args: Parameters<ServerHttp2Session['goaway']>) => {
        if (args[1] === 2 ** 31 - 1) sentAt.push(performance.now()); // the notice, not the final
        goaway(...args);
      };
    });
    const clients = [session(), session(), session()];
    // Each session is established (a request answered) before the shutdown.
    for (const client of clients) await read(client.request({ ':path': '/whoami' }));
    const heard = clients.map(
      (client) => new Promise<void>((resolve) => client.once('goaway', () => resolve())),
    );
    const closeCalledAt = performance.now();
    await app.close();
    await Promise.all(heard);
    // The spread starts when intake closes: no earlier than close() was called plus the drain
    // (0.05 ms for the report's rounding). Session i of 3 is told i × 400 / 3 ms after that at
    // the earliest (1 ms for the timers' rounding). Measured from the first notice instead, a
    // pause while sending it shortens the next gap, so that bound is not a law.
    const spreadFrom =
      closeCalledAt + (coordinator.getReport()?.drain.durationMs ?? Number.NaN) - 0.05;
    expect(sentAt).toHaveLength(3);
    sentAt.forEach((at, i) => expect(at - spreadFrom).toBeGreaterThanOrEqual((i * 400) / 3 - 1));
    expect(coordinator.getReport()?.intakes.http2).toMatchObject({
      sessionsAtStart: 3,
      goawaySent: 3,
    });
  });

  it('drains an HTTP/1.1 request on the same port (allowHTTP1) and tells it Connection: close', async () => {
    const { app, port, coordinator } = await start();
    const response = new Promise<{ status?: number; connection?: string; body: string }>(
      (resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path: '/slow', ca: certificate.cert, servername: 'localhost' },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode, connection: res.headers.connection, body }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    await state.slowEntered.promise;
    const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closing = app.close();
    await intakeClosed;
    state.slow.resolve();
    await expect(response).resolves.toEqual({
      status: 200,
      connection: 'close',
      body: 'slow done',
    });
    await closing;
    expect(coordinator.getReport()?.intakes.http2).toMatchObject({
      sessionsAtStart: 0,
      streamsAtStart: 1,
      streamsDrained: 1,
    });
  });
});
