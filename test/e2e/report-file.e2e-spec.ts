import 'reflect-metadata';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  LifecycleState,
  ManagedTask,
  OnShutdown,
  TaskPriority,
  TaskState,
  type AsyncLifecycleOptions,
  type ShutdownReport,
  type TaskContext,
} from '../../lib/index.js';
import { deferred, untilAborted, type TestDeferred } from '../support/deferred.js';
import { OpenApps } from '../support/nest-app.js';
import { RecordingLogger } from '../support/recording-logger.js';

const FAST = { gracefulMs: 200, forcefulMs: 100, terminateMs: 100 } as const;

/** Set per test: what the decorated task below waits for; unset, it honours its signal. */
let blocker: TestDeferred | undefined;
const events: string[] = [];

@Injectable()
class Worker {
  @ManagedTask({ priority: TaskPriority.HIGH, dependsOn: ['db-pool'], cleanup: 'release' })
  async loop(ctx: TaskContext) {
    if (blocker !== undefined) await blocker.promise;
    else await untilAborted(ctx.signal).catch(() => events.push('worker stopped'));
  }
  release() {
    events.push('worker cleanup');
  }
}

@Injectable()
class Pool {
  @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'db-pool' })
  close() {
    events.push('pool closed');
  }
}

const apps = new OpenApps();
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'async-lifecycle-report-'));
  events.length = 0;
  blocker = undefined;
});

afterEach(async () => {
  // Lets an abandoned task end, so nothing outlives the test.
  blocker?.resolve();
  await apps.closeAll();
  await rm(dir, { recursive: true, force: true });
});

type Boot = {
  app: INestApplicationContext;
  logger: RecordingLogger;
  coordinator: LifecycleCoordinator;
};

/** An HTTP application (not listening) with the worker and the pool, initialised. */
async function boot(reportFile: string, options: AsyncLifecycleOptions = {}): Promise<Boot> {
  const logger = new RecordingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [AsyncLifecycleModule.forRoot({ logger, phases: FAST, reportFile, ...options })],
    providers: [Worker, Pool],
  }).compile();
  const app = apps.track(moduleRef.createNestApplication());
  await app.init();
  return { app, logger, coordinator: app.get(LifecycleCoordinator) };
}

async function readReport(path: string): Promise<ShutdownReport> {
  return JSON.parse(await readFile(path, 'utf8')) as ShutdownReport;
}

/** The report without the fields that may still change after the shutdown ended. */
function settled(report: ShutdownReport | undefined): Partial<ShutdownReport> | undefined {
  if (report === undefined) return undefined;
  const { lateFailures: _late, lingering: _lingering, ...rest } = report;
  return rest;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('reportFile', () => {
  it('writes the shutdown report atomically at app.close()', async () => {
    const path = join(dir, 'report.json');
    const { app, coordinator } = await boot(path);

    await app.close();

    expect(events).toEqual(['worker stopped', 'worker cleanup', 'pool closed']);
    const text = await readFile(path, 'utf8');
    const written = JSON.parse(text) as ShutdownReport;
    expect(text.endsWith('\n')).toBe(true);
    expect(settled(written)).toEqual(settled(coordinator.getReport()));
    expect(written).toMatchObject({
      reason: 'close',
      outcome: 'clean',
      finished: true,
      total: 1,
      cancelled: 1,
      tasks: [
        {
          name: 'Worker.loop',
          state: TaskState.CANCELLED,
          dependsOn: ['db-pool'],
          cleanup: { outcome: 'ok' },
        },
      ],
      hooks: [{ name: 'db-pool', outcome: 'ok' }],
    });
    expect(written).not.toHaveProperty('status');
    // No temp file is left next to it.
    expect(await readdir(dir)).toEqual(['report.json']);
  });

  it('writes it from an application context without HTTP too', async () => {
    const path = join(dir, 'report.json');
    const logger = new RecordingLogger();
    const context = apps.track(
      await Test.createTestingModule({
        imports: [AsyncLifecycleModule.forRoot({ logger, phases: FAST, reportFile: path })],
        providers: [Worker, Pool],
      }).compile(),
    );
    await context.init();
    const coordinator = context.get(LifecycleCoordinator);

    await context.close();

    expect(settled(await readReport(path))).toEqual(settled(coordinator.getReport()));
    expect(coordinator.getReport()).toMatchObject({ outcome: 'clean', total: 1 });
  });

  it('reads the previous report back at the next boot', async () => {
    const path = join(dir, 'report.json');
    blocker = deferred();
    const first = await boot(path, { phases: { gracefulMs: 30, forcefulMs: 30, terminateMs: 30 } });
    expect(first.coordinator.getLastBootReport()).toBeUndefined();
    await first.app.close();
    const previous = await readReport(path);
    expect(previous).toMatchObject({ outcome: 'terminated', abandoned: 1 });
    // The abandoned task ends; the next process's worker honours its signal.
    blocker.resolve();
    blocker = undefined;

    const second = await boot(path);

    expect(second.coordinator.getLastBootReport()).toEqual(previous);
    expect(second.logger.messages('log')).toContain(
      `Previous shutdown (close, ${previous.startedAt}) was terminated — report read from ${path}`,
    );
    expect(second.logger.messages('warn')).toEqual([]);
    // A fresh copy each call.
    const copy = second.coordinator.getLastBootReport();
    if (copy !== undefined) copy.outcome = 'clean';
    expect(second.coordinator.getLastBootReport()?.outcome).toBe('terminated');

    // The second shutdown replaces it; the last boot report stays the one read at boot.
    await second.app.close();
    const latest = await readReport(path);
    expect(settled(latest)).toEqual(settled(second.coordinator.getReport()));
    expect(latest).toMatchObject({ outcome: 'clean', abandoned: 0 });
    expect(second.coordinator.getLastBootReport()).toEqual(previous);
  });

  it('a torn file: a warning naming the path, no last boot report, boot succeeds', async () => {
    const path = join(dir, 'report.json');
    const whole = JSON.stringify({
      reason: 'SIGTERM',
      startedAt: new Date().toISOString(),
      outcome: 'clean',
      tasks: [],
    });
    await writeFile(path, whole.slice(0, Math.floor(whole.length / 2)));

    const { app, logger, coordinator } = await boot(path);

    expect(logger.messages('warn')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${escape(`The previous shutdown report at ${path} could not be read and is ignored: `)}SyntaxError: .+`,
        ),
      ),
    ]);
    expect(logger.messages('log').filter((m) => m.includes(path))).toEqual([]);
    expect(coordinator.getLastBootReport()).toBeUndefined();
    expect(coordinator.state).toBe(LifecycleState.RUNNING);
    expect(coordinator.tasks().map((t) => t.name)).toEqual(['Worker.loop']);

    // The next shutdown replaces the torn file with a whole report.
    await app.close();
    expect(settled(await readReport(path))).toEqual(settled(coordinator.getReport()));
  });

  it('a JSON file that is not a report: a warning naming the path, boot succeeds', async () => {
    const path = join(dir, 'report.json');
    await writeFile(path, '{"status":"ok"}\n');

    const { logger, coordinator } = await boot(path);

    expect(logger.messages('warn')).toEqual([
      `The previous shutdown report at ${path} could not be read and is ignored: not a shutdown report`,
    ]);
    expect(coordinator.getLastBootReport()).toBeUndefined();
    expect(coordinator.state).toBe(LifecycleState.RUNNING);
  });

  it('a missing file: a plain log line, not a warning; boot succeeds', async () => {
    const path = join(dir, 'report.json');

    const { app, logger, coordinator } = await boot(path);

    expect(logger.lines.filter((l) => l.message.includes(path))).toEqual([
      { level: 'log', message: `No previous shutdown report at ${path} (first start?)` },
    ]);
    expect(logger.messages('warn')).toEqual([]);
    expect(coordinator.getLastBootReport()).toBeUndefined();
    expect(coordinator.state).toBe(LifecycleState.RUNNING);
    await app.close();
    expect(await readdir(dir)).toEqual(['report.json']);
  });

  describe('an unwritable path: a warning naming the path at close; the shutdown is unaffected', () => {
    /** Boots with `path`, closes, checks the close; returns the warnings logged at boot. */
    async function expectUnwritable(path: string, code: string): Promise<string[]> {
      const { app, logger, coordinator } = await boot(path);
      const atBoot = logger.messages('warn');
      const warningsAtBoot = atBoot.length;

      await expect(app.close()).resolves.toBeUndefined();

      expect(logger.messages('warn').slice(warningsAtBoot)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${escape('The shutdown report could not be saved: ')}.*${escape(path)}.*${code}`,
          ),
        ),
      ]);
      expect(events).toEqual(['worker stopped', 'worker cleanup', 'pool closed']);
      expect(coordinator.state).toBe(LifecycleState.STOPPED);
      expect(coordinator.getReport()).toMatchObject({
        reason: 'close',
        outcome: 'clean',
        finished: true,
        total: 1,
        cancelled: 1,
        failed: 0,
        tasks: [{ name: 'Worker.loop', state: TaskState.CANCELLED, cleanup: { outcome: 'ok' } }],
        hooks: [{ name: 'db-pool', outcome: 'ok' }],
      });
      return atBoot;
    }

    it('under a regular file (ENOTDIR)', async () => {
      const file = join(dir, 'plain-file');
      await writeFile(file, 'not a directory\n');
      const path = join(file, 'report.json');

      const atBoot = await expectUnwritable(path, 'ENOTDIR');

      // Reading it back at boot failed too, and said so.
      expect(atBoot).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${escape(`The previous shutdown report at ${path} could not be read and is ignored: `)}.*ENOTDIR`,
          ),
        ),
      ]);

      // Nothing was written or left behind.
      expect(await readdir(dir)).toEqual(['plain-file']);
      expect(await readFile(file, 'utf8')).toBe('not a directory\n');
    });

    it('in a directory that does not exist (ENOENT)', async () => {
      const path = join(dir, 'no-such-dir', 'report.json');

      const atBoot = await expectUnwritable(path, 'ENOENT');

      // Said at boot, when someone reads the log, and again when the save fails.
      expect(atBoot).toEqual([
        `reportFile ${path}: its directory ${join(dir, 'no-such-dir')} does not exist; the shutdown report will not be saved`,
      ]);

      expect(await readdir(dir)).toEqual([]);
    });
  });
});
