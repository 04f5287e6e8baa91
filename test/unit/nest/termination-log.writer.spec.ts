import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import type {
  HookReport,
  ShutdownReport,
  TaskReport,
} from '../../../lib/core/shutdown-report.interface.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import {
  KUBERNETES_TERMINATION_LOG,
  resolveTerminationLogPath,
  storeTerminationLog,
  summarizeShutdown,
  truncateUtf8,
  writeTerminationLog,
} from '../../../lib/nest/termination-log.writer.js';

/** No half of a surrogate pair on its own: what cutting a character in half would leave. */
function wellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function task(name: string, state: TaskState, extra: Partial<TaskReport> = {}): TaskReport {
  return { id: name, name, priority: TaskPriority.NORMAL, dependsOn: [], wave: 0, state, ...extra };
}

function report(overrides: Partial<ShutdownReport> = {}): ShutdownReport {
  return {
    reason: 'SIGTERM',
    startedAt: '2026-12-01T01:00:00.000Z',
    endedAt: '2026-12-01T01:00:14.600Z',
    durationMs: 14_600,
    drainMs: 2_000,
    drain: { endedBy: 'quiet', durationMs: 2_000, arrivals: 38, lastArrivalMs: 1_000 },
    phaseReached: ShutdownPhase.TERMINATE,
    outcome: 'terminated',
    finished: true,
    total: 0,
    completed: 0,
    cancelled: 0,
    failed: 0,
    abandoned: 0,
    phases: [
      {
        phase: ShutdownPhase.GRACEFUL,
        budgetMs: 10_000,
        elapsedMs: 10_000.4,
        ended: 3,
        endedBy: 'budget',
      },
      {
        phase: ShutdownPhase.FORCEFUL,
        budgetMs: 2_000,
        elapsedMs: 2_000,
        ended: 1,
        endedBy: 'budget',
      },
      {
        phase: ShutdownPhase.TERMINATE,
        budgetMs: 500,
        elapsedMs: 600,
        ended: 0,
        endedBy: 'budget',
      },
    ],
    tasks: [],
    hooks: [],
    lateFailures: [],
    lingering: {},
    intakes: {},
    ...overrides,
  };
}

describe('summarizeShutdown', () => {
  it('says the outcome, reason, duration, phase, counts, then the worst first', () => {
    const tasks = [
      task('poller', TaskState.ABANDONED),
      task('sync', TaskState.FAILED, { error: 'Error: db gone\nat line 3', stopMs: 40 }),
      task('mailer', TaskState.CANCELLED, {
        stopMs: 812.6,
        cleanup: { outcome: 'timeout', durationMs: 5000 },
      }),
      task('GET /orders', TaskState.COMPLETED, { stopMs: 95 }),
    ];
    const hooks: HookReport[] = [
      {
        name: 'db-pool',
        priority: TaskPriority.CRITICAL,
        wave: 4,
        outcome: 'timeout',
        durationMs: 5000.2,
      },
      { name: 'cache', priority: TaskPriority.HIGH, wave: 3, outcome: 'ok', durationMs: 3 },
    ];
    const text = summarizeShutdown(
      report({
        tasks,
        hooks,
        total: 4,
        completed: 1,
        cancelled: 1,
        failed: 1,
        abandoned: 1,
        lateFailures: [{ name: 'poller', error: 'Error: late' }],
        lingering: { Timeout: 2, TCPSocketWrap: 1 },
      }),
    );

    expect(text.split('\n')).toEqual([
      'shutdown terminated after SIGTERM in 14.6 s, phase reached terminate',
      'started 2026-12-01T01:00:00.000Z; drain 2.00 s (quiet, 38 arrivals)',
      'tasks 4: 1 completed, 1 cancelled, 1 failed, 1 abandoned; hooks 2: 1 not ok',
      'phases: graceful 10000/10000 ms (budget), forceful 2000/2000 ms (budget), terminate 600/500 ms (budget)',
      'abandoned (1): poller',
      'failed (1): sync (Error: db gone\\nat line 3)',
      'hooks not ok (1): db-pool timeout after 5000 ms',
      'cleanups not ok (1): mailer timeout',
      'slowest to stop: mailer 813 ms, GET /orders 95 ms, sync 40 ms',
      'late failures (1): poller (Error: late)',
      'lingering: Timeout ×2, TCPSocketWrap ×1',
    ]);
  });

  it('a clean shutdown is three short lines and the phases', () => {
    const text = summarizeShutdown(
      report({
        outcome: 'clean',
        phaseReached: ShutdownPhase.GRACEFUL,
        durationMs: 412,
        phases: [
          {
            phase: ShutdownPhase.GRACEFUL,
            budgetMs: 30_000,
            elapsedMs: 410,
            ended: 0,
            endedBy: 'done',
          },
        ],
      }),
    );
    expect(text).toBe(
      [
        'shutdown clean after SIGTERM in 0.41 s, phase reached graceful',
        'started 2026-12-01T01:00:00.000Z; drain 2.00 s (quiet, 38 arrivals)',
        'tasks 0: 0 completed, 0 cancelled, 0 failed, 0 abandoned; hooks 0: 0 not ok',
        'phases: graceful 410/30000 ms (done)',
      ].join('\n'),
    );
  });

  it('with more abandoned tasks than fit: as many names as fit, then how many more', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) =>
      task(`worker-${i}-${'x'.repeat(40)}`, TaskState.ABANDONED),
    );
    const text = summarizeShutdown(report({ tasks, total: 2000, abandoned: 2000 }));
    const line = text.split('\n').find((l) => l.startsWith('abandoned (2000): worker-0-'));

    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(line).toMatch(/ … \+\d+ more$/);
    const shown = (line ?? '').split(', ').length;
    expect(line).toContain(`+${2000 - shown} more`);
  });

  // Names, errors and reasons are anyone's text: emoji, CJK, control characters, huge.
  const anyText = fc.string({ unit: 'binary', maxLength: 300 });
  const anyTask = fc.record({
    name: anyText,
    state: fc.constantFrom(...Object.values(TaskState)),
    error: fc.option(anyText, { nil: undefined }),
    stopMs: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }),
  });

  it('is never over the bound and never cuts a character in half (property)', () => {
    fc.assert(
      fc.property(
        fc.array(anyTask, { maxLength: 400 }),
        fc.array(fc.record({ name: anyText, error: anyText }), { maxLength: 50 }),
        anyText,
        fc.integer({ min: 0, max: 4096 }),
        (tasks, late, reason, maxBytes) => {
          const hooks: HookReport[] = late.map((l, i) => ({
            name: l.name,
            priority: TaskPriority.CRITICAL,
            wave: i,
            outcome: 'failed',
            durationMs: i,
            error: l.error,
          }));
          const given = report({
            reason,
            tasks: tasks.map((t) => task(t.name, t.state, { error: t.error, stopMs: t.stopMs })),
            hooks,
            lateFailures: late,
            lingering: Object.fromEntries(late.map((l) => [l.name, 1])),
          });
          const text = summarizeShutdown(given, maxBytes);

          expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(maxBytes);
          expect(wellFormed(text)).toBe(true);
          // Nothing a name holds can forge a line: every line is one of the summary's.
          for (const line of text === '' ? [] : text.split('\n')) {
            expect(line).toMatch(
              /^(shutdown |started |tasks |phases: |abandoned |failed |hooks not ok |cleanups not ok |slowest to stop: |late failures |lingering: )|…$/,
            );
          }
          if (maxBytes === 4096) expect(text.startsWith('shutdown ')).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('truncateUtf8', () => {
  it('cuts between whole characters: multi-byte ones and surrogate pairs stay whole', () => {
    expect(truncateUtf8('naïve café', 8)).toBe('naïv…'); // ï is two bytes, … three
    expect(truncateUtf8('ab😀cd', 6)).toBe('ab…');
    expect(truncateUtf8('ab😀cdef', 9)).toBe('ab😀…');
    expect(truncateUtf8('short', 4096)).toBe('short');
    expect(truncateUtf8('abc', 2)).toBe('');
  });

  it('fits, is a prefix, and is well formed for any text and bound (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.integer({ min: 0, max: 400 }),
        (text, max) => {
          const cut = truncateUtf8(text, max);
          expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(max);
          expect(wellFormed(cut)).toBe(true);
          expect(text.startsWith(cut.endsWith('…') && cut !== text ? cut.slice(0, -1) : cut)).toBe(
            true,
          );
        },
      ),
    );
  });
});

describe('writing the termination log', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'termination-log-'));
    dirs.push(dir);
    return dir;
  }

  it('replaces the file atomically and leaves no temp file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'termination-log');
    writeTerminationLog(path, 'first');
    writeTerminationLog(path, 'second');

    expect(await readFile(path, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['termination-log']);
  });

  it('an unwritable path comes back as a description, never thrown, and leaves nothing behind', async () => {
    const dir = await tempDir();
    const problem = storeTerminationLog(join(dir, 'missing', 'termination-log'), report());

    expect(problem).toMatch(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('defaults to /dev/termination-log only where it exists; false turns it off', () => {
    expect(resolveTerminationLogPath(undefined, () => true)).toBe(KUBERNETES_TERMINATION_LOG);
    expect(resolveTerminationLogPath(undefined, () => false)).toBeUndefined();
    expect(resolveTerminationLogPath(false, () => true)).toBeUndefined();
    expect(resolveTerminationLogPath('/data/summary.txt', () => false)).toBe('/data/summary.txt');
  });
});
