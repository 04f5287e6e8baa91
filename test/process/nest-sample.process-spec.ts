import { afterEach, describe, expect, it } from '@jest/globals';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import { TaskState } from '../../lib/core/task-state.enum.js';
import { startScript, type ChildRun } from '../support/child-process.js';

const SAMPLE = 'sample/01-orders-service/main.js';
// Generous: the bound that matters is "exits within the budgets, does not hang".
const MARGIN_MS = 2500;
// Start-up of a Nest app in a fresh process, the sample's budgets (5 s / 2 s / 1 s) and the margin.
const TEST_TIMEOUT_MS = 10_000 + 5000 + 2000 + 1000 + MARGIN_MS;

function start(env: Record<string, string>): ChildRun {
  return startScript(SAMPLE, { NO_COLOR: '1', PORT: '0', PRINT_REPORT: '1', ...env });
}

/** The index of the first line containing `text`, failing clearly when there is none. */
function at(run: ChildRun, text: string): number {
  const index = run.lines.findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`no line with "${text}":\n${run.lines.join('\n')}`);
  return index;
}

describe('the Nest sample, compiled, in a real process with real signals', () => {
  let run: ChildRun | undefined;

  afterEach(async () => {
    await run?.close();
    run = undefined;
  });

  it(
    'shuts down on SIGTERM in stop order, before onModuleDestroy, and exits 0',
    async () => {
      run = start({});
      await run.waitFor(/^READY /);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      const { code, at: exitedAt } = await run.exited;

      expect(code).toBe(0);
      expect(exitedAt - sentAt).toBeLessThan(5000 + 2000 + 1000 + MARGIN_MS);
      const order = [
        'Received SIGTERM: starting the phased shutdown',
        'Entering graceful phase',
        'cache warmer stopped',
        'stopped taking orders',
        'consumer cleanup: acknowledged the last batch',
        'report export finished its file and stopped',
        'pool closed',
        'onModuleDestroy (pool already closed)',
        'Shutdown (SIGTERM) clean',
        'EXIT 0',
      ].map((text) => at(run!, text));
      expect([...order].sort((a, b) => a - b)).toEqual(order);

      const report = run.jsonAfter<ShutdownReport>('REPORT ');
      expect(report).toMatchObject({
        reason: 'SIGTERM',
        outcome: 'clean',
        failed: 0,
        abandoned: 0,
        lingering: {},
      });
      expect(report.hooks).toMatchObject([{ name: 'db-pool', outcome: 'ok' }]);
      expect(run.lines.some((line) => line.includes('query after the pool closed'))).toBe(false);
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'escalates one phase per repeated SIGTERM',
    async () => {
      run = start({ EXPORT_STOP_MS: '60000' });
      await run.waitFor(/^READY /);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      // Each signal after the previous one was handled: pending signals of a kind do not queue.
      await run.waitFor(/Entering graceful phase/);
      run.child.kill('SIGTERM');
      await run.waitFor(/Received SIGTERM again \(2\): escalating to the next phase/);
      await run.waitFor(/Entering forceful phase \(budget 2000 ms, escalated\)/);
      run.child.kill('SIGTERM');
      await run.waitFor(/Received SIGTERM a third time: terminating now/);
      const { code, at: exitedAt } = await run.exited;

      // Without the signals, the export would hold the shutdown for 5 + 2 + 1 s.
      expect(exitedAt - sentAt).toBeLessThan(1000 + MARGIN_MS);
      expect(code).toBe(1);
      const report = run.jsonAfter<ShutdownReport>('REPORT ');
      expect(report.phases.map((p) => [p.phase, p.endedBy])).toEqual([
        ['graceful', 'escalate'],
        ['forceful', 'escalate'],
        ['terminate', 'budget'],
      ]);
      expect(report.tasks.find((t) => t.name === 'BackgroundJobs.exportReports')?.state).toBe(
        'abandoned',
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "runs the same phased shutdown, once, under Nest's own enableShutdownHooks()",
    async () => {
      run = start({ SHUTDOWN_HOOKS: 'nest' });
      await run.waitFor(/^READY /);
      run.child.kill('SIGTERM');
      const { code, signal } = await run.exited;

      // Nest re-raises the signal once closed: the process ends by SIGTERM.
      expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
      const order = [
        'Shutdown started (close)',
        'stopped taking orders',
        'pool closed',
        'onModuleDestroy (pool already closed)',
        'Shutdown (close) clean',
      ].map((text) => at(run!, text));
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(run.lines.filter((line) => line.includes('Shutdown started'))).toHaveLength(1);
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'abandons a task that ignores its signal and still exits within the budgets, with exit code 1',
    async () => {
      const phases = { gracefulMs: 600, forcefulMs: 300, terminateMs: 200 };
      run = start({ STUBBORN: '1', LIFECYCLE_OPTIONS: JSON.stringify({ phases }) });
      await run.waitFor(/^READY /);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      const { code, at: exitedAt } = await run.exited;

      expect(code).toBe(1);
      expect(exitedAt - sentAt).toBeLessThan(600 + 300 + 200 + MARGIN_MS);
      expect(
        run.lines.some((l) =>
          l.includes('Abandoned after the terminate budget: BackgroundJobs.legacySync'),
        ),
      ).toBe(true);
      expect(at(run, 'legacy sync cleanup ran in the forceful phase')).toBeLessThan(
        at(run, 'pool closed'),
      );
      const report = run.jsonAfter<ShutdownReport>('REPORT ');
      expect(report).toMatchObject({
        outcome: 'terminated',
        abandoned: 1,
        phaseReached: 'terminate',
      });
      expect(report.tasks.find((t) => t.state === TaskState.ABANDONED)).toMatchObject({
        name: 'BackgroundJobs.legacySync',
        cleanup: { outcome: 'ok' },
      });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );
});
