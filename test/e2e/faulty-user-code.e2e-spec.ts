import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ManagedTask,
  OnShutdown,
  TaskPriority,
  TaskState,
  exitCodeOf,
  type ShutdownReport,
  type TaskContext,
} from '../../lib/index.js';
import { untilAborted } from '../support/deferred.js';
import { OpenApps } from '../support/nest-app.js';
import { ProcessFaults } from '../support/process-faults.js';
import { RecordingLogger } from '../support/recording-logger.js';
import {
  causeCycle,
  revokedProxy,
  throwingGetters,
  throwingProxy,
} from '../unit/primitives/support/hostile-values.js';

/*
 * DESIGN §7, through the decorators of a real Nest application: user code that throws or
 * rejects hostile values (a getter that throws, a Proxy, a revoked Proxy, a cause cycle), an
 * onError that throws one, and callbacks that block the event loop past their deadline. The
 * shutdown ends, the report says what happened — failed, not abandoned; timeout, not ok — and
 * is written to reportFile as JSON; nothing unhandled is left behind.
 */

const HOSTILE: readonly (readonly [string, () => unknown])[] = [
  ['an error whose getters throw', throwingGetters],
  ['a Proxy whose traps throw', throwingProxy],
  ['a revoked Proxy', revokedProxy],
  ['a cause cycle', causeCycle],
];

/** Blocks the event loop for `ms` of real time. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy: the deadline's timer cannot run.
  }
}

describe('faulty user code in a real Nest application', () => {
  const apps = new OpenApps();
  let faults: ProcessFaults;
  let dir: string;

  beforeEach(async () => {
    faults = new ProcessFaults().start();
    dir = await mkdtemp(join(tmpdir(), 'faulty-user-code-'));
  });

  afterEach(async () => {
    await apps.closeAll();
    faults.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Boots `providers`, closes the app, and returns the report as the module wrote it. */
  async function closeAndRead(providers: (new (...args: never[]) => unknown)[]): Promise<{
    report: ShutdownReport;
    stored: ShutdownReport;
    logger: RecordingLogger;
  }> {
    const logger = new RecordingLogger();
    const reportFile = join(dir, 'report.json');
    @Module({
      imports: [
        AsyncLifecycleModule.forRoot({
          logger,
          reportFile,
          progressIntervalMs: 0,
          phases: { gracefulMs: 2000, forcefulMs: 500, terminateMs: 500 },
        }),
      ],
      providers,
    })
    class AppModule {}
    const app = apps.track(await Test.createTestingModule({ imports: [AppModule] }).compile());
    await app.init();
    const coordinator = app.get(LifecycleCoordinator);
    await app.close();
    await faults.settle();
    expect(faults.faults).toEqual([]);
    const report = coordinator.getReport() as ShutdownReport;
    const stored = JSON.parse(await readFile(reportFile, 'utf8')) as ShutdownReport;
    return { report, stored, logger };
  }

  it.each(HOSTILE)(
    'a task rejecting with %s, an onError throwing it, a cleanup and a hook throwing it: all reported, the shutdown ends',
    async (_label, make) => {
      @Injectable()
      class Hostile {
        @ManagedTask({ name: 'rejects', priority: TaskPriority.LOW })
        async rejects(ctx: TaskContext): Promise<void> {
          await untilAborted(ctx.signal).catch(() => undefined);
          throw make();
        }

        @ManagedTask({
          name: 'handled',
          onError: () => {
            throw make();
          },
        })
        async handled(ctx: TaskContext): Promise<void> {
          await untilAborted(ctx.signal).catch(() => undefined);
          throw new Error('handled failed');
        }

        @ManagedTask({ name: 'cleaned', cleanup: 'cleanup' })
        cleaned(ctx: TaskContext): Promise<never> {
          return untilAborted(ctx.signal);
        }

        cleanup(): never {
          throw make();
        }

        @OnShutdown({ name: 'hook', priority: TaskPriority.HIGH })
        hook(): Promise<never> {
          return Promise.reject(make());
        }

        @OnShutdown({ name: 'pool', priority: TaskPriority.CRITICAL })
        pool(): void {}
      }

      const { report, stored, logger } = await closeAndRead([Hostile]);
      expect(stored).toEqual(report);
      const byName = new Map(report.tasks.map((task) => [task.name, task]));
      expect(byName.get('rejects')).toMatchObject({
        state: TaskState.FAILED,
        error: expect.any(String),
      });
      expect(byName.get('handled')).toMatchObject({
        state: TaskState.FAILED,
        error: 'Error: handled failed',
      });
      expect(byName.get('cleaned')).toMatchObject({
        state: TaskState.CANCELLED,
        cleanup: { outcome: 'failed', error: expect.any(String) },
      });
      expect(report).toMatchObject({ failed: 2, abandoned: 0, outcome: 'clean' });
      expect(report.hooks.map((hook) => [hook.name, hook.outcome])).toEqual([
        ['hook', 'failed'],
        ['pool', 'ok'],
      ]);
      // The failed hook makes the exit code 1; the log named each failure.
      expect(exitCodeOf(report)).toBe(1);
      expect(logger.messages('error')).toEqual([
        expect.stringMatching(/^Task "rejects" failed: /),
        expect.stringMatching(/^Task "handled" failed: /),
      ]);
    },
  );

  it('a hook and a cleanup that block the event loop 10× past their deadline: timeout, not ok; the shutdown is not clean', async () => {
    @Injectable()
    class Busy {
      @ManagedTask({ name: 'busy-cleanup', cleanup: 'cleanup', cleanupTimeoutMs: 20 })
      run(ctx: TaskContext): Promise<never> {
        return untilAborted(ctx.signal);
      }

      cleanup(): void {
        blockEventLoop(200);
      }

      @OnShutdown({ name: 'busy-hook', timeoutMs: 20 })
      flush(): void {
        blockEventLoop(200);
      }
    }

    const { report, stored } = await closeAndRead([Busy]);
    expect(stored).toEqual(report);
    expect(report.tasks).toMatchObject([
      {
        name: 'busy-cleanup',
        state: TaskState.CANCELLED,
        cleanup: {
          outcome: 'timeout',
          error: expect.stringMatching(
            /^TimeoutError: cleanup of task "busy-cleanup", which returned after \d+ ms, timed out after 20 ms$/,
          ),
        },
      },
    ]);
    expect(report.hooks).toMatchObject([{ name: 'busy-hook', outcome: 'timeout' }]);
    expect(report.hooks[0].durationMs).toBeGreaterThanOrEqual(200);
    expect(report.outcome).toBe('forced');
    expect(exitCodeOf(report)).toBe(1);
  });
});
