import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LifecycleCoordinator } from '../../lib/core/lifecycle-coordinator.js';
import { HttpIntake } from '../../lib/intake/http/http.intake.js';
import { resolveHttpIntakeOptions } from '../../lib/intake/http/http-intake.options.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Plain `node:http` servers with an `HttpIntake` of a coordinator installed, no Nest: `serve`
 * starts one on a free loopback port, `closeAll` (in `afterEach`) finishes the intakes and
 * closes the servers.
 *
 * @example
 * const servers = new IntakeServers();
 * afterEach(() => servers.closeAll());
 * const url = await servers.serve(coordinator, (_req, res) => res.end('ok'), false);
 */
export class IntakeServers {
  private readonly servers: Server[] = [];
  private readonly intakes: HttpIntake[] = [];

  /** The base URL of a new server whose requests `coordinator`'s HTTP intake tracks. */
  async serve(
    coordinator: LifecycleCoordinator,
    listener: Listener,
    asyncContext: boolean,
  ): Promise<string> {
    const server = createServer(listener);
    this.servers.push(server);
    const intake = new HttpIntake(server, resolveHttpIntakeOptions(true)!, {
      events: coordinator.events$,
      asyncContext,
    });
    intake.install(coordinator.registerIntake(intake));
    this.intakes.push(intake);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Finishes the intakes started so far (before a test's own last check). */
  async finishIntakes(): Promise<void> {
    for (const intake of this.intakes.splice(0)) await intake.finish();
  }

  async closeAll(): Promise<void> {
    await this.finishIntakes();
    for (const server of this.servers.splice(0)) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
