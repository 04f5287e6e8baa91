import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { httpGet } from '../support/http-client.js';
import { startIntakeApp, type AdapterName } from '../support/http-intake-app.js';
import { draining } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import type { RawHttpConnection } from '../support/raw-http-connection.js';

/*
 * The server's final close (Nest's adapter close, after the phased shutdown): whatever is still
 * open then is ended within a bounded time — an excluded path that never answers, a request that
 * never finishes arriving — so that `app.close()` ends within the budgets.
 */

const BUDGETS = { gracefulMs: 300, forcefulMs: 200, terminateMs: 100 };
/** The budgets, the final close's settling (at most 1 s) and a generous margin for a busy box. */
const CLOSE_BOUND_MS =
  300 + BUDGETS.gracefulMs + BUDGETS.forcefulMs + BUDGETS.terminateMs + 1000 + 1500;

describe.each<AdapterName>(['express', 'fastify'])('the final close (%s)', (adapter) => {
  const apps = new OpenApps();
  const sockets: RawHttpConnection[] = [];
  const releases: (() => void)[] = [];

  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    for (const socket of sockets.splice(0)) socket.destroy();
    await apps.closeAll();
  });

  const start = async (drainDelayMs = 0) => {
    const harness = await startIntakeApp(adapter, apps, sockets, { phases: BUDGETS, drainDelayMs });
    releases.push(() => harness.gates.releaseAll());
    harness.gates.criticalRelease.resolve();
    return harness;
  };

  it(
    'ends within the budgets when an excluded path never answers, cutting its connection',
    async () => {
      const { app, url, gates, coordinator } = await start();
      const probe = httpGet(`${url}/health/db`).then(
        () => 'answered',
        (error: NodeJS.ErrnoException) => error.code,
      );
      await gates.healthDbEntered.promise;

      const started = performance.now();
      await app.close();
      expect(performance.now() - started).toBeLessThan(CLOSE_BOUND_MS);
      expect(await probe).toBe('ECONNRESET');
      // Untracked: the shutdown itself was clean; the intake says what it cut.
      expect(coordinator.getReport()).toMatchObject({ outcome: 'clean', total: 1 });
      expect(coordinator.getReport()?.intakes.http).toMatchObject({ reset: 1 });
    },
    CLOSE_BOUND_MS + 2000,
  );

  it(
    'answers 503 to a request still arriving at the end, after holding the HTTP wave for it',
    async () => {
      const { app, coordinator, raw } = await start(300);
      const began = draining(coordinator);
      const started = performance.now();
      const closing = app.close();
      await began;
      // During the drain, a client starts a request and sends nothing more.
      const slow = raw();
      await slow.connected;
      await slow.write('GET /fast HTTP/1.1\r\nHost: loc');
      await closing;
      expect(performance.now() - started).toBeLessThan(CLOSE_BOUND_MS);
      expect(await slow.closed).toMatchObject({ endedByServer: true });
      expect(slow.statuses).toEqual([503]);
      expect(slow.headersOf(0)).toContain('connection: close');
      const report = coordinator.getReport();
      // It held the HTTP wave until FORCEFUL: a request on its way is not refused early.
      expect(report?.tasks.find((t) => t.name === 'HTTP requests arriving')).toMatchObject({
        state: 'cancelled',
        endedIn: 'forceful',
      });
      expect(report?.intakes.http).toMatchObject({ refused: 1, closedWithResponse: 1 });
    },
    CLOSE_BOUND_MS + 2000,
  );
});
