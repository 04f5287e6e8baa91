import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { httpGet } from '../support/http-client.js';
import { startIntakeApp, type AdapterName } from '../support/http-intake-app.js';
import { OpenApps } from '../support/nest-app.js';
import type { RawHttpConnection } from '../support/raw-http-connection.js';

/*
 * Connections in the kernel's accept queue when intake closes: the handshake is done, the event
 * loop has not accepted them yet (it is busy). Closing the listener then would make the kernel
 * reset every one of them; the intake keeps accepting while the HTTP wave runs, so they are
 * accepted and answered, and closed cleanly once the wave is over.
 */

const CLIENTS = 10;
/** Long enough for the kernel to complete every handshake while the loop is blocked. */
const BUSY_MS = 50;

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // The event loop is busy: connections wait in the accept queue.
  }
}

describe.each<AdapterName>(['express', 'fastify'])(
  'the accept queue when intake closes (%s)',
  (adapter) => {
    const apps = new OpenApps();
    const sockets: RawHttpConnection[] = [];
    const releases: (() => void)[] = [];

    afterEach(async () => {
      for (const release of releases.splice(0)) release();
      for (const socket of sockets.splice(0)) socket.destroy();
      await apps.closeAll();
    });

    it('accepts and answers every connection waiting in the accept queue, resets none', async () => {
      const { url, gates, coordinator, raw } = await startIntakeApp(adapter, apps, sockets);
      releases.push(() => gates.releaseAll());
      gates.criticalRelease.resolve();
      // Traffic in flight: the HTTP wave stays open after intake closes.
      const held = httpGet(`${url}/hold/a`);
      await gates.gate('a').entered.promise;

      const clients = Array.from({ length: CLIENTS }, () => raw());
      // Each writes its request as soon as it is connected.
      for (const client of clients) void client.get('/fast').catch(() => undefined);
      // Node issues the connect() calls on the next tick; the loop then stays busy while the
      // kernel completes the handshakes, and intake closes (no drain) before it accepts any.
      await new Promise<void>((resolve) => process.nextTick(resolve));
      busyWait(BUSY_MS);
      const shutdown = coordinator.shutdown({ reason: 'test' });

      // Accepted and answered; then, the HTTP wave over, closed cleanly.
      await Promise.all(clients.map((client) => client.untilText('fast')));
      expect(clients.map((client) => client.statuses)).toEqual(clients.map(() => [200]));
      gates.gate('a').release.resolve();
      await held;
      const ends = await Promise.all(clients.map((client) => client.closed));
      expect(ends).toEqual(clients.map(() => ({ endedByServer: true, errorCode: undefined })));
      await shutdown;
      expect(coordinator.getReport()?.intakes.http).toMatchObject({
        admittedAfterIntakeClosed: CLIENTS,
        refused: 0,
      });
    });
  },
);
