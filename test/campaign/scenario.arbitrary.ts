import fc from 'fast-check';
import type {
  AppScenario,
  ClientSpec,
  HookSpec,
  HostileValue,
  Scenario,
  SignalMoment,
  TaskSpec,
} from './scenario.js';

/** Records with an ordinary prototype: they print and serialise as plain JSON. */
function plain<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const hostileValue = fc.constantFrom<HostileValue>(
  'throwing-getter',
  'proxy',
  'revoked-proxy',
  'cause-cycle',
  'undefined',
  'string',
);

const priority = fc.integer({ min: 0, max: 4 });

const task: fc.Arbitrary<TaskSpec> = plain({
  behaviour: fc.constantFrom(
    'honours',
    'ignores',
    'throws',
    'blocks',
    'escalates',
    'reenters',
    'awaits-shutdown',
    'spawns',
  ),
  priority,
  stop: fc.constantFrom('abort', 'drain'),
  cleanup: fc.constantFrom('ok', 'ok', 'throws', 'blocks'),
  hostile: hostileValue,
});

const hook: fc.Arbitrary<HookSpec> = plain({
  behaviour: fc.constantFrom('ok', 'ok', 'throws', 'hangs', 'blocks'),
  priority,
  hostile: hostileValue,
});

const client: fc.Arbitrary<ClientSpec> = plain({
  kind: fc.constantFrom(
    'keep-alive',
    'pipelined',
    'half-sent',
    'slow-upload',
    'http10',
    'expect-continue',
    'upgrade',
  ),
  workMs: fc.integer({ min: 0, max: 300 }),
});

const app: fc.Arbitrary<Omit<AppScenario, 'websocket'>> = plain({
  tls: fc.boolean(),
  drainMs: fc.constantFrom(0, 0, 200),
  tasks: fc.array(task, { maxLength: 5 }),
  hooks: fc.array(hook, { maxLength: 3 }),
  logger: fc.constantFrom('ok', 'ok', 'throws-after-start', 'throws-often'),
  reportFile: fc.constantFrom('ok', 'unwritable', 'none'),
});

/** A signal during bootstrap or once ready, then up to two repeats at later moments. */
const signals: fc.Arbitrary<SignalMoment[]> = fc
  .tuple(
    fc.constantFrom<SignalMoment>('ready', 'ready', 'during-bootstrap'),
    fc.subarray<SignalMoment>(['draining', 'graceful', 'forceful'], { maxLength: 2 }),
  )
  .map(([first, repeats]) => [first, ...repeats]);

/**
 * The scenarios of the fault campaign. They shrink towards fewer tasks, hooks, clients and
 * signals, and towards the first value of each choice (the well-behaved one).
 */
export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc
  .record({ app, signals, clients: fc.array(client, { maxLength: 5 }), websocket: fc.boolean() })
  .map(({ app, signals, clients, websocket }) => ({
    // An upgraded client needs the app's WebSocket server.
    app: { ...app, websocket: websocket || clients.some((c) => c.kind === 'upgrade') },
    signals,
    clients,
  }));
