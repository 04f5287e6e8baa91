import { afterEach, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import '../../lib/intake/websocket/websocket-intake.report.js';
import { startScript, type ChildRun } from '../support/child-process.js';
import { openGatewayClient, type GatewayClient } from '../support/gateway-client.js';

const SAMPLE = 'sample/05-realtime/main.js';
// The sample's own budgets: a 500 ms drain, GRACEFUL 10 s; nothing here should come near them.
const EXIT_BOUND_MS = 500 + 10_000 + 2_000 + 1_000;
const TEST_TIMEOUT_MS = 10_000 + EXIT_BOUND_MS + 2_500;

/** Its exit, once every line it printed has been read: 'exit' may come before the last ones. */
async function exitOf(run: ChildRun): Promise<Awaited<ChildRun['exited']>> {
  const exit = await run.exited;
  const stdout = run.child.stdout;
  if (stdout !== null && !stdout.readableEnded) await once(stdout, 'end');
  return exit;
}

describe.each(['ws', 'socket.io'] as const)('the realtime sample over %s, SIGTERM', (transport) => {
  let run: ChildRun | undefined;
  const clients: GatewayClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await run?.close();
    run = undefined;
  });

  it(
    'answers the history read in flight, then closes both chatters with 1001, and exits 0',
    async () => {
      run = startScript(SAMPLE, {
        NO_COLOR: '1',
        PORT: '0',
        TRANSPORT: transport,
        PRINT_REPORT: '1',
        // Longer than the sample's 500 ms drain: the read is still in flight when intake closes.
        HISTORY_MS: '1200',
      });
      const ready = await run.waitFor(/^READY /);
      const port = Number(/:(\d+) /.exec(ready)?.[1]);
      const alice = openGatewayClient(transport, port);
      const bob = openGatewayClient(transport, port);
      clients.push(alice, bob);
      await Promise.all([alice.opened, bob.opened]);

      alice.send('say', 'hello');
      const [said, heard] = await Promise.all([alice.next('said'), bob.next('message')]);
      alice.send('history', 10);
      const signalAt = performance.now();
      run.child.kill('SIGTERM');
      const [history, aliceClosed, bobClosed] = await Promise.all([
        alice.next('history'),
        alice.closed,
        bob.closed,
      ]);
      const { code, at: exitedAt } = await exitOf(run);
      const report = run.jsonAfter<ShutdownReport>('REPORT ');

      expect(said.data).toMatchObject({ text: 'hello' });
      expect(heard.data).toEqual(said.data);
      // The slow read in flight when intake closed was answered, before the close frame; Bob,
      // with nothing in flight, was closed in his turn without waiting for Alice's reply.
      expect(history.data).toEqual([said.data]);
      expect(history.at).toBeLessThanOrEqual(aliceClosed.at);
      expect(history.at - signalAt).toBeGreaterThanOrEqual(1200 - 20);
      expect(bobClosed.at).toBeLessThan(history.at);
      for (const closed of [aliceClosed, bobClosed]) {
        expect(closed).toMatchObject({ code: 1001, reason: 'server shutting down' });
      }
      expect(code).toBe(0);
      expect(exitedAt - signalAt).toBeLessThan(EXIT_BOUND_MS);
      expect(report.outcome).toBe('clean');
      expect(report.intakes?.websockets).toMatchObject({
        connectionsAtStart: 2,
        closedCleanly: 2,
        closedAtForceful: 0,
      });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );
});
