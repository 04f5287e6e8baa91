import { afterEach, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import '../../lib/intake/websocket/websocket-intake.report.js';
import { startScript, type ChildRun } from '../support/child-process.js';
import {
  SocketIoEchoClient,
  WsEchoClient,
  type ClientClose,
  type EchoClient,
} from '../support/echo-clients.js';
import { FailoverProxy } from '../support/failover-proxy.js';

const FIXTURE = 'test/process/fixtures/ws-gateway-app.js';
// Long enough for each client to get a reply to a message it sent after the signal even when
// the machine is busy (a round trip took over 300 ms at load 20).
const DRAIN_MS = 1000;
const PHASES = { gracefulMs: 4000, forcefulMs: 1000, terminateMs: 500 };
const BUDGETS_MS = DRAIN_MS + PHASES.gracefulMs + PHASES.forcefulMs + PHASES.terminateMs;
const WINDOW_MS = 1200;
const CLIENTS = 8;
/** How long the gateway takes to answer each message: a reply is in flight most of the time. */
const HANDLER_MS = 100;
// Generous: the bound that matters is "exits within the budgets, does not hang".
const MARGIN_MS = 2500;
// A Nest app starting in a fresh process on a busy machine, the budgets, the margin.
const TEST_TIMEOUT_MS = 10_000 + BUDGETS_MS + MARGIN_MS;

type Transport = 'ws' | 'socket.io';
type Platform = 'express' | 'fastify';

function start(
  transport: Transport,
  platform: Platform,
  options: object,
  instance = 'a',
): ChildRun {
  return startScript(FIXTURE, {
    NO_COLOR: '1',
    TRANSPORT: transport,
    PLATFORM: platform,
    INSTANCE: instance,
    LIFECYCLE_OPTIONS: JSON.stringify(options),
  });
}

async function portOf(run: ChildRun): Promise<number> {
  const line = await run.waitFor(/^LISTENING \d+$/);
  return Number(line.split(' ')[1]);
}

function client(transport: Transport, name: string, port: number): EchoClient {
  return transport === 'ws'
    ? new WsEchoClient(name, `ws://127.0.0.1:${port}`)
    : new SocketIoEchoClient(name, `http://127.0.0.1:${port}`);
}

/** What a client sees as a polite close: 1001 and the reason (socket.io: a `transport close`). */
function politeClose(transport: Transport): Partial<ClientClose> {
  const close = { code: 1001, reason: 'server shutting down' };
  return transport === 'ws' ? close : { ...close, disconnectReason: 'transport close' };
}

/** Messages the gateway's handler took that never got their reply to the client. */
function lostReplies(clients: readonly EchoClient[], handled: readonly string[]): string[] {
  const byName = new Map(clients.map((c) => [c.name, c]));
  return handled.filter((key) => {
    const [name, id] = key.split('#');
    return !byName.get(name)?.replies.has(Number(id));
  });
}

/** Its exit, once every line it printed has been read: 'exit' may come before the last ones. */
async function exitOf(run: ChildRun): Promise<Awaited<ChildRun['exited']>> {
  const exit = await run.exited;
  const stdout = run.child.stdout;
  if (stdout !== null && !stdout.readableEnded) await once(stdout, 'end');
  return exit;
}

describe('WebSocket gateways in a real process, real clients, real signals', () => {
  const runs: ChildRun[] = [];
  const clients: EchoClient[] = [];
  let proxy: FailoverProxy | undefined;

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await Promise.all(runs.splice(0).map((run) => run.close()));
    await proxy?.close();
    proxy = undefined;
  });

  describe.each([
    ['ws', 'express'],
    ['ws', 'fastify'],
    ['socket.io', 'express'],
    ['socket.io', 'fastify'],
  ] as const)('%s gateway on %s', (transport, platform) => {
    it(
      'serves through the drain, closes each client with 1001 in its turn over the window, loses no reply, exits 0 on time',
      async () => {
        const run = start(transport, platform, {
          drainDelayMs: DRAIN_MS,
          phases: PHASES,
          websockets: { closeWindowMs: WINDOW_MS, closeIntervalMs: WINDOW_MS },
        });
        runs.push(run);
        const port = await portOf(run);
        for (let i = 0; i < CLIENTS; i++) clients.push(client(transport, `c${i}`, port));
        await Promise.all(clients.map((c) => c.opened.promise));
        for (const c of clients) c.start(HANDLER_MS);
        await Promise.all(clients.map((c) => c.repliesReached(2)));

        const signalAt = performance.now();
        run.child.kill('SIGTERM');
        const closes = await Promise.all(clients.map((c) => c.closed.promise));
        const { code, at: exitedAt } = await exitOf(run);

        const handled = run.jsonAfter<string[]>('HANDLED ');
        const report = run.jsonAfter<ShutdownReport>('REPORT ');
        const closedAt = closes.map((close) => close.at - signalAt).sort((a, b) => a - b);
        const gaps = closedAt.slice(1).map((at, i) => at - closedAt[i]);
        const sentAfterSignal = (c: EchoClient): number[] =>
          [...c.sent].filter(([, at]) => at > signalAt).map(([id]) => id);

        // One comparison, so that a failure shows every fact at once.
        expect({
          exitCode: code,
          exitedWithinBudgets: exitedAt - signalAt < BUDGETS_MS,
          // Every client was told to go, politely, with the configured code and reason.
          closes: closes.map((close) => ({ ...close, at: undefined })),
          // During the drain, clients were served as usual: each had a message sent after the
          // signal answered.
          answeredAfterSignal: clients.map((c) =>
            sentAfterSignal(c).some((id) => c.replies.has(id)),
          ),
          // Each message ran as a managed task of its own.
          repliesFromTasks: clients.every((c) =>
            [...c.replies.values()].every((reply) => /^WS echo#\d+$/.test(reply.task ?? '')),
          ),
          // No reply lost: every message the handler took was answered before the close frame.
          lost: lostReplies(clients, handled),
          // What is unanswered is the one message each client sent as its close crossed it.
          unansweredAtMostOnePerClient: clients.every((c) => c.unanswered().length <= 1),
          // The first turn came when intake closed, after the drain; the closes are spread over
          // the window, not one burst.
          firstCloseAfterDrain: closedAt[0] >= DRAIN_MS - 20,
          spread: closedAt[CLIENTS - 1] - closedAt[0] >= WINDOW_MS / 2,
          lastCloseWithinWindow: closedAt[CLIENTS - 1] <= DRAIN_MS + WINDOW_MS + MARGIN_MS,
          separatedCloses: gaps.filter((gap) => gap >= 25).length >= CLIENTS / 2,
          outcome: report.outcome,
          intake: report.intakes?.websockets,
          errorOutput: run.errorOutput,
        }).toEqual({
          exitCode: 0,
          exitedWithinBudgets: true,
          closes: clients.map(() => ({ ...politeClose(transport), at: undefined })),
          answeredAfterSignal: clients.map(() => true),
          repliesFromTasks: true,
          lost: [],
          unansweredAtMostOnePerClient: true,
          firstCloseAfterDrain: true,
          spread: true,
          lastCloseWithinWindow: true,
          separatedCloses: true,
          outcome: 'clean',
          intake: expect.objectContaining({
            connectionsAtStart: CLIENTS,
            closedCleanly: CLIENTS,
            closedAtForceful: 0,
            terminated: 0,
            messagesCutOff: 0,
            windowMs: WINDOW_MS,
          }),
          errorOutput: '',
        });
        expect(report.intakes?.websockets?.messagesDrained).toBeGreaterThanOrEqual(CLIENTS);
        expect(report.tasks).toContainEqual(
          expect.objectContaining({
            name: `WS close ${CLIENTS} connection(s)`,
            state: 'completed',
          }),
        );
        console.log(
          `${transport}/${platform}: closes at ${closedAt.map(Math.round).join(', ')} ms after ` +
            `SIGTERM; exit after ${Math.round(exitedAt - signalAt)} ms`,
        );
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe.each(['ws', 'socket.io'] as const)('%s gateway on express', (transport) => {
    it(
      'closes a connection still busy at FORCEFUL, reports the reply it cut off, exits 0 within the budgets',
      async () => {
        const phases = { gracefulMs: 1200, forcefulMs: 1000, terminateMs: 500 };
        const run = start(transport, 'express', { phases });
        runs.push(run);
        const port = await portOf(run);
        const quick = client(transport, 'quick', port);
        const stuck = client(transport, 'stuck', port);
        clients.push(quick, stuck);
        await Promise.all(clients.map((c) => c.opened.promise));
        quick.start(20);
        await quick.repliesReached(1);
        // One message whose handler waits a minute (following its task's signal).
        stuck.start(60_000);

        const signalAt = performance.now();
        run.child.kill('SIGTERM');
        const [quickClose, stuckClose] = await Promise.all([
          quick.closed.promise,
          stuck.closed.promise,
        ]);
        const { code, at: exitedAt } = await exitOf(run);
        const report = run.jsonAfter<ShutdownReport>('REPORT ');

        expect({
          exitCode: code,
          exitedWithinBudgets:
            exitedAt - signalAt < phases.gracefulMs + phases.forcefulMs + phases.terminateMs,
          quick: { ...quickClose, at: undefined },
          quickClosedBeforeForceful: quickClose.at - signalAt < phases.gracefulMs,
          stuck: { ...stuckClose, at: undefined },
          // Held through GRACEFUL (its reply could still come), closed when FORCEFUL began.
          stuckClosedAtForceful: stuckClose.at - signalAt >= phases.gracefulMs - 20,
          outcome: report.outcome,
          intake: report.intakes?.websockets,
        }).toEqual({
          exitCode: 0,
          exitedWithinBudgets: true,
          quick: { ...politeClose(transport), at: undefined },
          quickClosedBeforeForceful: true,
          stuck: { ...politeClose(transport), at: undefined },
          stuckClosedAtForceful: true,
          outcome: 'forced',
          intake: expect.objectContaining({
            connectionsAtStart: 2,
            closedCleanly: 1,
            closedAtForceful: 1,
            messagesCutOff: 1,
          }),
        });
      },
      TEST_TIMEOUT_MS,
    );
  });

  it(
    'socket.io clients reconnect, with their jitter, to another instance behind the balancer',
    async () => {
      const options = { phases: PHASES, websockets: { closeWindowMs: 600, closeIntervalMs: 600 } };
      const a = start('socket.io', 'express', options, 'a');
      const b = start('socket.io', 'express', options, 'b');
      runs.push(a, b);
      proxy = await FailoverProxy.start([await portOf(a), await portOf(b)]);
      const url = `http://127.0.0.1:${proxy.port}`;
      const ASKED = 1000;
      const reconnecting = Array.from(
        { length: 6 },
        (_, i) => new SocketIoEchoClient(`r${i}`, url, { reconnect: true }),
      );
      clients.push(...reconnecting);
      await Promise.all(reconnecting.map((c) => c.opened.promise));
      for (const c of reconnecting) c.start(HANDLER_MS);
      await Promise.all(reconnecting.map((c) => c.repliesReached(2)));

      a.child.kill('SIGTERM');
      const closes = await Promise.all(reconnecting.map((c) => c.closed.promise));
      const reconnections = await Promise.all(reconnecting.map((c) => c.reconnected.promise));
      const answers = await Promise.all(reconnecting.map((c) => c.ask(ASKED)));
      const { code } = await exitOf(a);

      const before = reconnecting.flatMap((c) =>
        [...c.replies.values()].filter((reply) => reply.id !== ASKED),
      );
      const reconnectAt = reconnections.map(({ at }) => Math.round(at)).sort((x, y) => x - y);
      expect({
        exitCode: code,
        closes: closes.map((close) => ({ ...close, at: undefined })),
        servedByA: before.every((reply) => reply.instance === 'a'),
        lost: lostReplies(reconnecting, a.jsonAfter<string[]>('HANDLED ')),
        answeredByB: answers.map((reply) => reply.instance),
        // socket.io's reconnection delay is randomised (1 s ± 50 %), on top of the spread
        // closes: the clients do not come back at once. (Two may come back in the same
        // millisecond, or the same turn of this busy process's loop: distinct times would be a
        // coin toss; a burst would put all of them within a few milliseconds.)
        reconnectsSpreadOver100Ms: reconnectAt[reconnectAt.length - 1] - reconnectAt[0] >= 100,
      }).toEqual({
        exitCode: 0,
        closes: reconnecting.map(() => ({ ...politeClose('socket.io'), at: undefined })),
        servedByA: true,
        lost: [],
        answeredByB: reconnecting.map(() => 'b'),
        reconnectsSpreadOver100Ms: true,
      });
    },
    TEST_TIMEOUT_MS,
  );
});
