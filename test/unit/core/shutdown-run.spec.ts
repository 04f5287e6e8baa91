import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import type { LifecycleCoordinatorOptions } from '../../../lib/core/lifecycle-options.interface.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import type { ShutdownReport } from '../../../lib/core/shutdown-report.interface.js';
import { currentTask } from '../../../lib/core/task-context.storage.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import type { CleanupInfo, ManagedTask, TaskContext } from '../../../lib/core/task.interface.js';
import { deferred, flushMicrotasks, untilAborted } from '../../support/deferred.js';
import { RecordingLogger } from '../../support/recording-logger.js';

const { CRITICAL, HIGH, NORMAL, LOW, LOWEST } = TaskPriority;

/** Builds tasks whose signals, ends and cleanups are written to one ordered log. */
class Scenario {
  readonly log: string[] = [];
  readonly logger = new RecordingLogger();
  readonly coordinator: LifecycleCoordinator;

  constructor(options: LifecycleCoordinatorOptions = {}) {
    this.coordinator = new LifecycleCoordinator({
      phases: { gracefulMs: 1000, forcefulMs: 500, terminateMs: 200 },
      progressIntervalMs: 0,
      logger: this.logger,
      ...options,
    });
  }

  /** A task that ends as soon as its signal aborts (after `stopDelayMs`, if given). */
  honouring(
    name: string,
    priority: TaskPriority,
    extra: {
      dependsOn?: string[];
      stopDelayMs?: number;
      cleanup?: (info: CleanupInfo) => unknown;
    } = {},
  ): ManagedTask<void> {
    return this.coordinator.createTask(
      async (ctx) => {
        try {
          await untilAborted(this.watch(ctx));
        } finally {
          if (extra.stopDelayMs !== undefined) {
            await new Promise((resolve) => setTimeout(resolve, extra.stopDelayMs));
          }
          this.log.push(`end ${name}`);
        }
      },
      { name, priority, dependsOn: extra.dependsOn, cleanup: extra.cleanup ?? this.cleanup(name) },
    );
  }

  /** A task that never ends, whatever happens. */
  stubborn(
    name: string,
    priority: TaskPriority,
    cleanup: (info: CleanupInfo) => unknown = this.cleanup(name),
  ): ManagedTask<void> {
    return this.coordinator.createTask(
      (ctx) => {
        this.watch(ctx);
        return new Promise<void>(() => undefined);
      },
      { name, priority, cleanup },
    );
  }

  hook(
    name: string,
    priority: TaskPriority,
    fn: (ctx: TaskContext) => unknown = () => undefined,
    dependsOn?: string[],
  ): void {
    this.coordinator.registerShutdownHook(
      name,
      (ctx) => {
        this.log.push(`hook ${name}`);
        return fn(ctx);
      },
      { priority, dependsOn },
    );
  }

  cleanup(name: string): (info: CleanupInfo) => void {
    return (info) => {
      this.log.push(`cleanup ${name}${info.forced ? ' (forced)' : ''}`);
    };
  }

  async shutdown(
    advanceMs = 10_000,
    options?: { phase?: ShutdownPhase; reason?: string },
  ): Promise<ShutdownReport> {
    const done = this.coordinator.shutdown(options);
    await jest.advanceTimersByTimeAsync(advanceMs);
    return done;
  }

  private watch(ctx: TaskContext): AbortSignal {
    const { signal, name } = ctx;
    signal.addEventListener('abort', () => this.log.push(`signal ${name}`), { once: true });
    return signal;
  }
}

describe('Shutdown', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  describe('stop order', () => {
    it('stops lower priorities first, one wave at a time, tasks before the hooks of their wave', async () => {
      const s = new Scenario();
      s.hook('pool', CRITICAL);
      s.honouring('critical', CRITICAL);
      s.honouring('high', HIGH);
      s.honouring('normal', NORMAL);
      s.honouring('low', LOW);
      s.honouring('lowest', LOWEST);
      s.hook('buffer', NORMAL);
      const report = await s.shutdown();
      expect(s.log).toEqual([
        'signal lowest',
        'end lowest',
        'cleanup lowest',
        'signal low',
        'end low',
        'cleanup low',
        'signal normal',
        'end normal',
        'cleanup normal',
        'hook buffer',
        'signal high',
        'end high',
        'cleanup high',
        'signal critical',
        'end critical',
        'cleanup critical',
        'hook pool',
      ]);
      expect(report.tasks.map((t) => [t.name, t.wave])).toEqual([
        ['lowest', 0],
        ['low', 1],
        ['normal', 2],
        ['high', 3],
        ['critical', 4],
      ]);
      expect(report.hooks.map((h) => [h.name, h.wave, h.outcome])).toEqual([
        ['buffer', 2, 'ok'],
        ['pool', 4, 'ok'],
      ]);
      expect(report.outcome).toBe('clean');
    });

    it('lets a dependency outrank priority: a task stops only after everything depending on it', async () => {
      const s = new Scenario();
      s.honouring('config', LOWEST); // LOWEST, but the CRITICAL task needs it
      s.honouring('cache', LOW, { dependsOn: ['config'] });
      s.honouring('writer', CRITICAL, { dependsOn: ['cache'] });
      s.honouring('reader', NORMAL);
      const report = await s.shutdown();
      expect(s.log.filter((l) => l.startsWith('signal'))).toEqual([
        'signal reader',
        'signal writer',
        'signal cache',
        'signal config',
      ]);
      expect(report.tasks.map((t) => [t.name, t.wave, t.dependsOn])).toEqual([
        ['reader', 2, []],
        ['writer', 4, ['cache']],
        ['cache', 5, ['config']],
        ['config', 6, []],
      ]);
    });

    it('stops the tasks of one wave concurrently, first created first, and waits for all of them', async () => {
      const s = new Scenario();
      s.honouring('a', NORMAL, { stopDelayMs: 30 });
      s.honouring('b', NORMAL, { stopDelayMs: 10 });
      s.honouring('later', HIGH);
      const report = await s.shutdown();
      expect(s.log).toEqual([
        'signal a',
        'signal b',
        'end b',
        'cleanup b',
        'end a',
        'cleanup a',
        'signal later',
        'end later',
        'cleanup later',
      ]);
      expect(report.tasks.find((t) => t.name === 'a')?.stopMs).toBe(30);
      expect(report.tasks.find((t) => t.name === 'b')?.stopMs).toBe(10);
    });

    it('starts the next wave only after the cleanups of the current one finished', async () => {
      const s = new Scenario();
      const slowCleanup = deferred();
      s.honouring('first', LOW, {
        cleanup: async () => {
          s.log.push('cleanup first started');
          await slowCleanup.promise;
          s.log.push('cleanup first done');
        },
      });
      s.honouring('second', NORMAL);
      const done = s.coordinator.shutdown();
      await jest.advanceTimersByTimeAsync(100);
      expect(s.log).toEqual(['signal first', 'end first', 'cleanup first started']);
      slowCleanup.resolve();
      await jest.advanceTimersByTimeAsync(0);
      await done;
      expect(s.log.slice(3)).toEqual([
        'cleanup first done',
        'signal second',
        'end second',
        'cleanup second',
      ]);
    });

    it('lets a task depend on a hook: the hook runs after the task stopped', async () => {
      const s = new Scenario();
      s.hook('db-pool', LOWEST);
      s.honouring('repo', CRITICAL, { dependsOn: ['db-pool'] });
      await s.shutdown();
      expect(s.log).toEqual(['signal repo', 'end repo', 'cleanup repo', 'hook db-pool']);
    });

    it('orders hooks by their own dependencies', async () => {
      const s = new Scenario();
      s.hook('storage', CRITICAL);
      s.hook('flusher', CRITICAL, undefined, ['storage']);
      const report = await s.shutdown();
      expect(s.log).toEqual(['hook flusher', 'hook storage']);
      expect(report.hooks.map((h) => [h.name, h.wave])).toEqual([
        ['flusher', 4],
        ['storage', 5],
      ]);
    });

    it('signals every task of a phase with one shared CancelledError carrying the phase and reason', async () => {
      const s = new Scenario();
      const reasons: unknown[] = [];
      for (const name of ['x', 'y']) {
        s.coordinator.createTask(
          async (ctx) => {
            await untilAborted(ctx.signal).catch((error: unknown) => reasons.push(error));
          },
          { name },
        );
      }
      await s.shutdown(10_000, { reason: 'SIGTERM' });
      expect(reasons).toHaveLength(2);
      expect(reasons[0]).toBe(reasons[1]);
      expect(reasons[0]).toBeInstanceOf(CancelledError);
      expect(reasons[0]).toMatchObject({ phase: ShutdownPhase.GRACEFUL, reason: 'SIGTERM' });
    });
  });

  describe('phases', () => {
    it('escalates to FORCEFUL when the graceful budget is spent: cleanups of stuck tasks run without waiting for them', async () => {
      const s = new Scenario();
      s.stubborn('stuck', LOW);
      s.honouring('after', HIGH);
      const stuckEnd = jest.fn();
      const done = s.coordinator.shutdown();
      await jest.advanceTimersByTimeAsync(999);
      expect(s.log).toEqual(['signal stuck']);
      await jest.advanceTimersByTimeAsync(1);
      expect(s.log).toEqual([
        'signal stuck',
        'cleanup stuck (forced)',
        'signal after',
        'end after',
        'cleanup after',
      ]);
      expect(stuckEnd).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(1000);
      const report = await done;
      expect(report.phases.map((p) => [p.phase, p.endedBy])).toEqual([
        ['graceful', 'budget'],
        ['forceful', 'budget'],
        ['terminate', 'budget'],
      ]);
      expect(report.tasks.find((t) => t.name === 'after')).toMatchObject({
        state: TaskState.CANCELLED,
        endedIn: ShutdownPhase.FORCEFUL,
      });
    });

    it('signals later waves with a reason that carries the FORCEFUL phase', async () => {
      const s = new Scenario();
      s.stubborn('stuck', LOW);
      let reason: unknown;
      s.coordinator.createTask(
        (ctx) => untilAborted(ctx.signal).catch((error: unknown) => void (reason = error)),
        { name: 'late', priority: HIGH },
      );
      await s.shutdown();
      expect(reason).toMatchObject({ phase: ShutdownPhase.FORCEFUL });
    });

    it('at TERMINATE signals everything not yet signalled at once, runs every remaining cleanup and hook, and abandons what still runs', async () => {
      const s = new Scenario();
      s.stubborn('stuck-low', LOW);
      s.stubborn('stuck-normal', NORMAL);
      s.honouring('high', HIGH);
      s.hook('pool', CRITICAL);
      const handle = s.stubborn('stuck-critical', CRITICAL);
      const done = s.coordinator.shutdown({ reason: 'SIGTERM' });
      await jest.advanceTimersByTimeAsync(1000); // graceful spent → forceful
      expect(s.log).toEqual([
        'signal stuck-low',
        'cleanup stuck-low (forced)',
        'signal stuck-normal',
      ]);
      await jest.advanceTimersByTimeAsync(500); // forceful spent → terminate
      expect(s.log.slice(3)).toEqual([
        'signal high',
        'signal stuck-critical',
        'cleanup stuck-normal (forced)',
        'cleanup high (forced)',
        'cleanup stuck-critical (forced)',
        'hook pool',
        'end high',
      ]);
      await jest.advanceTimersByTimeAsync(200);
      const report = await done;
      expect(report.outcome).toBe('terminated');
      expect(report.phaseReached).toBe(ShutdownPhase.TERMINATE);
      expect(report.abandoned).toBe(3);
      expect(
        report.tasks.filter((t) => t.state === TaskState.ABANDONED).map((t) => t.name),
      ).toEqual(['stuck-low', 'stuck-normal', 'stuck-critical']);
      await expect(handle).rejects.toThrow(
        'The task was abandoned: the shutdown stopped waiting for it',
      );
      expect(s.logger.messages('warn')).toContain(
        'Abandoned after the terminate budget: stuck-low, stuck-normal, stuck-critical',
      );
      expect(s.coordinator.tasks()).toEqual([]);
    });

    it('ends within drainDelayMs + the three budgets, however the tasks behave', async () => {
      const s = new Scenario({ drainDelayMs: 300 });
      s.stubborn('never', NORMAL, () => new Promise(() => undefined));
      s.hook('hangs', HIGH, () => new Promise(() => undefined));
      const start = Date.now();
      let endedAt: number | undefined;
      const done = s.coordinator.shutdown().then((report) => {
        endedAt = Date.now();
        return report;
      });
      await jest.advanceTimersByTimeAsync(300 + 1000 + 500 + 200);
      const report = await done;
      expect(endedAt! - start).toBe(300 + 1000 + 500 + 200);
      expect(report.drainMs).toBe(300);
      expect(report.tasks[0].cleanup).toMatchObject({ outcome: 'timeout' });
      expect(report.hooks[0]).toMatchObject({ name: 'hangs', outcome: 'timeout' });
    });

    it('escalate() jumps one phase at a time, then stops waiting', async () => {
      const s = new Scenario();
      s.stubborn('stuck', NORMAL);
      const done = s.coordinator.shutdown();
      await flushMicrotasks();
      s.coordinator.escalate();
      expect(s.log).toEqual(['signal stuck', 'cleanup stuck (forced)']);
      s.coordinator.escalate();
      s.coordinator.escalate();
      const report = await done;
      expect(report.phases.map((p) => [p.phase, p.endedBy])).toEqual([
        ['graceful', 'escalate'],
        ['forceful', 'escalate'],
        ['terminate', 'escalate'],
      ]);
      expect(report.abandoned).toBe(1);
      s.coordinator.escalate(); // after the end: nothing happens
    });

    it('a drain delay keeps tasks running while readiness is down; escalating during it goes to FORCEFUL', async () => {
      const s = new Scenario({ drainDelayMs: 5000 });
      s.honouring('worker', NORMAL);
      const done = s.coordinator.shutdown();
      await jest.advanceTimersByTimeAsync(4000);
      expect(s.log).toEqual([]);
      expect(s.coordinator.getReport()).toMatchObject({
        finished: false,
        drainMs: 4000,
        phases: [],
      });
      s.coordinator.escalate();
      const report = await done;
      expect(s.log).toEqual(['signal worker', 'end worker', 'cleanup worker']);
      expect(report.phases.map((p) => p.phase)).toEqual(['forceful']);
      expect(report.outcome).toBe('forced');
      expect(report.tasks[0]).toMatchObject({ endedIn: ShutdownPhase.FORCEFUL });
    });

    it('starts at the phase asked for, and a later call with a later phase escalates the running shutdown', async () => {
      const s = new Scenario({ drainDelayMs: 1000 });
      s.stubborn('stuck', NORMAL);
      const first = s.coordinator.shutdown({ phase: ShutdownPhase.FORCEFUL });
      // Nothing was signalled yet: FORCEFUL proceeds wave by wave with its shorter budget.
      expect(s.log).toEqual(['signal stuck']);
      const second = s.coordinator.shutdown({ phase: ShutdownPhase.TERMINATE });
      expect(second).toBe(first);
      expect(s.log).toEqual(['signal stuck', 'cleanup stuck (forced)']);
      await jest.advanceTimersByTimeAsync(200);
      const report = await first;
      expect(report.phases.map((p) => [p.phase, p.endedBy])).toEqual([
        ['forceful', 'escalate'],
        ['terminate', 'budget'],
      ]);
      expect(report.drainMs).toBe(0);
    });

    it('runs one shutdown for concurrent and repeated calls, with the same report', async () => {
      const s = new Scenario();
      s.honouring('one', NORMAL);
      const a = s.coordinator.shutdown({ reason: 'SIGTERM' });
      const b = s.coordinator.shutdown({ reason: 'SIGINT' });
      expect(b).toBe(a);
      const [ra, rb] = await Promise.all([a, b]);
      expect(rb).toBe(ra);
      expect(ra.reason).toBe('SIGTERM');
      expect(s.log.filter((l) => l === 'signal one')).toHaveLength(1);
      await expect(s.coordinator.shutdown()).resolves.toBe(ra);
    });

    it('logs a progress line while it waits', async () => {
      const s = new Scenario({ progressIntervalMs: 250 });
      s.stubborn('slowpoke', NORMAL);
      const done = s.coordinator.shutdown();
      await jest.advanceTimersByTimeAsync(250);
      expect(s.logger.messages('log')).toContain(
        'Still in graceful phase after 250 ms of 1000 ms; waiting for slowpoke',
      );
      await jest.advanceTimersByTimeAsync(2000);
      await done;
    });
  });

  describe('cleanups and hooks', () => {
    it('gives a cleanup its own signal, untouched by the task cancellation, aborted at its deadline', async () => {
      const s = new Scenario({ cleanupTimeoutMs: 100 });
      let cleanupSignal: AbortSignal | undefined;
      let taskSignalInCleanup: AbortSignal | undefined;
      s.coordinator.createTask((ctx) => untilAborted(ctx.signal), {
        name: 'x',
        cleanup: (info) => {
          cleanupSignal = info.signal;
          taskSignalInCleanup = currentTask()?.signal;
          return new Promise(() => undefined);
        },
      });
      const done = s.coordinator.shutdown();
      await flushMicrotasks();
      expect(cleanupSignal?.aborted).toBe(false);
      expect(taskSignalInCleanup).toBeUndefined();
      await jest.advanceTimersByTimeAsync(100);
      expect(cleanupSignal?.aborted).toBe(true);
      expect(cleanupSignal?.reason).toMatchObject({ name: 'TimeoutError', timeoutMs: 100 });
      const report = await done;
      expect(report.tasks[0].cleanup).toEqual({
        outcome: 'timeout',
        durationMs: 100,
        error: 'TimeoutError: cleanup of task "x" timed out after 100 ms',
      });
      // A cleanup over its deadline: the shutdown kept GRACEFUL but was not clean.
      expect(report.outcome).toBe('forced');
    });

    it('records a throwing cleanup and still runs the others', async () => {
      const s = new Scenario();
      s.honouring('bad', NORMAL, {
        cleanup: () => {
          throw new Error('cleanup boom');
        },
      });
      s.honouring('rejects', NORMAL, { cleanup: () => Promise.reject(new Error('async boom')) });
      s.honouring('good', NORMAL);
      const report = await s.shutdown();
      expect(report.tasks.map((t) => [t.name, t.cleanup?.outcome, t.cleanup?.error])).toEqual([
        ['bad', 'failed', 'Error: cleanup boom'],
        ['rejects', 'failed', 'Error: async boom'],
        ['good', 'ok', undefined],
      ]);
      expect(s.logger.messages('warn')).toContain(
        'Cleanup of task "bad" failed: Error: cleanup boom',
      );
    });

    it('runs each cleanup exactly once, even when the task ends after its forced cleanup', async () => {
      const s = new Scenario();
      const release = deferred();
      const calls: CleanupInfo[] = [];
      s.coordinator.createTask(() => release.promise, {
        name: 'late',
        cleanup: (info) => void calls.push(info),
      });
      const done = s.coordinator.shutdown();
      await jest.advanceTimersByTimeAsync(1000); // forceful: cleanup runs now
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({
        forced: true,
        state: TaskState.CANCELLING,
        phase: ShutdownPhase.FORCEFUL,
      });
      release.resolve();
      const report = await done;
      expect(calls).toHaveLength(1);
      expect(report.tasks[0]).toMatchObject({
        state: TaskState.CANCELLED,
        endedIn: ShutdownPhase.FORCEFUL,
      });
      expect(report.outcome).toBe('forced');
    });

    it('passes the failure and the cancellation reason to the cleanup', async () => {
      const s = new Scenario();
      const infos: CleanupInfo[] = [];
      s.coordinator.createTask(
        async (ctx) => {
          await untilAborted(ctx.signal).catch(() => undefined);
          throw new Error('failed while stopping');
        },
        { name: 'f', cleanup: (info) => void infos.push(info) },
      );
      const report = await s.shutdown();
      expect(infos[0]).toMatchObject({
        state: TaskState.FAILED,
        forced: false,
        phase: ShutdownPhase.GRACEFUL,
      });
      expect(infos[0].error).toEqual(new Error('failed while stopping'));
      expect(infos[0].reason).toBeInstanceOf(CancelledError);
      expect(report.tasks[0]).toMatchObject({
        state: TaskState.FAILED,
        error: 'Error: failed while stopping',
      });
      expect(report.failed).toBe(1);
    });

    it('records a hook that throws or hangs, and still runs later waves', async () => {
      const s = new Scenario({ cleanupTimeoutMs: 50 });
      s.hook('throws', LOW, () => {
        throw new Error('hook boom');
      });
      s.hook('hangs', NORMAL, () => new Promise(() => undefined));
      s.honouring('critical', CRITICAL);
      const report = await s.shutdown();
      expect(s.log).toEqual([
        'hook throws',
        'hook hangs',
        'signal critical',
        'end critical',
        'cleanup critical',
      ]);
      expect(report.hooks.map((h) => [h.name, h.outcome, h.error])).toEqual([
        ['throws', 'failed', 'Error: hook boom'],
        ['hangs', 'timeout', 'TimeoutError: shutdown hook "hangs" timed out after 50 ms'],
      ]);
    });

    it('starts every hook at TERMINATE before concluding, even when one completes synchronously', async () => {
      // Found by the property tests: the first, synchronous hook used to end the shutdown
      // before the second had started.
      const s = new Scenario();
      s.hook('async-storage', CRITICAL, () => Promise.resolve());
      s.hook('sync-flush', CRITICAL, () => undefined, ['async-storage']);
      const report = await s.shutdown(100, { phase: ShutdownPhase.TERMINATE });
      expect(s.log).toEqual(['hook sync-flush', 'hook async-storage']);
      expect(report.hooks.map((h) => [h.name, h.outcome])).toEqual([
        ['sync-flush', 'ok'],
        ['async-storage', 'ok'],
      ]);
    });

    it('gives a hook its own context through currentTask(), with a signal aborted at its deadline', async () => {
      const s = new Scenario({ cleanupTimeoutMs: 40 });
      let seen: { name?: string; id?: string; aborted?: boolean } = {};
      let hookSignal: AbortSignal | undefined;
      s.hook('ctx', NORMAL, (ctx) => {
        seen = { name: currentTask()?.name, id: currentTask()?.id, aborted: ctx.signal.aborted };
        hookSignal = ctx.signal;
        return new Promise(() => undefined);
      });
      await s.shutdown();
      expect(seen).toEqual({ name: 'ctx', id: 'hook:ctx', aborted: false });
      expect(hookSignal?.aborted).toBe(true);
    });

    it('waits for the cleanup of a task that ended just before the shutdown began', async () => {
      const s = new Scenario();
      const cleanupGate = deferred();
      const task = s.coordinator.createTask(() => Promise.resolve('done'), {
        name: 'just-ended',
        cleanup: () => cleanupGate.promise,
      });
      await task;
      const done = s.coordinator.shutdown();
      await jest.advanceTimersByTimeAsync(10);
      expect(s.coordinator.getReport()?.finished).toBe(false);
      cleanupGate.resolve();
      const report = await done;
      expect(report.tasks).toMatchObject([
        { name: 'just-ended', state: TaskState.COMPLETED, cleanup: { outcome: 'ok' } },
      ]);
    });
  });

  describe('report', () => {
    it('counts what the tasks did, covers only tasks alive at the start, and keeps its documented shape', async () => {
      const s = new Scenario();
      await s.coordinator.createTask(() => 'finished before');
      const finishesAlone = deferred();
      s.coordinator.createTask(() => finishesAlone.promise, {
        name: 'completes',
        priority: CRITICAL,
      });
      s.honouring('cancelled', LOW);
      s.coordinator.createTask(
        async (ctx) => {
          await untilAborted(ctx.signal).catch(() => undefined);
          throw new TypeError('bad state');
        },
        { name: 'fails', priority: NORMAL },
      );
      s.stubborn('abandoned', HIGH);
      const done = s.coordinator.shutdown({ reason: 'SIGTERM' });
      finishesAlone.resolve();
      await jest.advanceTimersByTimeAsync(2000);
      const report = await done;
      expect(report).toMatchObject({
        reason: 'SIGTERM',
        phaseReached: ShutdownPhase.TERMINATE,
        outcome: 'terminated',
        finished: true,
        total: 4,
        completed: 1,
        cancelled: 1,
        failed: 1,
        abandoned: 1,
        durationMs: 1700,
        lateFailures: [],
      });
      expect(report).not.toHaveProperty('status');
      expect(new Date(report.startedAt).toISOString()).toBe(report.startedAt);
      expect(report.tasks.map((t) => [t.name, t.state])).toEqual([
        ['cancelled', TaskState.CANCELLED],
        ['fails', TaskState.FAILED],
        ['abandoned', TaskState.ABANDONED],
        ['completes', TaskState.COMPLETED],
      ]);
      expect(report.tasks[3]).not.toHaveProperty('stopMs');
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    });

    it('records abandoned work that fails later as a late failure, never as an unhandled rejection', async () => {
      const s = new Scenario();
      const late = deferred();
      s.coordinator.createTask(() => late.promise, { name: 'zombie' });
      const report = await s.shutdown();
      expect(report.abandoned).toBe(1);
      late.reject(new Error('failed after abandonment'));
      await flushMicrotasks();
      expect(report.lateFailures).toEqual([]);
      expect(s.coordinator.getReport()?.lateFailures).toEqual([
        { name: 'zombie', error: 'Error: failed after abandonment' },
      ]);
      expect(s.logger.messages('warn')).toContain(
        'Abandoned work "zombie" failed after the shutdown gave up on it: Error: failed after abandonment',
      );
    });

    it('records a timed-out cleanup that fails later as a late failure', async () => {
      const s = new Scenario({ cleanupTimeoutMs: 10 });
      const late = deferred();
      s.honouring('t', NORMAL, { cleanup: () => late.promise });
      await s.shutdown();
      late.reject(new Error('cleanup failed late'));
      await flushMicrotasks();
      expect(s.coordinator.getReport()?.lateFailures).toEqual([
        { name: 'cleanup of t', error: 'Error: cleanup failed late' },
      ]);
    });

    it('returns a fresh copy from getReport() each call, and the report so far while running', async () => {
      const s = new Scenario();
      expect(s.coordinator.getReport()).toBeUndefined();
      s.stubborn('slow', NORMAL);
      const done = s.coordinator.shutdown();
      await jest.advanceTimersByTimeAsync(100);
      const sofar = s.coordinator.getReport();
      expect(sofar).toMatchObject({
        finished: false,
        phaseReached: ShutdownPhase.GRACEFUL,
        total: 1,
      });
      expect(sofar?.tasks[0]).toMatchObject({ state: TaskState.CANCELLING });
      await jest.advanceTimersByTimeAsync(2000);
      await done;
      const a = s.coordinator.getReport();
      const b = s.coordinator.getReport();
      expect(a).toEqual(b);
      expect(a).not.toBe(b);
      a!.tasks.length = 0;
      expect(s.coordinator.getReport()?.tasks).toHaveLength(1);
    });

    it('logs a summary line and a timeline when the shutdown ends', async () => {
      const s = new Scenario();
      s.honouring('one', NORMAL);
      await s.shutdown(10_000, { reason: 'SIGTERM' });
      const lines = s.logger.messages();
      // The rest of the line (lingering handles) depends on the test runner's own handles.
      expect(
        lines.filter((line) => line.startsWith('Shutdown (SIGTERM) clean in 0 ms — ')),
      ).toEqual([
        expect.stringContaining(
          '1 task(s): 0 completed, 1 cancelled, 0 failed, 0 abandoned; 0 hook(s)',
        ),
      ]);
      expect(lines.some((line) => line.includes('\n   2 NORMAL   one'))).toBe(true);
    });

    it('lists handles opened after the coordinator started and still open after the shutdown', async () => {
      jest.useRealTimers();
      const coordinator = new LifecycleCoordinator({ progressIntervalMs: 0 });
      const server: Server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const report = await coordinator.shutdown();
        expect(report.lingering).toEqual({ TCPServerWrap: 1 });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
});
