import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import { startScript, type ChildRun } from '../support/child-process.js';
import { RawHttpExchange } from '../support/raw-http-exchange.js';
import { parseSseEvents } from '../support/sse-events.js';
import { createTestCertificate, type TestCertificate } from '../support/tls-certificate.js';

const SAMPLE = 'sample/05-realtime/main.js';
// The sample's budgets: a 500 ms drain, 10 s GRACEFUL, 2 s FORCEFUL, 1 s TERMINATE.
const BUDGETS_MS = 500 + 10_000 + 2000 + 1000;
// Generous: the bound that matters is "exits within the budgets, does not hang".
const MARGIN_MS = 2500;
// Start-up of a Nest app in a fresh process, the budgets and the margin.
const TEST_TIMEOUT_MS = 10_000 + BUDGETS_MS + MARGIN_MS;
// The slow request takes this long: still running when SIGTERM comes, well inside GRACEFUL.
const REPORT_MS = '2000';

/** What the enableLifecycleShutdown watchdog prints when it has to exit a process itself. */
const FORCED_EXIT = /still alive .* after the shutdown|has not finished .* after the first signal/;

function portOf(ready: string): number {
  const match = /:(\d+) /.exec(ready);
  if (match === null) throw new Error(`no port in "${ready}"`);
  return Number(match[1]);
}

describe.each(['express', 'fastify'] as const)(
  'SSE and long-poll in a real process, HTTP/1.1, %s',
  (adapter) => {
    let run: ChildRun | undefined;
    const exchanges: RawHttpExchange[] = [];

    afterEach(async () => {
      for (const exchange of exchanges.splice(0)) exchange.destroy();
      await run?.close();
      run = undefined;
    });

    it(
      'on SIGTERM ends the SSE stream with retry: and the end of its chunked body, answers the long-poll early, and exits 0 within the budgets',
      async () => {
        run = start({ ADAPTER: adapter });
        const port = portOf(await run.waitFor(/^READY /));
        const stream = new RawHttpExchange(port, '/prices');
        exchanges.push(stream);
        await stream.until(() => stream.events.length >= 1, 'the first price');
        const poll = new RawHttpExchange(port, '/orders/next');
        exchanges.push(poll);
        await run.waitFor(/long-poll waiting for the next order/);

        const sentAt = performance.now();
        run.child.kill('SIGTERM');
        await Promise.all([stream.complete(), poll.complete()]);
        const { code, at: exitedAt } = await run.exited;

        const events = stream.events;
        const prices = events.slice(0, -1);
        expect(prices.every((event) => event.event === 'price')).toBe(true);
        // The last event: no data, the last id again, the reconnection delay.
        expect(events.at(-1)).toEqual({ id: prices.at(-1)?.id, retry: '1000' });
        expect(stream.body.complete).toBe(true); // the chunked body ended with its last chunk
        expect(poll.head?.status).toBe(200);
        expect(poll.body).toEqual({ text: '{"orders":[]}', complete: true });

        expect(code).toBe(0);
        expect(exitedAt - sentAt).toBeLessThan(BUDGETS_MS + MARGIN_MS);
        expect(run.lines.filter((line) => FORCED_EXIT.test(line))).toEqual([]);
        expect(run.errorOutput).toBe('');
        const report = run.jsonAfter<ShutdownReport>('REPORT ');
        expect(report).toMatchObject({ reason: 'SIGTERM', outcome: 'clean', lingering: {} });
        expect(report.intakes.sse).toEqual({
          openAtStart: 2,
          streamsEnded: 1,
          pollsAnswered: 1,
          openedAfterClose: 0,
          endedAtForceful: 0,
        });
      },
      TEST_TIMEOUT_MS,
    );
  },
);

/** A stream read in full by Node's http2 client. */
interface StreamResult {
  status?: number;
  body: string;
  rstCode: number;
}

function read(stream: ClientHttp2Stream, onData?: (body: string) => void): Promise<StreamResult> {
  return new Promise((resolve) => {
    let headers: IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => (headers = h));
    stream.on('data', (chunk: string) => {
      body += chunk;
      onData?.(body);
    });
    stream.on('error', () => undefined); // a reset is reported through rstCode
    stream.once('close', () =>
      resolve({ status: Number(headers[':status']), body, rstCode: stream.rstCode ?? -1 }),
    );
  });
}

describe('SSE, long-poll and a slow request in a real process, HTTP/2, fastify', () => {
  let certificate: TestCertificate;
  let run: ChildRun | undefined;
  let session: ClientHttp2Session | undefined;

  beforeAll(() => {
    certificate = createTestCertificate();
  });

  afterAll(() => certificate.remove());

  afterEach(async () => {
    session?.destroy();
    session = undefined;
    await run?.close();
    run = undefined;
  });

  it(
    'on SIGTERM sends GOAWAY, every stream in flight completes cleanly, and the process exits 0 within the budgets',
    async () => {
      run = start({
        ADAPTER: 'fastify',
        HTTP2: '1',
        TLS_KEY: certificate.keyPath,
        TLS_CERT: certificate.certPath,
      });
      const port = portOf(await run.waitFor(/^READY /));
      session = connect(`https://localhost:${port}`, { ca: certificate.cert });
      session.on('error', () => undefined);
      const goaways: number[] = [];
      session.on('goaway', (code: number) => goaways.push(code));

      let firstPrice!: () => void;
      const priced = new Promise<void>((resolve) => (firstPrice = resolve));
      const prices = read(session.request({ ':path': '/prices' }), (body) => {
        if (body.includes('data:')) firstPrice();
      });
      await priced;
      const report = read(session.request({ ':path': '/report' }));
      const poll = read(session.request({ ':path': '/orders/next' }));
      await run.waitFor(/report started/);
      await run.waitFor(/long-poll waiting for the next order/);

      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      const [sse, slow, longPoll] = await Promise.all([prices, report, poll]);
      const { code, at: exitedAt } = await run.exited;

      expect(goaways[0]).toBe(constants.NGHTTP2_NO_ERROR);
      // Every stream ended cleanly (END_STREAM, no reset) with its whole response.
      expect([sse.rstCode, slow.rstCode, longPoll.rstCode]).toEqual([0, 0, 0]);
      const events = parseSseEvents(sse.body);
      expect(events.at(-1)).toEqual({ id: events.at(-2)?.id, retry: '1000' });
      expect(slow).toMatchObject({ status: 200, body: '{"rows":42}' });
      expect(longPoll).toMatchObject({ status: 200, body: '{"orders":[]}' });

      expect(code).toBe(0);
      expect(exitedAt - sentAt).toBeLessThan(BUDGETS_MS + MARGIN_MS);
      expect(run.lines.filter((line) => FORCED_EXIT.test(line))).toEqual([]);
      expect(run.errorOutput).toBe('');
      const shutdown = run.jsonAfter<ShutdownReport>('REPORT ');
      expect(shutdown).toMatchObject({ reason: 'SIGTERM', outcome: 'clean', lingering: {} });
      // The slow request was in flight at SIGTERM and drained during GRACEFUL.
      expect(shutdown.tasks.find((t) => t.name.startsWith('GET /report#'))).toMatchObject({
        state: 'completed',
        endedIn: 'graceful',
      });
      expect(shutdown.intakes.http2).toEqual({
        sessionsAtStart: 1,
        goawaySent: 1,
        streamsAtStart: 3,
        admitted: 0,
        refused: 0,
        streamsDrained: 3,
        streamsCancelled: 0,
        closedAtForceful: 0,
        destroyedAtClose: 0,
      });
      expect(shutdown.intakes.sse).toMatchObject({ streamsEnded: 1, pollsAnswered: 1 });
    },
    TEST_TIMEOUT_MS,
  );
});

function start(env: Record<string, string>): ChildRun {
  return startScript(SAMPLE, {
    NO_COLOR: '1',
    PORT: '0',
    PRINT_REPORT: '1',
    REPORT_MS,
    ...env,
  });
}
