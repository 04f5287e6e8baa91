import { afterEach, describe, expect, it } from '@jest/globals';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import { TaskState } from '../../lib/core/task-state.enum.js';
import { startScript, type ChildRun } from '../support/child-process.js';

const FIXTURE = 'test/process/fixtures/schedule-app.js';
// The fixture's budgets: 5 s graceful, 1 s forceful, 0.5 s terminate.
const BUDGETS_MS = 5000 + 1000 + 500;
// Start-up of a Nest app in a fresh process, the budgets and a generous margin.
const TEST_TIMEOUT_MS = 10_000 + BUDGETS_MS + 5000;

/** The index of the first line containing `text`, failing clearly when there is none. */
function at(run: ChildRun, text: string): number {
  const index = run.lines.findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`no line with "${text}":\n${run.lines.join('\n')}`);
  return index;
}

/**
 * What the process wrote to stderr — Nest's error lines go there — less cron's own warning that
 * the event loop was late for a tick (a loaded machine at start-up), which is no error.
 */
function stderrLines(run: ChildRun): string[] {
  return run.errorOutput
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('[Cron] Missed execution deadline'));
}

describe('@nestjs/schedule as its docs show, compiled, in a real process with a real SIGTERM', () => {
  let run: ChildRun | undefined;

  afterEach(async () => {
    await run?.close();
    run = undefined;
  });

  it.each([
    ['an HTTP application (NestFactory.create)', 'http'],
    ['a standalone worker (NestFactory.createApplicationContext)', 'worker'],
  ])(
    '%s: no tick starts after SIGTERM, the tick in flight finishes, nothing is logged as an error, exit 0',
    async (_what, mode) => {
      run = startScript(FIXTURE, { NO_COLOR: '1', MODE: mode });
      await run.waitFor(/^READY$/);
      await run.waitFor(/interval tick 1 started/);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      const { code, at: exitedAt } = await run.exited;

      expect(code).toBe(0);
      expect(exitedAt - sentAt).toBeLessThan(BUDGETS_MS);
      expect(stderrLines(run)).toEqual([]);
      expect(run.lines.filter((line) => /\bERROR\b/.test(line))).toEqual([]);
      const received = at(run, 'Received SIGTERM');
      const startedAfter = run.lines
        .slice(received)
        .filter((line) => / started$|cron tick|timeout fired/.test(line));
      expect(startedAfter).toEqual([]);
      expect(at(run, 'interval tick 1 finished')).toBeGreaterThan(received);
      expect(at(run, 'interval tick 1 finished')).toBeLessThan(at(run, 'EXIT 0'));

      const report = run.jsonAfter<ShutdownReport>('REPORT ');
      expect(report).toMatchObject({ reason: 'SIGTERM', outcome: 'clean', failed: 0 });
      expect(report.tasks).toEqual([
        expect.objectContaining({
          name: 'interval TasksService.handleInterval#1',
          state: TaskState.COMPLETED,
        }),
      ]);
      expect(report.intakes.schedule).toEqual({
        stopped: { cronJobs: 1, intervals: 1, timeouts: 1 },
        stoppedLate: 0,
        inFlightAtStart: 1,
        admitted: 0,
        drained: 1,
        failed: 0,
        cancelled: 0,
        running: 0,
        untracked: 0,
      });
    },
    TEST_TIMEOUT_MS,
  );
});
