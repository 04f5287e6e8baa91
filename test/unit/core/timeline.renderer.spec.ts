import { describe, expect, it } from '@jest/globals';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import type { ShutdownReport, TaskReport } from '../../../lib/core/shutdown-report.interface.js';
import { TaskPriority } from '../../../lib/core/task-priority.enum.js';
import { TaskState } from '../../../lib/core/task-state.enum.js';
import {
  renderShutdownSummary,
  renderShutdownTimeline,
} from '../../../lib/core/timeline.renderer.js';

function task(overrides: Partial<TaskReport> & { name: string }): TaskReport {
  return {
    id: overrides.name,
    priority: TaskPriority.NORMAL,
    dependsOn: [],
    wave: 2,
    state: TaskState.CANCELLED,
    ...overrides,
  };
}

function report(tasks: TaskReport[], overrides: Partial<ShutdownReport> = {}): ShutdownReport {
  return {
    reason: 'SIGTERM',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1000,
    drainMs: 100,
    drain: { endedBy: 'max', durationMs: 100, arrivals: 0 },
    intakes: {},
    phaseReached: ShutdownPhase.FORCEFUL,
    outcome: 'forced',
    finished: true,
    total: tasks.length,
    completed: 0,
    cancelled: tasks.length,
    failed: 0,
    abandoned: 0,
    phases: [
      { phase: ShutdownPhase.GRACEFUL, budgetMs: 600, elapsedMs: 600, ended: 1, endedBy: 'budget' },
      { phase: ShutdownPhase.FORCEFUL, budgetMs: 300, elapsedMs: 300, ended: 1, endedBy: 'done' },
    ],
    tasks,
    hooks: [
      {
        name: 'db-pool',
        priority: TaskPriority.CRITICAL,
        wave: 4,
        outcome: 'ok',
        durationMs: 50,
        startedAtMs: 900,
      },
    ],
    lateFailures: [],
    lingering: {},
    ...overrides,
  };
}

describe('renderShutdownTimeline', () => {
  const sample = report([
    task({
      name: 'poller',
      priority: TaskPriority.LOWEST,
      wave: 0,
      signalledAtMs: 100,
      endedAtMs: 150,
      stopMs: 50,
    }),
    task({
      name: 'a-task-with-a-very-long-name-indeed',
      wave: 2,
      signalledAtMs: 150,
      endedAtMs: 800,
      stopMs: 650,
      cleanup: { outcome: 'failed', durationMs: 2 },
    }),
    task({ name: 'finished-alone', wave: 3, state: TaskState.COMPLETED, endedAtMs: 300 }),
    task({ name: 'stuck', wave: 3, state: TaskState.ABANDONED, signalledAtMs: 800 }),
  ]);

  it('fits every line in 100 columns, one row per task and hook, in stop order', () => {
    const lines = renderShutdownTimeline(sample);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expect(lines).toHaveLength(1 + 4 + 1);
    expect(lines.slice(1).map((line) => line.slice(14, 42).trim())).toEqual([
      'poller',
      'a-task-with-a-very-long-nam…',
      'finished-alone',
      'stuck',
      'hook db-pool',
    ]);
  });

  it('labels the phase segments and draws =, * and ! marks', () => {
    const [header, poller, long, alone, stuck] = renderShutdownTimeline(sample);
    // A label is cut to the width of its segment: 100 ms of drain in 1 s gets two columns.
    expect(header).toMatch(/\|dr\|graceful +\|force +\|/);
    expect(poller).toMatch(/LOWEST +poller +cancelled -/);
    expect(poller).toContain('=');
    expect(long).toContain('failed');
    expect(alone).toContain('*');
    expect(alone).not.toContain('=');
    expect(stuck).toMatch(/=+!\| +-$/);
  });

  it('keeps failed, abandoned and the slowest rows when there are too many', () => {
    const many = Array.from({ length: 200 }, (_, i) =>
      task({ name: `t${i}`, signalledAtMs: 0, endedAtMs: i, stopMs: i }),
    );
    many[5] = task({
      name: 'broken',
      state: TaskState.FAILED,
      signalledAtMs: 0,
      endedAtMs: 1,
      stopMs: 1,
    });
    const lines = renderShutdownTimeline(report(many, { hooks: [] }), { maxRows: 10 });
    expect(lines).toHaveLength(1 + 10 + 1);
    expect(lines.some((line) => line.includes('broken'))).toBe(true);
    expect(lines.some((line) => line.includes('t199'))).toBe(true);
    expect(lines[lines.length - 1]).toBe(
      '… 190 more row(s) not shown (failed, abandoned and slowest kept); see the JSON report',
    );
  });

  it('narrows to the width asked for, never below 90', () => {
    for (const line of renderShutdownTimeline(sample, { width: 95 }))
      expect(line.length).toBeLessThanOrEqual(95);
    for (const line of renderShutdownTimeline(sample, { width: 10 }))
      expect(line.length).toBeLessThanOrEqual(90);
  });

  it('says the phase each task ended in', () => {
    const [, poller, slow, alone, stuck] = renderShutdownTimeline(
      report([
        task({
          name: 'poller',
          endedIn: ShutdownPhase.GRACEFUL,
          signalledAtMs: 100,
          endedAtMs: 150,
        }),
        task({ name: 'slow', endedIn: ShutdownPhase.FORCEFUL, signalledAtMs: 150, endedAtMs: 800 }),
        task({ name: 'alone', state: TaskState.COMPLETED, endedAtMs: 300 }),
        task({ name: 'stuck', state: TaskState.ABANDONED, signalledAtMs: 800 }),
      ]),
    );
    expect(poller).toMatch(/poller +cancelled grace -/);
    expect(slow).toMatch(/slow +cancelled force -/);
    expect(alone).toMatch(/alone +completed - +-/);
    expect(stuck).toMatch(/stuck +abandoned - +-/);
  });
});

describe('renderShutdownSummary', () => {
  it('says what happened in one line', () => {
    expect(
      renderShutdownSummary(
        report([], {
          outcome: 'terminated',
          durationMs: 12_345,
          total: 8,
          completed: 5,
          cancelled: 1,
          failed: 1,
          abandoned: 1,
          hooks: [{ name: 'h', priority: 0, wave: 4, outcome: 'timeout', durationMs: 5 }],
          lateFailures: [{ name: 'x', error: 'Error: y' }],
          lingering: { Timeout: 2 },
        }),
      ),
    ).toBe(
      'Shutdown (SIGTERM) terminated in 12.3 s — 8 task(s): 5 completed, 1 cancelled, 1 failed, 1 abandoned; ' +
        '1 hook(s) (1 failed or timed out); 1 late failure(s); lingering: Timeout ×2',
    );
  });
});

/** Columns a line takes in a terminal: wide characters (CJK, emoji) take two. */
function columns(line: string): number {
  let width = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(
    line,
  )) {
    width +=
      /\p{Emoji_Presentation}|[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(
        segment,
      )
        ? 2
        : 1;
  }
  return width;
}

/** Where each `|` of a line is, in columns: the bar's edges must line up from row to row. */
function barEdges(line: string): number[] {
  const edges: number[] = [];
  let at = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(
    line,
  )) {
    if (segment === '|') edges.push(at);
    at += columns(segment);
  }
  return [edges[0], edges[edges.length - 1]];
}

describe('renderShutdownTimeline with long and odd names', () => {
  // A report may come from anywhere (renderShutdownTimeline is public; reportFile is read back
  // at boot): names the engine would refuse are drawn safely too.
  const odd = report(
    [
      task({ name: 'x'.repeat(200), signalledAtMs: 0, endedAtMs: 100, stopMs: 100 }),
      task({ name: '数据库连接池的关闭任务和它的清理工作', signalledAtMs: 0, endedAtMs: 200 }),
      task({ name: 'deploy 🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀', signalledAtMs: 0, endedAtMs: 300 }),
      task({ name: `${'a'.repeat(26)}🚀 the emoji straddles the cut`, endedAtMs: 400 }),
      task({ name: 'cafe\u0301 cre\u0300me bru\u0302le\u0301e', endedAtMs: 500 }),
      task({ name: 'evil\nINFO forged line\u001b[31mred', signalledAtMs: 0, endedAtMs: 600 }),
    ],
    { reason: 'SIGTERM\nINFO forged' },
  );
  const lines = renderShutdownTimeline(odd);

  it('keeps one line per row, with no control character in any', () => {
    expect(lines).toHaveLength(1 + 6 + 1);
    for (const line of lines) {
      // eslint-disable-next-line no-control-regex
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    expect(lines[6]).toContain('evil\\nINFO forged line\\u001b[31mred'.slice(0, 20));
  });

  it('keeps every bar aligned and every line within 100 columns, whatever the names are made of', () => {
    const edges = barEdges(lines[0]);
    for (const line of lines.slice(0, -1)) {
      expect(barEdges(line)).toEqual(edges);
      expect(columns(line)).toBeLessThanOrEqual(100);
    }
  });

  it('cuts a name on a character, never inside one: no lone surrogate, no stray combining mark', () => {
    // A lone surrogate is what a cut inside a pair leaves.
    for (const line of lines) expect(line).not.toMatch(/\p{Surrogate}/u);
    expect(lines[4]).toContain(`${'a'.repeat(26)}…`);
    expect(lines[5]).toContain('cafe\u0301 cre\u0300me bru\u0302le\u0301e');
  });

  it('shows a reason with control characters escaped in the summary', () => {
    expect(renderShutdownSummary(odd)).toMatch(/^Shutdown \(SIGTERM\\nINFO forged\) forced in /);
  });
});
