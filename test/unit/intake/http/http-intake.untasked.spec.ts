import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import type { ShutdownReport } from '../../../../lib/core/shutdown-report.interface.js';
import { HttpIntake } from '../../../../lib/intake/http/http.intake.js';
import { resolveHttpIntakeOptions } from '../../../../lib/intake/http/http-intake.options.js';
import { deferred } from '../../../support/deferred.js';
import { httpGet } from '../../../support/http-client.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * With `asyncContext: false` a request before the shutdown has no task of its own, only its
 * connection's count (HttpIntakeContext.asyncContext): what happens at the edges of that.
 */
describe('HttpIntake without async context (requests counted, tasks made at the shutdown)', () => {
  const servers: Server[] = [];
  const intakes: HttpIntake[] = [];

  afterEach(async () => {
    for (const intake of intakes.splice(0)) await intake.finish();
    for (const server of servers.splice(0)) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  async function serve(coordinator: LifecycleCoordinator, listener: Listener): Promise<string> {
    const server = createServer(listener);
    servers.push(server);
    const intake = new HttpIntake(server, resolveHttpIntakeOptions(true)!, {
      events: coordinator.events$,
      asyncContext: false,
    });
    intake.install(coordinator.registerIntake(intake));
    intakes.push(intake);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('drains a request whose handler began the shutdown synchronously', async () => {
    const coordinator = new LifecycleCoordinator({
      logger: false,
      asyncContext: false,
      progressIntervalMs: 0,
      drain: { maxMs: 0 },
    });
    const release = deferred();
    // In an object: a promise resolved with a promise would wait for the shutdown to end.
    const began = deferred<{ shutdown: Promise<ShutdownReport> }>();
    const url = await serve(coordinator, (_req, res) => {
      // An admin endpoint: the shutdown begins inside the request, which answers later.
      began.resolve({ shutdown: coordinator.shutdown() });
      void release.promise.then(() => res.end('done'));
    });
    const response = httpGet(`${url}/stop`);
    const { shutdown } = await began.promise;
    // The shutdown waits for it: its task is there.
    expect(coordinator.tasks().map((t) => t.name)).toEqual(['GET /stop#1']);
    release.resolve();
    await expect(response).resolves.toMatchObject({ status: 200, body: 'done' });
    const report = await shutdown;
    expect(report.tasks.find((t) => t.name === 'GET /stop#1')).toMatchObject({
      state: 'completed',
    });
    expect(report.intakes.http?.inFlightAtStart).toBe(1);
  });

  it('fails, and logs, the task of a request whose listener throws: nothing escapes to the server', async () => {
    const logged = deferred<string>();
    const coordinator = new LifecycleCoordinator({
      asyncContext: false,
      progressIntervalMs: 0,
      logger: {
        log: () => undefined,
        warn: () => undefined,
        error: (message: string) => logged.resolve(message),
      },
    });
    const url = await serve(coordinator, (req, res) => {
      if (req.url === '/throw') throw new Error('listener failed');
      res.end('ok');
    });
    const thrown = httpGet(`${url}/throw`).catch(() => undefined);
    const message = await logged.promise;
    expect(message).toContain('GET /throw#1');
    expect(message).toContain('listener failed');
    // The server still serves.
    await expect(httpGet(`${url}/next`)).resolves.toMatchObject({ status: 200, body: 'ok' });
    for (const intake of intakes.splice(0)) await intake.finish();
    await thrown;
  });
});
