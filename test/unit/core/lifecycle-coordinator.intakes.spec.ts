import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Intake, IntakeHandle } from '../../../lib/core/intake.interface.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { ManagedTask, TaskContext } from '../../../lib/core/task.interface.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';

const { HIGH, NORMAL, LOW } = TaskPriority;

/** An intake that records the steps it hears of, in order. */
function recordingIntake(steps: string[], name = 'test'): Intake {
  return {
    name,
    shutdownStarted: () => steps.push(`${name}:started`),
    intakeClosed: () => steps.push(`${name}:closed`),
    forcefulStarted: () => steps.push(`${name}:forceful`),
    shutdownEnded: () => steps.push(`${name}:ended`),
  };
}

describe('intakes: units of work admitted during a shutdown', () => {
  let coordinator: LifecycleCoordinator;
  let handle: IntakeHandle;
  let log: string[];

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    coordinator = new LifecycleCoordinator({
      phases: { gracefulMs: 1000, forcefulMs: 300, terminateMs: 200 },
      progressIntervalMs: 0,
    });
    handle = coordinator.registerIntake({ name: 'test' });
    log = [];
  });

  function honouring(name: string) {
    return async (ctx: TaskContext) => {
      await untilAborted(ctx.signal).catch(() => undefined);
      log.push(`end ${name}`);
    };
  }

  it('behaves as createTask before any shutdown, in stop mode drain', async () => {
    const gate = deferred<number>();
    const task = handle.admit(() => gate.promise, { name: 'plain' });
    expect(coordinator.tasks()[0]).toMatchObject({ name: 'plain', stop: 'drain' });
    gate.resolve(1);
    await expect(task).resolves.toBe(1);
    await coordinator.shutdown();
  });

  it("admits a unit named like a live task or a generated name, without taking the task's name", async () => {
    const holder = deferred<void>();
    coordinator.createTask(() => holder.promise, { name: 'GET /orders#1' });
    const gates = [deferred<string>(), deferred<string>()];
    // Before: DuplicateTaskNameError, thrown into the intake's listener.
    const unit = handle.admit(() => gates[0].promise, { name: 'GET /orders#1' });
    const generated = handle.admit(() => gates[1].promise, { name: 'task#1' });
    expect(unit).toBeDefined();
    expect(generated).toBeDefined();
    expect(coordinator.tasks().map((t) => t.name)).toEqual([
      'GET /orders#1',
      'GET /orders#1',
      'task#1',
    ]);
    gates[0].resolve('served');
    gates[1].resolve('also');
    await expect(unit).resolves.toBe('served');
    await expect(generated).resolves.toBe('also');
    // The name stayed the task's: its index entry outlives the unit that shared it.
    expect(coordinator.isRegistered('GET /orders#1')).toBe(true);
    const dependent = coordinator.createTask(() => 'after', { dependsOn: ['GET /orders#1'] });
    holder.resolve();
    await expect(dependent).resolves.toBe('after');
    await coordinator.shutdown();
  });

  it('joins the wave of its priority while the drain runs', async () => {
    coordinator = new LifecycleCoordinator({ drainDelayMs: 500, progressIntervalMs: 0 });
    handle = coordinator.registerIntake({ name: 'test' });
    coordinator.createTask(honouring('low'), { name: 'low', priority: LOW });
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(100);
    const late = handle.admit(honouring('request'), {
      name: 'request',
      priority: HIGH,
      stop: 'abort',
    });
    expect(late?.state).toBe(TaskState.RUNNING);
    await jest.advanceTimersByTimeAsync(400);
    const report = await done;
    expect(log).toEqual(['end low', 'end request']);
    expect(report.tasks.map((t) => [t.name, t.wave, t.state])).toEqual([
      ['low', 1, 'cancelled'],
      ['request', 3, 'cancelled'],
    ]);
  });

  it('drains during GRACEFUL: its wave waits for it without aborting its signal', async () => {
    const release = deferred();
    let aborted: boolean | undefined;
    const request = handle.admit(
      async (ctx) => {
        await release.promise;
        aborted = ctx.signal.aborted;
        return 'answered';
      },
      { name: 'request', priority: HIGH },
    ) as ManagedTask<string>;
    coordinator.createTask(honouring('pool'), { name: 'pool', priority: TaskPriority.CRITICAL });
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(900);
    expect(log).toEqual([]); // the CRITICAL wave waits for the request
    release.resolve();
    await expect(request).resolves.toBe('answered');
    const report = await done;
    expect(aborted).toBe(false);
    expect(log).toEqual(['end pool']);
    expect(report.outcome).toBe('clean');
    expect(report.tasks[0]).toMatchObject({ name: 'request', state: TaskState.COMPLETED });
  });

  it('aborts a draining task when GRACEFUL ends, and FORCEFUL proceeds as for any task', async () => {
    const cleanups: string[] = [];
    const request = handle.admit(honouring('request'), {
      name: 'request',
      priority: HIGH,
      cleanup: ({ forced }) => void cleanups.push(`request forced=${forced}`),
    }) as ManagedTask<void>;
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(999);
    expect(log).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await request;
    const report = await done;
    expect(log).toEqual(['end request']);
    expect(cleanups).toEqual(['request forced=true']);
    expect(report.tasks[0]).toMatchObject({ state: TaskState.CANCELLED, endedIn: 'forceful' });
  });

  it('while its wave is stopping, is awaited by the wave (and signalled at once in abort mode)', async () => {
    const gate = deferred();
    coordinator.createTask(() => gate.promise, { name: 'inflight', priority: HIGH });
    coordinator.createTask(honouring('critical'), {
      name: 'critical',
      priority: TaskPriority.CRITICAL,
    });
    const done = coordinator.shutdown();
    await flushMicrotasks();
    const seen: Record<string, boolean> = {};
    const release = deferred();
    const admit = (name: string, stop: 'abort' | 'drain') =>
      handle.admit(
        async (ctx) => {
          seen[name] = ctx.signal.aborted;
          await release.promise;
        },
        { name, priority: HIGH, stop },
      ) as ManagedTask<void>;
    const drained = admit('drained', 'drain');
    const aborted = admit('aborted', 'abort');
    expect(seen).toEqual({ drained: false, aborted: true });
    gate.resolve();
    await flushMicrotasks();
    expect(log).toEqual([]); // the wave still waits for the late requests
    release.resolve();
    await Promise.all([drained, aborted]);
    const report = await done;
    expect(log).toEqual(['end critical']);
    expect(report.tasks.map((t) => [t.name, t.wave, t.state])).toEqual([
      ['inflight', 3, 'cancelled'],
      ['drained', 3, 'completed'],
      ['aborted', 3, 'cancelled'],
      ['critical', 4, 'cancelled'],
    ]);
  });

  it('counts a task that ends synchronously, so the wave does not wait for it', async () => {
    const gate = deferred();
    coordinator.createTask(() => gate.promise, { name: 'inflight', priority: HIGH });
    const done = coordinator.shutdown();
    await flushMicrotasks();
    expect(handle.admit(() => 'sync', { priority: HIGH })?.state).toBe(TaskState.COMPLETED);
    gate.resolve();
    await expect(done).resolves.toMatchObject({ outcome: 'clean', total: 2 });
  });

  it('refuses once its wave ended, and in TERMINATE', async () => {
    coordinator.createTask(honouring('high'), { name: 'high', priority: HIGH });
    const stuck = coordinator.createTask(() => new Promise(() => undefined), {
      name: 'stuck',
      priority: NORMAL,
    });
    const done = coordinator.shutdown();
    await flushMicrotasks();
    expect(handle.admit(() => 1, { priority: LOW })).toBeUndefined(); // LOW's wave is over
    expect(handle.admit(() => new Promise(() => undefined), { priority: HIGH })).toBeDefined();
    coordinator.escalate();
    coordinator.escalate(); // TERMINATE
    expect(handle.admit(() => 1, { priority: HIGH })).toBeUndefined();
    await jest.advanceTimersByTimeAsync(200);
    await done;
    expect(stuck.state).toBe(TaskState.ABANDONED);
  });
});

describe('intakes: the steps they hear of', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  it('hear each step once, in order: started, closed after the drain, forceful, ended', async () => {
    const steps: string[] = [];
    const coordinator = new LifecycleCoordinator({
      drainDelayMs: 100,
      phases: { gracefulMs: 1000, forcefulMs: 300, terminateMs: 200 },
      progressIntervalMs: 0,
    });
    const handle = coordinator.registerIntake(recordingIntake(steps));
    coordinator.createTask(() => new Promise(() => undefined), { name: 'stuck' });
    expect(handle.state).toBe('open');
    const done = coordinator.shutdown();
    expect(steps).toEqual(['test:started']);
    expect(handle.state).toBe('draining');
    await jest.advanceTimersByTimeAsync(100);
    expect(steps).toEqual(['test:started', 'test:closed']);
    expect(handle.state).toBe('closed');
    await jest.advanceTimersByTimeAsync(1000);
    expect(steps.at(-1)).toBe('test:forceful');
    await jest.advanceTimersByTimeAsync(500);
    await done;
    // TERMINATE does not tell it of FORCEFUL again.
    expect(steps).toEqual(['test:started', 'test:closed', 'test:forceful', 'test:ended']);
  });

  it('keep going when one intake throws: the others hear, the failure is logged', async () => {
    const steps: string[] = [];
    const logger = new RecordingLogger();
    const coordinator = new LifecycleCoordinator({ logger, progressIntervalMs: 0 });
    coordinator.registerIntake({
      name: 'broken',
      shutdownStarted: () => {
        throw new Proxy(
          {},
          {
            get() {
              throw new Error('hostile');
            },
          },
        );
      },
      report: () => {
        throw new Error('no report');
      },
    });
    coordinator.registerIntake(recordingIntake(steps, 'fine'));
    const report = await coordinator.shutdown();
    expect(steps).toEqual(['fine:started', 'fine:closed', 'fine:ended']);
    expect(logger.messages('warn')).toContain(
      'Intake "broken" failed in shutdownStarted(): [unprintable value]',
    );
    expect(report.intakes).toEqual({ broken: { error: 'Error: no report' } });
  });

  it('add their report section, read when the report is built', async () => {
    let refused = 0;
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    coordinator.registerIntake({ name: 'http', report: () => ({ refused }) });
    const done = coordinator.shutdown();
    refused = 2;
    expect((await done).intakes).toEqual({ http: { refused: 2 } });
  });

  it('cannot be registered once shutdown began; an unregistered one hears nothing', async () => {
    const steps: string[] = [];
    const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
    coordinator.registerIntake(recordingIntake(steps)).unregister();
    const done = coordinator.shutdown();
    expect(() => coordinator.registerIntake({ name: 'late' })).toThrow(
      /Cannot register an intake: shutdown has begun/,
    );
    await done;
    expect(steps).toEqual([]);
  });
});

describe('the measured drain', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  function drained(drain: { minMs?: number; maxMs?: number; quietMs?: number }) {
    const coordinator = new LifecycleCoordinator({
      drain,
      phases: { gracefulMs: 1000 },
      progressIntervalMs: 0,
    });
    const steps: string[] = [];
    const handle = coordinator.registerIntake(recordingIntake(steps));
    return { coordinator, handle, steps };
  }

  it('closes intake once no arrival came for quietMs, never before minMs', async () => {
    const { coordinator, handle, steps } = drained({ minMs: 300, quietMs: 200, maxMs: 5000 });
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(250);
    handle.noteArrival(); // at 250: quiet until 450 at least
    await jest.advanceTimersByTimeAsync(199);
    expect(steps).toEqual(['test:started']);
    await jest.advanceTimersByTimeAsync(1);
    expect(steps).toContain('test:closed');
    const report = await done;
    expect(report.drain).toEqual({
      endedBy: 'quiet',
      durationMs: 450,
      arrivals: 1,
      lastArrivalMs: 250,
    });
    expect(report.phases[0].phase).toBe(ShutdownPhase.GRACEFUL);
  });

  it('waits minMs even when nothing arrives', async () => {
    const { coordinator, steps } = drained({ minMs: 300, quietMs: 100, maxMs: 5000 });
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(299);
    expect(steps).toEqual(['test:started']);
    await jest.advanceTimersByTimeAsync(1);
    expect((await done).drain).toMatchObject({ endedBy: 'quiet', durationMs: 300, arrivals: 0 });
  });

  it('closes intake at maxMs while traffic keeps arriving', async () => {
    const { coordinator, handle } = drained({ minMs: 0, quietMs: 200, maxMs: 1000 });
    const done = coordinator.shutdown();
    for (let t = 0; t < 1000; t += 100) {
      handle.noteArrival();
      await jest.advanceTimersByTimeAsync(100);
    }
    expect((await done).drain).toMatchObject({ endedBy: 'max', durationMs: 1000, arrivals: 10 });
  });

  it('is fixed with drainDelayMs, and skipped with none', async () => {
    const fixed = new LifecycleCoordinator({ drainDelayMs: 400, progressIntervalMs: 0 });
    const done = fixed.shutdown();
    await jest.advanceTimersByTimeAsync(400);
    expect((await done).drain).toMatchObject({ endedBy: 'max', durationMs: 400 });
    const none = new LifecycleCoordinator({ progressIntervalMs: 0 });
    expect((await none.shutdown()).drain).toEqual({ endedBy: 'none', durationMs: 0, arrivals: 0 });
  });

  it('ends on escalate, and intake closes before FORCEFUL', async () => {
    const { coordinator, steps } = drained({ minMs: 1000 });
    const done = coordinator.shutdown();
    coordinator.escalate();
    expect(steps).toEqual(['test:started', 'test:closed', 'test:forceful']);
    const report = await done;
    expect(report.drain.endedBy).toBe('escalate');
    expect(report.phases.map((p) => p.phase)).toEqual([ShutdownPhase.FORCEFUL]);
  });

  it('refuses conflicting or inverted options, naming them', () => {
    expect(() => new LifecycleCoordinator({ drainDelayMs: 1, drain: {} })).toThrow(
      /Invalid option drainDelayMs = 1: expected nothing when `drain` is set/,
    );
    expect(() => new LifecycleCoordinator({ drain: { minMs: 500, maxMs: 100 } })).toThrow(
      /Invalid option drain.maxMs = 100: expected at least drain.minMs \(500\)/,
    );
    expect(() => new LifecycleCoordinator({ drain: { quiet: 1 } as never })).toThrow(
      /Unknown option drain.quiet = 1/,
    );
  });
});
