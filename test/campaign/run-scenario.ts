import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScript, type ChildRun } from '../support/child-process.js';
import { nextLine } from './child-lines.js';
import { createClient, type CampaignClient, type ClientOutcome } from './campaign-clients.js';
import { checkInvariants, type RunResult } from './campaign-invariants.js';
import type { Scenario, SignalMoment } from './scenario.js';
import { CAMPAIGN_BUDGETS_MS } from './scenario.js';

/** The compiled fixture (`npm run build`). */
export const CAMPAIGN_FIXTURE = 'test/process/fixtures/fault-campaign-app.js';

/** Longest a run may take, start-up of a Nest app on a busy machine included. */
export const RUN_TIMEOUT_MS = 20_000 + CAMPAIGN_BUDGETS_MS;

/** What the runs share: the TLS certificate (made once per campaign). */
export interface CampaignContext {
  tls: { keyPath: string; certPath: string; cert: Buffer };
  /** Known findings fail the run too. */
  strict?: boolean;
}

/** The line of the child that marks each signal moment. */
const MOMENT_LINE: Record<SignalMoment, RegExp> = {
  'during-bootstrap': /^INIT waiting$/,
  ready: /^READY \d+$/,
  draining: /^EVENT state draining$/,
  graceful: /^EVENT phase graceful/,
  forceful: /^EVENT phase forceful/,
};

/** Resolves with `value` when `promise` does not settle within `ms` (the timer is released). */
async function within<T>(promise: Promise<T>, ms: number, value: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<T>((resolve) => (timer = setTimeout(() => resolve(value), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one scenario against a fresh child process and returns the violated invariants (empty:
 * the run held every promise) with a transcript for the report.
 */
export async function runScenario(
  scenario: Scenario,
  context: CampaignContext,
): Promise<{ violations: string[]; known: string[]; transcript: string; result: RunResult }> {
  const dir = await mkdtemp(join(tmpdir(), 'fault-campaign-'));
  const reportPath =
    scenario.app.reportFile === 'unwritable'
      ? join(context.tls.certPath, 'report.json') // under a regular file: ENOTDIR
      : join(dir, 'report.json');
  const bootstrapSignal = scenario.signals[0] === 'during-bootstrap';
  const run: ChildRun = startScript(CAMPAIGN_FIXTURE, {
    NO_COLOR: '1',
    SCENARIO: JSON.stringify(scenario.app),
    TLS_KEY: context.tls.keyPath,
    TLS_CERT: context.tls.certPath,
    REPORT_FILE: reportPath,
    ...(bootstrapSignal ? { WAIT_SIGNAL_IN_INIT: '1' } : {}),
  });
  const clients: CampaignClient[] = [];
  const exited = run.exited.then(() => undefined);
  // 'close' comes after the child's stdout ended: its last lines (REPORT, EXIT) are read by then.
  const closed = new Promise<void>((resolve) => run.child.once('close', () => resolve()));
  let firstSignalAt: number | undefined;
  let signalsSent = 0;
  const sendSignal = (): void => {
    if (run.child.exitCode !== null || run.child.signalCode !== null) return;
    firstSignalAt ??= performance.now();
    signalsSent++;
    run.child.kill('SIGTERM');
  };
  const line = (pattern: RegExp): Promise<boolean> => nextLine(run, pattern);
  try {
    if (bootstrapSignal) {
      if (await line(MOMENT_LINE['during-bootstrap'])) sendSignal();
    }
    const ready = await line(/^READY \d+$/);
    if (ready) {
      const port = Number(run.lines.find((l) => l.startsWith('READY '))?.slice(6));
      const target = { port, ca: scenario.app.tls ? context.tls.cert : undefined };
      const accepted = (id: string): Promise<void> =>
        line(new RegExp(`^ACCEPTED ${id}$`)).then(() => undefined);
      scenario.clients.forEach((spec, index) =>
        clients.push(createClient(target, spec, `c${index}`, accepted)),
      );
      // Every client has its first part in the server's hands (or ended) before the signal.
      await Promise.all(
        clients.map((client) => Promise.race([client.begin(), client.done, exited])),
      );
      if (!bootstrapSignal) sendSignal();
      // The late parts: once the shutdown reached a phase (the drain is over).
      void line(/^EVENT phase /).then((reached) => {
        if (reached) for (const client of clients) client.late();
      });
      // Repeated signals, each at its moment, in order.
      for (const moment of scenario.signals.slice(1)) {
        if (await line(MOMENT_LINE[moment])) sendSignal();
      }
    }
    const exit = await within(
      run.exited,
      RUN_TIMEOUT_MS,
      undefined as Awaited<ChildRun['exited']> | undefined,
    );
    await within(closed, 2000, undefined);
    // Once the child is gone every connection ends; a client still open is a finding, not a hang.
    const outcomes = await within(
      Promise.all(clients.map((client) => client.done)),
      2000,
      undefined as ClientOutcome[] | undefined,
    );
    const reportFileText =
      scenario.app.reportFile === 'ok'
        ? await readFile(reportPath, 'utf8').catch(() => undefined)
        : undefined;
    const result: RunResult = {
      exit,
      lines: run.lines,
      stderr: run.errorOutput,
      firstSignalAt,
      signalsSent,
      outcomes,
      clientsAfterShutdownBegan: bootstrapSignal,
      reportFileText,
    };
    const transcript = [
      `scenario: ${JSON.stringify(scenario)}`,
      `exit: ${JSON.stringify(exit)} after ${exit && firstSignalAt ? Math.round(exit.at - firstSignalAt) : '-'} ms, ${signalsSent} signal(s)`,
      `clients: ${JSON.stringify(outcomes)}`,
      '--- child stdout ---',
      ...run.lines.filter((l) => !l.startsWith('REPORT ')),
      '--- child stderr ---',
      run.errorOutput,
    ].join('\n');
    const { violations, known } = checkInvariants(scenario, result, { strict: context.strict });
    return { violations, known, transcript, result };
  } finally {
    for (const client of clients) client.destroy();
    await run.close();
    await rm(dir, { recursive: true, force: true });
  }
}
