import { afterEach, describe, expect, it } from '@jest/globals';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { deferred } from '../../../support/deferred.js';
import { httpGet } from '../../../support/http-client.js';
import { IntakeServers } from '../../../support/intake-servers.js';

describe("HttpIntake: a request's task name held by a task of the app", () => {
  const servers = new IntakeServers();

  afterEach(() => servers.closeAll());

  it('serves the request anyway, as a task of the same name', async () => {
    const coordinator = new LifecycleCoordinator({ logger: false, progressIntervalMs: 0 });
    const held = deferred<void>();
    coordinator.createTask(() => held.promise, { name: 'GET /taken#1' });
    const inside = deferred<string[]>();
    const url = await servers.serve(
      coordinator,
      (_req, res) => {
        inside.resolve(coordinator.tasks().map((task) => task.name));
        res.end('ok');
      },
      true,
    );

    // Before: the request listener threw DuplicateTaskNameError and the process went down.
    await expect(httpGet(`${url}/taken`)).resolves.toMatchObject({ status: 200, body: 'ok' });
    await expect(inside.promise).resolves.toEqual(['GET /taken#1', 'GET /taken#1']);
    held.resolve();
    await expect(coordinator.shutdown()).resolves.toMatchObject({ outcome: 'clean' });
  });
});
