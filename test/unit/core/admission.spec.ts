import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import type { ShutdownProgress } from '../../../lib/core/phase-runner.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { ManagedTask, TaskContext } from '../../../lib/core/task.interface.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';

const { HIGH, NORMAL, LOW } = TaskPriority;

describe('tasks admitted during a shutdown (HTTP requests)', () => {
  let coordinator: LifecycleCoordinator;
  let log: string[];

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    coordinator = new LifecycleCoordinator({
      phases: { gracefulMs: 1000, forcefulMs: 300, terminateMs: 200 },
      progressIntervalMs: 0,
    });
    log = [];
  });

  function honouring(name: string) {
    return async (ctx: TaskContext) => {
      await untilAborted(ctx.signal).catch(() => undefined);
      log.push(`end ${name}`);
    };
  }

  it('behaves as createTask before any shutdown', async () => {
    const task = coordinator.admitTask(() => 1, { name: 'plain' });
    await expect(task).resolves.toBe(1);
    await coordinator.shutdown();
  });

  it('joins the wave of its priority while the drain delay runs, and is signalled with it', async () => {
    coordinator = new LifecycleCoordinator({ drainDelayMs: 500, progressIntervalMs: 0 });
    coordinator.createTask(honouring('low'), { name: 'low', priority: LOW });
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(100);
    const late = coordinator.admitTask(honouring('request'), { name: 'request', priority: HIGH });
    expect(late?.state).toBe(TaskState.RUNNING);
    await jest.advanceTimersByTimeAsync(400);
    const report = await done;
    expect(log).toEqual(['end low', 'end request']);
    expect(report.tasks.map((t) => [t.name, t.wave, t.state])).toEqual([
      ['low', 1, 'cancelled'],
      ['request', 3, 'cancelled'],
    ]);
  });

  it('while its wave is stopping, is signalled at once and awaited by the wave', async () => {
    const gate = deferred();
    coordinator.createTask(() => gate.promise, { name: 'inflight', priority: HIGH });
    coordinator.createTask(honouring('critical'), {
      name: 'critical',
      priority: TaskPriority.CRITICAL,
    });
    const done = coordinator.shutdown();
    await flushMicrotasks();
    let signalled = false;
    const release = deferred();
    const late = coordinator.admitTask(
      async (ctx) => {
        signalled = ctx.signal.aborted;
        await release.promise;
      },
      { name: 'late', priority: HIGH },
    ) as ManagedTask<void>;
    expect(signalled).toBe(true);
    gate.resolve();
    await flushMicrotasks();
    expect(log).toEqual([]); // the wave still waits for the late request
    release.resolve();
    await late;
    const report = await done;
    expect(log).toEqual(['end critical']);
    expect(report.tasks.map((t) => [t.name, t.wave])).toEqual([
      ['inflight', 3],
      ['late', 3],
      ['critical', 4],
    ]);
  });

  it('counts a task that ends synchronously, so the wave does not wait for it', async () => {
    const gate = deferred();
    coordinator.createTask(() => gate.promise, { name: 'inflight', priority: HIGH });
    const done = coordinator.shutdown();
    await flushMicrotasks();
    expect(coordinator.admitTask(() => 'sync', { priority: HIGH })?.state).toBe(
      TaskState.CANCELLED,
    );
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
    expect(coordinator.admitTask(() => 1, { priority: LOW })).toBeUndefined(); // LOW's wave is over
    expect(
      coordinator.admitTask(() => new Promise(() => undefined), { priority: HIGH }),
    ).toBeDefined();
    coordinator.escalate();
    coordinator.escalate(); // TERMINATE
    expect(coordinator.admitTask(() => 1, { priority: HIGH })).toBeUndefined();
    await jest.advanceTimersByTimeAsync(200);
    await done;
    expect(stuck.state).toBe(TaskState.ABANDONED);
  });

  it('tells watchers when the shutdown drains, enters each phase and stops', async () => {
    const events: ShutdownProgress[] = [];
    const stop = coordinator.watchShutdown((event) => events.push(event));
    coordinator.createTask(() => new Promise(() => undefined), { name: 'stuck' });
    const done = coordinator.shutdown();
    await jest.advanceTimersByTimeAsync(1500);
    await done;
    stop();
    expect(events).toEqual([
      { kind: 'drain' },
      { kind: 'phase', phase: ShutdownPhase.GRACEFUL },
      { kind: 'phase', phase: ShutdownPhase.FORCEFUL },
      { kind: 'phase', phase: ShutdownPhase.TERMINATE },
      { kind: 'stopped' },
    ]);
  });

  it('adds report sections from adapters', async () => {
    let refused = 0;
    coordinator.setReportSection('http', () => ({
      inFlightAtStart: 0,
      admitted: 0,
      refused,
      idleClosed: 0,
      destroyed: 0,
    }));
    const done = coordinator.shutdown();
    refused = 2;
    expect((await done).http).toEqual({
      inFlightAtStart: 0,
      admitted: 0,
      refused: 2,
      idleClosed: 0,
      destroyed: 0,
    });
  });
});
