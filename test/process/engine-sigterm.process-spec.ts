import { afterEach, describe, expect, it } from '@jest/globals';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import { startScript, type ChildRun } from '../support/child-process.js';

const FIXTURE = 'test/process/fixtures/engine-sigterm.js';
const BUDGETS = { gracefulMs: 1200, forcefulMs: 600, terminateMs: 400 };
const TOTAL = BUDGETS.gracefulMs + BUDGETS.forcefulMs + BUDGETS.terminateMs;
// Generous: CI machines are slow; the bound that matters is "does not hang".
const MARGIN_MS = 1500;
// Start-up of a fresh Node process plus the budgets and the margin: Jest's 5 s default is not it.
const TEST_TIMEOUT_MS = 10_000 + TOTAL + MARGIN_MS;

describe('engine in a real process, real SIGTERM', () => {
  let run: ChildRun | undefined;

  afterEach(async () => {
    await run?.close();
    run = undefined;
  });

  it(
    'exits within the three budgets despite a task that ignores its signal, naming it in the report',
    async () => {
      run = startScript(FIXTURE, { BUDGETS: JSON.stringify(BUDGETS) });
      await run.waitFor(/^READY$/);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      const { code, at } = await run.exited;
      const elapsed = at - sentAt;

      expect(code).toBe(1);
      expect(elapsed).toBeGreaterThanOrEqual(TOTAL - 50);
      expect(elapsed).toBeLessThan(TOTAL + MARGIN_MS);
      const report = run.jsonAfter<ShutdownReport>('REPORT ');
      expect(report).toMatchObject({
        reason: 'SIGTERM',
        outcome: 'terminated',
        total: 3,
        cancelled: 2,
        abandoned: 1,
      });
      expect(report.tasks.map((t) => [t.name, t.state])).toEqual([
        ['low-poller', 'cancelled'],
        ['stubborn-exporter', 'abandoned'],
        ['critical-writer', 'cancelled'],
      ]);
      expect(report.tasks[1].cleanup?.outcome).toBe('ok');
      expect(report.lingering).toEqual({ Timeout: 1 });
      expect(run.lines).toContain('WARN Abandoned after the terminate budget: stubborn-exporter');
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'escalates one phase per repeated SIGTERM',
    async () => {
      run = startScript(FIXTURE, { BUDGETS: JSON.stringify({ ...BUDGETS, gracefulMs: 20_000 }) });
      await run.waitFor(/^READY$/);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      await run.waitFor(/Entering graceful phase/);
      run.child.kill('SIGTERM');
      await run.waitFor(/^ESCALATE$/);
      const { code, at } = await run.exited;

      expect(code).toBe(1);
      expect(at - sentAt).toBeLessThan(BUDGETS.forcefulMs + BUDGETS.terminateMs + MARGIN_MS);
      const report = run.jsonAfter<ShutdownReport>('REPORT ');
      expect(report.phases.map((p) => [p.phase, p.endedBy])).toEqual([
        ['graceful', 'escalate'],
        ['forceful', 'budget'],
        ['terminate', 'budget'],
      ]);
    },
    TEST_TIMEOUT_MS,
  );
});
