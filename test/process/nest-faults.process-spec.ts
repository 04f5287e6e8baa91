import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import { CLOSE_ALLOWANCE_MS } from '../../lib/async-lifecycle.constants.js';
import { MAX_TIMER_MS } from '../../lib/core/lifecycle-options.validator.js';
import { startScript, type ChildRun } from '../support/child-process.js';

/*
 * The Nest layer off the happy path, in real processes with real signals (DESIGN §5, §7): a
 * standalone application context, a signal during bootstrap, a failing bootstrap, a logger that
 * throws once its stream closed, escalate() from inside a cleanup and a hook, a plain close()
 * after enableLifecycleShutdown, Nest's enableShutdownHooks() left beside it, budgets at the
 * edge of a timer's range. Order is read from the lines the child prints; the parent releases
 * the child's holds by IPC messages, never after a sleep.
 */

const FIXTURE = 'test/process/fixtures/nest-faults.js';
// The fixture's budgets (2 s / 1 s / 0.5 s) and a generous margin for a busy 2-core machine.
const BUDGETS_MS = 2000 + 1000 + 500;
const MARGIN_MS = 3000;
// Start-up of a Nest app in a fresh process, the budgets, the margin.
const TEST_TIMEOUT_MS = 10_000 + BUDGETS_MS + MARGIN_MS;

function start(env: Record<string, string> = {}): ChildRun {
  return startScript(FIXTURE, { NO_COLOR: '1', ...env });
}

/** The index of the first line containing `text`, failing clearly when there is none. */
function at(run: ChildRun, text: string): number {
  const index = run.lines.findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`no line with "${text}":\n${run.lines.join('\n')}`);
  return index;
}

/** How many lines contain `text`. */
function count(run: ChildRun, text: string): number {
  return run.lines.filter((line) => line.includes(text)).length;
}

/** The lines containing each text appear in this order. */
function expectOrder(run: ChildRun, texts: string[]): void {
  const order = texts.map((text) => at(run, text));
  expect([...order].sort((a, b) => a - b)).toEqual(order);
}

function report(run: ChildRun): ShutdownReport {
  return run.jsonAfter<ShutdownReport>('REPORT ');
}

describe('the Nest layer in a real process, off the happy path', () => {
  let run: ChildRun | undefined;
  const dirs: string[] = [];

  /** Starts the fixture (kept in `run` for afterEach) and sends it SIGTERM once it is ready. */
  async function terminateOnceReady(env: Record<string, string> = {}): Promise<ChildRun> {
    const started = start(env);
    run = started;
    await started.waitFor(/^READY$/);
    started.child.kill('SIGTERM');
    return started;
  }

  afterEach(async () => {
    await run?.close();
    run = undefined;
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it(
    'a standalone application context stops in order on SIGTERM and exits 0',
    async () => {
      run = await terminateOnceReady({ APP: 'context' });
      const { code, signal } = await run.exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expectOrder(run, [
        'Received SIGTERM',
        'TASK poll signalled',
        'TASK poll stopped',
        'HOOK store closed',
        'DESTROY Worker',
        'APP-SHUTDOWN Worker (app 1) SIGTERM',
        'EXIT 0',
      ]);
      expect(report(run)).toMatchObject({ reason: 'SIGTERM', outcome: 'clean', total: 1 });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'SIGTERM after bootstrap: the shutdown has begun when the signal listener returns (readiness down, no await first)',
    async () => {
      run = await terminateOnceReady({ APP: 'http', STATE_LISTENER: '1' });
      const { code } = await run.exited;

      expect(code).toBe(0);
      expect(run.lines).toContain('LISTENER state draining');
      expectOrder(run, [
        'Received SIGTERM',
        'Shutdown started (SIGTERM)',
        'LISTENER state draining',
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'SIGTERM during app.init(): the shutdown waits for bootstrap, then stops in order; exit 0',
    async () => {
      run = start({ APP: 'http', INIT: 'slow' });
      await run.waitFor(/^INIT waiting$/);
      run.child.kill('SIGTERM');
      await run.waitFor(/Received SIGTERM during bootstrap/);
      run.child.send('finish-init');
      const { code, signal } = await run.exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expectOrder(run, [
        'Received SIGTERM during bootstrap',
        'INIT done',
        'TASK poll started',
        'Shutdown started (SIGTERM)',
        'TASK poll stopped',
        'HOOK store closed',
        'DESTROY Worker',
        'EXIT 0',
      ]);
      expect(count(run, 'BOOTSTRAP FAILED')).toBe(0);
      expect(count(run, 'ShutdownInProgressError')).toBe(0);
      expect(report(run)).toMatchObject({ reason: 'SIGTERM', outcome: 'clean', total: 1 });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'two signals during app.init(): the shutdown starts at FORCEFUL once bootstrap is over',
    async () => {
      run = start({ APP: 'http', INIT: 'slow' });
      await run.waitFor(/^INIT waiting$/);
      run.child.kill('SIGTERM');
      await run.waitFor(/Received SIGTERM during bootstrap/);
      run.child.kill('SIGTERM');
      await run.waitFor(/Received SIGTERM again \(2\)/);
      run.child.send('finish-init');
      const { code, signal } = await run.exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expectOrder(run, [
        'INIT done',
        'TASK poll started',
        'EVENT phase forceful (start)',
        'TASK poll stopped',
        'HOOK store closed',
        'EXIT 0',
      ]);
      expect(report(run)).toMatchObject({ outcome: 'forced', phaseReached: 'forceful' });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'SIGTERM during app.init(), then bootstrap fails: the process still exits, with 1, saying why',
    async () => {
      run = start({ APP: 'http', INIT: 'fail' });
      await run.waitFor(/^INIT waiting$/);
      run.child.kill('SIGTERM');
      await run.waitFor(/Received SIGTERM during bootstrap/);
      const sentAt = performance.now();
      run.child.send('finish-init');
      const { code, signal, at: exitedAt } = await run.exited;

      expect({ code, signal }).toEqual({ code: 1, signal: null });
      expect(exitedAt - sentAt).toBeLessThan(BUDGETS_MS + MARGIN_MS);
      expectOrder(run, [
        'Received SIGTERM during bootstrap',
        'Bootstrap failed after SIGTERM: Error: init failed on purpose; shutting down what it started',
        'HOOK store closed',
        'DESTROY Worker',
        'Shutdown (SIGTERM) clean',
      ]);
      // The application's own main() saw listen() reject; the shutdown was clean, the exit 1.
      expect(count(run, 'BOOTSTRAP FAILED init failed on purpose')).toBe(1);
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'SIGTERM during an app.init() that never ends: the watchdog exits 1 at the budgets, saying so',
    async () => {
      const phases = { gracefulMs: 300, forcefulMs: 100, terminateMs: 100 };
      run = start({ APP: 'http', INIT: 'slow', OPTIONS: JSON.stringify({ phases }) });
      await run.waitFor(/^INIT waiting$/);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      const { code, signal, at: exitedAt } = await run.exited;

      expect({ code, signal }).toEqual({ code: 1, signal: null });
      expect(exitedAt - sentAt).toBeLessThan(500 + CLOSE_ALLOWANCE_MS + MARGIN_MS);
      expectOrder(run, [
        'Received SIGTERM during bootstrap',
        'Bootstrap has not finished 5500 ms after the first signal; exiting without the phased shutdown',
      ]);
      expect(count(run, 'INIT done')).toBe(0);
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS + CLOSE_ALLOWANCE_MS,
  );

  it(
    'a logger that throws once a hook closed its stream: the shutdown ends, exit code and reportFile say how',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'nest-faults-'));
      dirs.push(dir);
      const reportFile = join(dir, 'report.json');
      run = await terminateOnceReady({
        LOGGER: 'closing',
        OPTIONS: JSON.stringify({ reportFile }),
      });
      await run.waitFor(/^STREAM closed$/);
      // Every line the module logs from now on throws: the second signal's, the phase's, the
      // summary's.
      run.child.kill('SIGTERM');
      await run.waitFor(/^EVENT phase forceful \(escalate\)$/);
      run.child.send('release');
      const { code, signal } = await run.exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const stored = JSON.parse(await readFile(reportFile, 'utf8')) as ShutdownReport;
      expect(stored).toMatchObject({ reason: 'SIGTERM', outcome: 'forced', finished: true });
      expect(stored.hooks).toMatchObject([{ name: 'store', outcome: 'ok' }]);
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'escalate() from a forced cleanup and from a hook in TERMINATE: no unhandled rejection, no hook after the end',
    async () => {
      const phases = { gracefulMs: 300, forcefulMs: 5000, terminateMs: 5000 };
      run = start({ ESCALATE: '1', OPTIONS: JSON.stringify({ phases }) });
      await run.waitFor(/^READY$/);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      const { code, signal, at: exitedAt } = await run.exited;

      // The escalations cut FORCEFUL and TERMINATE short: nowhere near their 10 s.
      expect(exitedAt - sentAt).toBeLessThan(phases.gracefulMs + MARGIN_MS);
      expect({ code, signal }).toEqual({ code: 1, signal: null });
      expectOrder(run, [
        'EVENT phase forceful (budget)',
        'CLEANUP stubborn (forced: true, phase forceful)',
        'ESCALATE from a forced cleanup (phase forceful)',
        'EVENT phase terminate (escalate)',
        'ESCALATE from a hook (phase terminate)',
        'EXIT 1',
      ]);
      const final = report(run);
      expect(final.phases.map((p) => [p.phase, p.endedBy])).toEqual([
        ['graceful', 'budget'],
        ['forceful', 'escalate'],
        ['terminate', 'escalate'],
      ]);
      // Both hooks started before the end (in TERMINATE, all at once) and are in the report.
      expect(final.hooks.map((h) => h.name).sort()).toEqual(['flush', 'store']);
      expect(count(run, 'HOOK store started')).toBe(1);
      expect(at(run, 'HOOK store started')).toBeLessThan(at(run, 'Shutdown (SIGTERM) terminated'));
      expect(final.tasks.find((t) => t.name === 'Escalations.stubborn')?.state).toBe('abandoned');
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'app.close() hanging past the budgets: the watchdog exits 1, after logging and writing the report',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'nest-faults-'));
      dirs.push(dir);
      const reportFile = join(dir, 'report.json');
      const phases = { gracefulMs: 300, forcefulMs: 100, terminateMs: 100 };
      run = start({ DESTROY: 'hang', OPTIONS: JSON.stringify({ phases, reportFile }) });
      await run.waitFor(/^READY$/);
      const sentAt = performance.now();
      run.child.kill('SIGTERM');
      const { code, signal, at: exitedAt } = await run.exited;

      expect({ code, signal }).toEqual({ code: 1, signal: null });
      // The budgets and the 5 s allowed to app.close(), then at once.
      expect(exitedAt - sentAt).toBeGreaterThanOrEqual(500 + CLOSE_ALLOWANCE_MS - 50);
      expect(exitedAt - sentAt).toBeLessThan(500 + CLOSE_ALLOWANCE_MS + MARGIN_MS);
      expectOrder(run, [
        'DESTROY Worker',
        'app.close() has not finished 5500 ms after the first signal; exiting',
        'Shutdown (SIGTERM) clean',
        'EXIT 1',
      ]);
      const stored = JSON.parse(await readFile(reportFile, 'utf8')) as ShutdownReport;
      expect(stored).toMatchObject({ reason: 'SIGTERM', outcome: 'clean', finished: true });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS + CLOSE_ALLOWANCE_MS,
  );

  it(
    'a signal after the app closed, while something still holds the process: exits at once with the shutdown code',
    async () => {
      run = await terminateOnceReady({ LINGER: '1', EXIT_GRACE_MS: '60000' });
      await run.waitFor(/Application closed after SIGTERM: exit code 0$/);
      run.child.kill('SIGTERM');
      const { code, signal } = await run.exited;

      // Not killed by the signal (143), not held for the 60 s exit grace.
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expectOrder(run, [
        'Application closed after SIGTERM: exit code 0',
        'Received SIGTERM after the application closed: exiting now with code 0',
        'EXIT 0',
      ]);
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a plain close() after enableLifecycleShutdown removes its listeners; the next app is unaffected',
    async () => {
      run = start({ FIRST_APP: '1' });
      await run.waitFor(/^READY$/);
      const before = /^LISTENERS before (.*)$/.exec(run.lines[at(run, 'LISTENERS before')])?.[1];
      const closed = /^LISTENERS closed (.*)$/.exec(run.lines[at(run, 'LISTENERS closed')])?.[1];
      expect(closed).toBe(before);
      run.child.kill('SIGTERM');
      const { code, signal } = await run.exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      // The first app closed once, with its own close(); the signal stopped only the second.
      expect(count(run, 'DESTROY Worker (app 1)')).toBe(1);
      expect(count(run, 'APP-SHUTDOWN Worker (app 1)')).toBe(1);
      expect(count(run, 'DESTROY Worker (app 2)')).toBe(1);
      expect(count(run, 'Shutdown started (SIGTERM)')).toBe(1);
      expect(report(run)).toMatchObject({ reason: 'SIGTERM', outcome: 'clean' });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it.each([['before'], ['after']])(
    "Nest's enableShutdownHooks() called %s enableLifecycleShutdown: exit 0, nothing twice, said once",
    async (order) => {
      run = await terminateOnceReady({ NEST_HOOKS: order });
      const { code, signal } = await run.exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(count(run, 'DESTROY Worker')).toBe(1);
      expect(count(run, 'APP-SHUTDOWN Worker')).toBe(1);
      expect(count(run, 'Shutdown started')).toBe(1);
      expect(count(run, 'app.enableShutdownHooks()')).toBe(1);
      expect(report(run)).toMatchObject({ reason: 'SIGTERM', outcome: 'clean' });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'budgets whose sum passes a timer range fail bootstrap, naming them',
    async () => {
      const phases = { gracefulMs: MAX_TIMER_MS, forcefulMs: 1000, terminateMs: 1000 };
      run = start({ OPTIONS: JSON.stringify({ phases }) });
      const { code } = await run.exited;

      // Nest's own bootstrap error handling: the error logged, exit 1.
      expect(code).toBe(1);
      const line = run.lines[at(run, 'InvalidLifecycleOptionError')];
      expect(line).toContain('Invalid option phases');
      expect(line).toContain(`is at most ${MAX_TIMER_MS} ms`);
      expect(count(run, 'READY')).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'budgets that sum to a timer range: SIGTERM waits for the work in flight (the watchdog is bounded)',
    async () => {
      const phases = { gracefulMs: MAX_TIMER_MS - 2, forcefulMs: 1, terminateMs: 1 };
      run = await terminateOnceReady({ STOP: 'held', OPTIONS: JSON.stringify({ phases }) });
      await run.waitFor(/^TASK poll signalled/);
      // Still alive mid-work: the task is held until this message, whatever the watchdog says.
      run.child.send('release');
      const { code, signal } = await run.exited;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expectOrder(run, ['TASK poll signalled', 'TASK poll stopped', 'HOOK store closed', 'EXIT 0']);
      expect(report(run)).toMatchObject({ outcome: 'clean' });
      expect(run.errorOutput).toBe('');
    },
    TEST_TIMEOUT_MS,
  );
});
