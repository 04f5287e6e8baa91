import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
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
import type { AddressInfo, Server } from 'node:net';
import { Subject, defer, finalize, type Observable } from 'rxjs';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ShutdownPhase,
  endOnShutdown,
  longPoll,
  type AsyncLifecycleOptions,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { httpGet } from '../support/http-client.js';
import { draining, phaseEntered } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import { RawHttpExchange } from '../support/raw-http-exchange.js';

const state = {
  feed: new Subject<MessageEvent>(),
  streamOpened: deferred(),
  pollEntered: deferred(),
  pollSignalAborted: deferred<boolean>(),
  /** When each stream of /spread was ended, on the server, in the order they opened. */
  spreadEnds: [] as number[],
};

@Controller()
class StreamsController {
  constructor(private readonly lifecycle: LifecycleCoordinator) {}

  @Sse('events')
  events(): Observable<MessageEvent> {
    // Opened once Nest subscribes: events sent before that would be lost.
    const feed = defer(() => {
      state.streamOpened.resolve();
      return state.feed;
    });
    return feed.pipe(endOnShutdown(this.lifecycle));
  }

  @Sse('spread')
  spread(): Observable<MessageEvent> {
    const ends = state.spreadEnds;
    const slot = ends.push(Number.NaN) - 1;
    // Runs when endOnShutdown() unsubscribes from the producer: the moment the stream is ended.
    return new Subject<MessageEvent>().pipe(
      finalize(() => (ends[slot] = performance.now())),
      endOnShutdown(this.lifecycle),
    );
  }

  @Get('poll')
  poll(): Promise<string> {
    state.pollEntered.resolve();
    return longPoll(
      this.lifecycle,
      async (signal) => {
        await untilAborted(signal).catch(() => state.pollSignalAborted.resolve(true));
        return 'unreachable: nothing is ever published';
      },
      { fallback: 'no news' },
    );
  }
}

function appModule(options: AsyncLifecycleOptions) {
  @Module({
    imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0, ...options })],
    controllers: [StreamsController],
  })
  class StreamsModule {}
  return StreamsModule;
}

// The measured drain: open until nothing arrived for 1 s (generous on a busy machine), so the
// test acts inside the drain before intake closes.
const MEASURED_DRAIN: AsyncLifecycleOptions = { drain: { minMs: 0, quietMs: 1000, maxMs: 10_000 } };

describe.each([
  ['express', () => undefined],
  ['fastify', () => new FastifyAdapter()],
])('SSE and long-poll end at intake close (%s)', (_name, makeAdapter) => {
  const apps = new OpenApps();
  const exchanges: RawHttpExchange[] = [];

  afterEach(async () => {
    for (const exchange of exchanges.splice(0)) exchange.destroy();
    await apps.closeAll();
    state.feed.complete();
    state.feed = new Subject<MessageEvent>();
    state.streamOpened = deferred();
    state.pollEntered = deferred();
    state.pollSignalAborted = deferred<boolean>();
    state.spreadEnds = [];
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
    const open = (path: string): RawHttpExchange => {
      const exchange = new RawHttpExchange(port, path);
      exchanges.push(exchange);
      return exchange;
    };
    return {
      app,
      url: `http://127.0.0.1:${port}`,
      open,
      coordinator: app.get(LifecycleCoordinator),
    };
  }

  it('keeps an @Sse() stream flowing during the drain, then ends it at intake close with retry: and a clean end of the chunked body', async () => {
    const { app, open, coordinator } = await start({ ...MEASURED_DRAIN, sse: { retryMs: 2500 } });
    const stream = open('/events');
    await state.streamOpened.promise;
    state.feed.next({ id: '1', data: 'first' });
    await stream.until(() => stream.events.length === 1, 'the first event');
    expect(stream.head?.headers['content-type']).toMatch(/^text\/event-stream/);

    const began = draining(coordinator);
    const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closing = app.close();
    await began;
    // The load balancer has not noticed yet: the stream carries on.
    state.feed.next({ id: '2', data: 'during the drain' });
    await stream.until(() => stream.events.length === 2, 'the event sent during the drain');
    expect(coordinator.getReport()?.phases).toEqual([]); // still draining when it arrived
    expect(stream.body.complete).toBe(false);

    await intakeClosed;
    await stream.complete();
    // The last event has no data (EventSource dispatches nothing) and keeps the last id.
    expect(stream.events).toEqual([
      { id: '1', data: 'first' },
      { id: '2', data: 'during the drain' },
      { id: '2', retry: '2500' },
    ]);
    expect(stream.body.complete).toBe(true); // ended by its last chunk, not cut
    await closing;

    const report = coordinator.getReport();
    expect(report?.outcome).toBe('clean');
    expect(report?.tasks.find((t) => t.name === 'GET /events#1')).toMatchObject({
      state: 'completed',
      endedIn: 'graceful',
    });
    expect(report?.intakes.sse).toEqual({
      openAtStart: 1,
      streamsEnded: 1,
      pollsAnswered: 0,
      openedAfterClose: 0,
      endedAtForceful: 0,
    });
  });

  it('keeps a long-poll waiting during the drain and answers it early, with its fallback, at intake close', async () => {
    const { app, url, coordinator } = await start(MEASURED_DRAIN);
    const polling = httpGet(`${url}/poll`);
    await state.pollEntered.promise;
    let answered = false;
    void polling.then(() => (answered = true));

    const began = draining(coordinator);
    const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
    const closing = app.close();
    await began;
    expect(answered).toBe(false);
    expect(state.pollSignalAborted.settled).toBe(false);
    await intakeClosed;
    await expect(polling).resolves.toMatchObject({ status: 200, body: 'no news' });
    await expect(state.pollSignalAborted.promise).resolves.toBe(true); // the wait was told to stop
    await closing;

    const report = coordinator.getReport();
    expect(report?.tasks.find((t) => t.name === 'GET /poll#1')).toMatchObject({
      state: 'completed',
      endedIn: 'graceful',
    });
    expect(report?.intakes.sse).toMatchObject({ openAtStart: 1, pollsAnswered: 1 });
  });

  it('spreads the ends of several streams over sse.spreadMs, in the order they opened', async () => {
    const { app, open, coordinator } = await start({ sse: { spreadMs: 400 } });
    const streams = [open('/spread'), open('/spread'), open('/spread')];
    for (const stream of streams) {
      await stream.until(() => stream.head !== undefined, 'the headers');
    }
    const closeCalledAt = performance.now();
    await app.close();
    for (const stream of streams) {
      expect(stream.body.complete).toBe(true);
      expect(stream.events.at(-1)).toMatchObject({ retry: '1000' });
    }
    // The spread starts when intake closes: no earlier than close() was called plus the drain
    // (0.05 ms for the report's rounding). Stream i of 3 ends i × 400 / 3 ms after that at the
    // earliest (1 ms for the timers' rounding). Measured from the first stream's end instead,
    // a pause while ending the first shortens the next gap, so that bound is not a law.
    const report = coordinator.getReport();
    const spreadFrom = closeCalledAt + (report?.drain.durationMs ?? Number.NaN) - 0.05;
    const ends = state.spreadEnds;
    expect(ends).toHaveLength(3);
    ends.forEach((at, i) => expect(at - spreadFrom).toBeGreaterThanOrEqual((i * 400) / 3 - 1));
    expect(ends[1]).toBeGreaterThan(ends[0]);
    expect(ends[2]).toBeGreaterThan(ends[1]);
    expect(report?.intakes.sse).toMatchObject({ openAtStart: 3, streamsEnded: 3 });
  });
});
