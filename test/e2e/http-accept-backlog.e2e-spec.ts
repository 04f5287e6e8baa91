import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ShutdownPhase } from '../../lib/index.js';
import { httpGet } from '../support/http-client.js';
import { phaseEntered } from '../support/lifecycle-events.js';
import { startIntakeApp, type AdapterName } from '../support/http-intake-app.js';
import { OpenApps } from '../support/nest-app.js';
import type { RawHttpConnection } from '../support/raw-http-connection.js';

/*
 * Connections in the kernel's accept queue when intake closes: the handshake is done, the event
 * loop has not accepted them yet (it is busy). Closing the listener then would make the kernel
 * reset every one of them; the intake keeps accepting while the HTTP wave runs, so they are
 * accepted and answered, and closed cleanly once the wave is over. When the listener does
 * close, it closes after a poll phase has accepted what queued up while the loop was busy.
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

    it('when the listener closes after a stall (half the graceful budget, traffic in flight), first accepts and answers what queued up during it', async () => {
      // The listener closes 800 ms after intake closed (half of GRACEFUL), decided by a timer;
      // the connections it kept are told to go 100 ms later, and hold the HTTP wave until
      // they have been idle for quietMs.
      const { url, gates, coordinator, raw } = await startIntakeApp(adapter, apps, sockets, {
        phases: { gracefulMs: 1600, forcefulMs: 300, terminateMs: 200 },
        drain: { minMs: 0, quietMs: 200, maxMs: 1000 },
        http: { handoverMs: 100 },
      });
      releases.push(() => gates.releaseAll());
      gates.criticalRelease.resolve();
      // Traffic in flight: the HTTP wave runs past the listener's close.
      const held = httpGet(`${url}/hold/a`);
      await gates.gate('a').entered.promise;
      const intakeClosed = phaseEntered(coordinator, ShutdownPhase.GRACEFUL);
      const shutdown = coordinator.shutdown({ reason: 'test' });
      await intakeClosed;

      const clients = Array.from({ length: CLIENTS }, () => raw());
      for (const client of clients) void client.get('/fast').catch(() => undefined);
      await new Promise<void>((resolve) => process.nextTick(resolve));
      // The loop stalls past the moment the listener is due to close, while the kernel
      // completes every handshake: the timer that decides the close runs before the poll phase
      // that accepts them. Closing right then would reset all of them.
      busyWait(900);

      await Promise.all(clients.map((client) => client.untilText('fast')));
      expect(clients.map((client) => client.statuses)).toEqual(clients.map(() => [200]));
      gates.gate('a').release.resolve();
      await held;
      const ends = await Promise.all(clients.map((client) => client.closed));
      expect(ends).toEqual(clients.map(() => ({ endedByServer: true, errorCode: undefined })));
      await shutdown;
      expect(coordinator.getReport()).toMatchObject({
        outcome: 'clean',
        intakes: { http: { admittedAfterIntakeClosed: CLIENTS, refused: 0, destroyed: 0 } },
      });
    });
  },
);
