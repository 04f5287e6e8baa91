import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LifecycleCoordinator } from '../../../../lib/core/lifecycle-coordinator.js';
import { ShutdownPhase } from '../../../../lib/core/shutdown-phase.enum.js';
import { currentTask } from '../../../../lib/core/task-context.storage.js';
import type { ClientConnection } from '../../../../lib/intake/websocket/client-connection.interface.js';
import type { TrackedMessage } from '../../../../lib/intake/websocket/tracked-message.js';
import {
  resolveWebSocketIntakeOptions,
  type WebSocketIntakeOptions,
} from '../../../../lib/intake/websocket/websocket-intake.options.js';
import {
  REFUSED,
  WebSocketIntake,
  type TrackedConnection,
} from '../../../../lib/intake/websocket/websocket.intake.js';
import { flushMicrotasks } from '../../../support/deferred.js';

const GRACEFUL_MS = 1000;

/**
 * A client connection driven by the test: it records the close frames it is sent and, unless
 * told otherwise, answers each at once (the close handshake completes, the connection is gone).
 */
class FakeConnection implements ClientConnection {
  readonly key = {};
  readonly closes: { code: number; reason: string; at: number }[] = [];
  terminated = false;
  private readonly listeners: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly answers = true,
  ) {}

  close(code: number, reason: string): void {
    this.closes.push({ code, reason, at: Date.now() });
    if (this.answers) queueMicrotask(() => this.leave());
  }

  terminate(): void {
    this.terminated = true;
    this.leave();
  }

  onGone(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The connection is gone (handshake done, or the client left on its own). */
  leave(): void {
    for (const listener of this.listeners.splice(0)) listener();
  }
}

describe('WebSocketIntake', () => {
  let coordinator: LifecycleCoordinator;
  let intake: WebSocketIntake;
  let t0: number;

  function setUp(options: WebSocketIntakeOptions, gracefulMs = GRACEFUL_MS): void {
    coordinator = new LifecycleCoordinator({
      phases: { gracefulMs, forcefulMs: 500, terminateMs: 200 },
      progressIntervalMs: 0,
    });
    const resolved = resolveWebSocketIntakeOptions(options);
    if (resolved === undefined) throw new Error('intake turned off');
    intake = new WebSocketIntake(resolved, gracefulMs);
    intake.install(coordinator.registerIntake(intake));
    t0 = Date.now();
  }

  function connect(connection: FakeConnection): TrackedConnection {
    const tracked = intake.connect(connection, connection);
    if (tracked === undefined) throw new Error('not tracked');
    return tracked;
  }

  /** A message whose handler returns at once; the test plays the adapter sending its reply. */
  function receive(tracked: TrackedConnection, invoke: () => unknown = () => 'reply') {
    const result = intake.receive(tracked, 'echo', invoke);
    if (result === REFUSED) return REFUSED;
    return result;
  }

  function reply(message: TrackedMessage | typeof REFUSED): void {
    if (message === REFUSED) throw new Error('refused');
    message.finish(true);
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  afterEach(async () => {
    // Whatever a test left running ends here, so that no timer outlives it.
    const ended = coordinator.shutdown({ phase: ShutdownPhase.TERMINATE });
    await jest.advanceTimersByTimeAsync(10_000);
    await ended;
  });

  it('runs each message as a managed task in stop mode drain, the handler inside it', async () => {
    setUp({});
    const tracked = connect(new FakeConnection('c'));
    let seen: string | undefined;
    const message = receive(tracked, () => (seen = currentTask()?.name));

    expect(seen).toBe('WS echo#1');
    expect(coordinator.tasks()).toEqual([
      expect.objectContaining({ name: 'WS echo#1', stop: 'drain', state: 'running' }),
    ]);
    reply(message);
    await flushMicrotasks();
    expect(coordinator.tasks()).toEqual([]);
  });

  it('gives each connection its turn, evenly spread over the window, with the close code and reason', async () => {
    setUp({ closeWindowMs: 300, closeIntervalMs: 1000, closeReason: 'bye' });
    const connections = ['a', 'b', 'c', 'd'].map((name) => new FakeConnection(name));
    for (const connection of connections) connect(connection);

    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(300);
    const report = await done;

    expect(
      connections.map((c) => c.closes.map(({ at, ...close }) => ({ ...close, at: at - t0 }))),
    ).toEqual([
      [{ code: 1001, reason: 'bye', at: 0 }],
      [{ code: 1001, reason: 'bye', at: 100 }],
      [{ code: 1001, reason: 'bye', at: 200 }],
      [{ code: 1001, reason: 'bye', at: 300 }],
    ]);
    expect(report.outcome).toBe('clean');
    expect(report.tasks).toEqual([
      expect.objectContaining({ name: 'WS close 4 connection(s)', state: 'completed' }),
    ]);
    expect(report.intakes.websockets).toMatchObject({
      connectionsAtStart: 4,
      closedCleanly: 4,
      terminated: 0,
      windowMs: 300,
    });
  });

  it('closes a few connections within milliseconds: at most closeIntervalMs apart', async () => {
    setUp({ closeIntervalMs: 10 }); // default window: half of GRACEFUL
    const connections = ['a', 'b', 'c'].map((name) => new FakeConnection(name));
    for (const connection of connections) connect(connection);

    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(20);
    const report = await done;

    expect(connections.map((c) => c.closes[0].at - t0)).toEqual([0, 10, 20]);
    expect(report.intakes.websockets?.windowMs).toBe(20);
  });

  it('holds a connection’s close frame until its reply in flight has left, and refuses what comes after its turn', async () => {
    setUp({});
    const busy = new FakeConnection('busy');
    const tracked = connect(busy);
    const inFlight = receive(tracked);

    const done = coordinator.shutdown();
    await flushMicrotasks();
    // Its turn came at once; the reply still being sent holds the close frame back.
    expect(busy.closes).toEqual([]);
    const invoke = jest.fn();
    expect(intake.receive(tracked, 'echo', invoke)).toBe(REFUSED);
    expect(invoke).not.toHaveBeenCalled();

    reply(inFlight);
    expect(busy.closes).toHaveLength(1);
    const report = await done;
    expect(report.intakes.websockets).toMatchObject({
      closedCleanly: 1,
      messagesAtStart: 1,
      messagesDrained: 1,
      messagesRefused: 1,
      messagesCutOff: 0,
    });
  });

  it('serves messages during the drain, then closes when intake closes', async () => {
    coordinator = new LifecycleCoordinator({ drainDelayMs: 500, progressIntervalMs: 0 });
    const resolved = resolveWebSocketIntakeOptions({});
    intake = new WebSocketIntake(resolved!, GRACEFUL_MS);
    intake.install(coordinator.registerIntake(intake));
    const connection = new FakeConnection('c');
    const tracked = connect(connection);

    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(400);
    const duringDrain = receive(tracked);
    expect(duringDrain).not.toBe(REFUSED);
    reply(duringDrain);
    expect(connection.closes).toEqual([]);
    await jest.advanceTimersByTimeAsync(100);
    expect(connection.closes).toHaveLength(1);
    expect((await done).intakes.websockets).toMatchObject({ messagesDrained: 1 });
  });

  it('at FORCEFUL sends the close frame to a connection still busy, and destroys it if it does not answer', async () => {
    setUp({});
    const stuck = new FakeConnection('stuck', false);
    const tracked = connect(stuck);
    const never = receive(tracked);
    // As the adapter does: a connection that goes away ends the reply stream unsent.
    stuck.onGone(() => {
      if (never !== REFUSED) never.finish(false);
    });

    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(GRACEFUL_MS - 1);
    expect(stuck.closes).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(stuck.closes).toHaveLength(1);
    expect(stuck.terminated).toBe(false);
    await jest.advanceTimersByTimeAsync(250);
    expect(stuck.terminated).toBe(true);
    const report = await done;

    expect(report.outcome).toBe('forced');
    expect(report.intakes.websockets).toMatchObject({
      closedCleanly: 0,
      closedAtForceful: 1,
      terminated: 1,
      messagesCutOff: 1,
    });
  });

  it('destroys a connection that does not answer its close frame within the handshake grace', async () => {
    setUp({}, 10_000);
    const silent = new FakeConnection('silent', false);
    connect(silent);

    const done = coordinator.shutdown();
    await flushMicrotasks();
    expect(silent.closes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1999);
    expect(silent.terminated).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(silent.terminated).toBe(true);
    expect((await done).intakes.websockets).toMatchObject({ closedCleanly: 1, terminated: 1 });
  });

  it('counts a client that leaves before its turn, and closes a connection opened after intake closed at once', async () => {
    setUp({ closeWindowMs: 500, closeIntervalMs: 500 });
    const first = new FakeConnection('first');
    const leaving = new FakeConnection('leaving');
    connect(first);
    connect(leaving);

    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(100);
    leaving.leave();
    const late = new FakeConnection('late');
    const lateTracked = connect(late);
    expect(late.closes).toHaveLength(1);
    expect(intake.receive(lateTracked, 'echo', () => 'x')).toBe(REFUSED);
    // The turn the client that left would have had passes without a close.
    await jest.advanceTimersByTimeAsync(400);
    const report = await done;

    expect(leaving.closes).toEqual([]);
    expect(report.intakes.websockets).toMatchObject({
      connectionsAtStart: 2,
      closedCleanly: 1,
      closedByClient: 1,
      lateConnections: 1,
      messagesRefused: 1,
    });
  });

  it('leaves nothing open when the shutdown ends, even skipping straight to TERMINATE', async () => {
    setUp({});
    const stubborn = new FakeConnection('stubborn', false);
    const tracked = connect(stubborn);
    receive(tracked); // never answered, and the adapter never ends it

    const done = coordinator.shutdown({ phase: ShutdownPhase.TERMINATE });
    await jest.advanceTimersByTimeAsync(200);
    const report = await done;

    expect(stubborn.closes).toHaveLength(1);
    expect(stubborn.terminated).toBe(true);
    expect(report.intakes.websockets).toMatchObject({ closedAtForceful: 1, terminated: 1 });
  });
});
