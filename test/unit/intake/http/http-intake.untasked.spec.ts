import { afterEach, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import type { ShutdownReport } from '../../../../lib/core/shutdown-report.interface.js';
import { deferred } from '../../../support/deferred.js';
import { httpGet } from '../../../support/http-client.js';
import { IntakeServers } from '../../../support/intake-servers.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * With `asyncContext: false` a request before the shutdown has no task of its own, only its
 * connection's count (HttpIntakeContext.asyncContext): what happens at the edges of that.
 */
describe('HttpIntake without async context (requests counted, tasks made at the shutdown)', () => {
  const servers = new IntakeServers();

  afterEach(() => servers.closeAll());

  function serve(coordinator: LifecycleCoordinator, listener: Listener): Promise<string> {
    return servers.serve(coordinator, listener, false);
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
    await servers.finishIntakes();
    await thrown;
  });
});
