import { describe, expect, it } from '@jest/globals';
import { checkInvariants, type RunResult } from '../../campaign/campaign-invariants.js';
import { CAMPAIGN_BUDGETS_MS, type Scenario } from '../../campaign/scenario.js';

/*
 * The campaign's oracle can fail: each invariant, given a run that breaks it, says so. (A
 * campaign whose checks never fire would pass whatever the library did.)
 */

const scenario: Scenario = {
  app: {
    tls: false,
    drainMs: 0,
    tasks: [{ behaviour: 'throws', priority: 2, stop: 'abort', cleanup: 'ok', hostile: 'proxy' }],
    hooks: [{ behaviour: 'ok', priority: 0, hostile: 'string' }],
    logger: 'ok',
    reportFile: 'none',
    websocket: false,
  },
  signals: ['ready'],
  clients: [{ kind: 'keep-alive', workMs: 10 }],
};

function report(overrides: Record<string, unknown> = {}): string {
  return `REPORT ${JSON.stringify({
    finished: true,
    outcome: 'clean',
    phaseReached: 'graceful',
    startedAt: 'x',
    lingering: {},
    tasks: [
      { name: 't0', state: 'failed', error: '[unprintable value]', cleanup: { outcome: 'ok' } },
    ],
    hooks: [{ name: 'h0', outcome: 'ok' }],
    intakes: { http: { destroyed: 0, reset: 0 } },
    ...overrides,
  })}`;
}

function result(overrides: Partial<RunResult> = {}): RunResult {
  return {
    exit: { code: 0, signal: null, at: 1000 },
    firstSignalAt: 500,
    signalsSent: 1,
    stderr: '',
    lines: ['ACCEPTED c0-0', 'CLEANUP t0', 'HOOK h0', report(), 'EXIT 0 natural'],
    outcomes: [
      {
        kind: 'keep-alive',
        requestIds: ['c0-0'],
        responses: [{ status: 200, body: 'done c0-0' }],
        partialBytes: 0,
        ended: 'end',
        sentBeforeSignal: true,
      },
    ],
    clientsAfterShutdownBegan: false,
    reportFileText: undefined,
    ...overrides,
  };
}

function violations(overrides: Partial<RunResult>): string[] {
  return checkInvariants(scenario, result(overrides)).violations;
}

describe('the fault campaign invariants', () => {
  it('a run that keeps every promise has no violation', () => {
    expect(checkInvariants(scenario, result())).toEqual({ violations: [], known: [] });
  });

  it('fail a run that exits by a signal, late, or held by something', () => {
    expect(violations({ exit: { code: null, signal: 'SIGTERM', at: 1000 } })).toEqual(
      expect.arrayContaining([expect.stringContaining('not a documented exit')]),
    );
    expect(
      violations({ exit: { code: 0, signal: null, at: 500 + CAMPAIGN_BUDGETS_MS + 1001 } }),
    ).toEqual([expect.stringContaining('after the first signal')]);
    const held = result().lines.map((l) => (l === 'EXIT 0 natural' ? 'EXIT 0 forced' : l));
    expect(violations({ lines: held })).toEqual([expect.stringContaining('held the process')]);
  });

  it('fail an exit code the report does not give, an unhandled rejection, a lingering handle', () => {
    expect(violations({ exit: { code: 1, signal: null, at: 1000 } })).toEqual([
      'exit code 1, documented 0',
    ]);
    expect(violations({ stderr: 'Unhandled promise rejection' })).toEqual([
      expect.stringContaining('stderr is not empty'),
    ]);
    const lines = result().lines.map((l) =>
      l.startsWith('REPORT ') ? report({ lingering: { TCPSocketWrap: 1 } }) : l,
    );
    expect(violations({ lines })).toEqual(['lingering: {"TCPSocketWrap":1}']);
  });

  it('report a listener or a timer still closing at the audit as a known finding, unless it held the process', () => {
    const closing = (exitLine: string) =>
      result().lines.map((l) =>
        l.startsWith('REPORT ')
          ? report({ lingering: { TCPServerWrap: 1 } })
          : l === 'EXIT 0 natural'
            ? exitLine
            : l,
      );
    expect(checkInvariants(scenario, result({ lines: closing('EXIT 0 natural') }))).toEqual({
      violations: [],
      known: ['known finding: lingering: {"TCPServerWrap":1}'],
    });
    expect(violations({ lines: closing('EXIT 0 forced') })).toEqual(
      expect.arrayContaining(['lingering: {"TCPServerWrap":1}']),
    );
  });

  it('fail a cleanup run twice, a hook never run, a faulty task the report calls fine', () => {
    const lines = [
      'ACCEPTED c0-0',
      'CLEANUP t0',
      'CLEANUP t0',
      report({
        tasks: [{ name: 't0', state: 'cancelled', cleanup: { outcome: 'ok' } }],
      }),
      'EXIT 0 natural',
    ];
    expect(violations({ lines })).toEqual([
      'task t0 threw, but the report says cancelled',
      'the cleanup of t0 ran 2 times',
      'hook h0 ran 0 times',
    ]);
  });

  it('fail an accepted request left without a complete response while in GRACEFUL', () => {
    const outcome = { ...result().outcomes![0], responses: [], partialBytes: 12 };
    expect(violations({ outcomes: [outcome] })).toEqual([
      'client c0 (keep-alive): a response cut after 12 bytes',
      '1 request(s) lost on 1 connection(s) (the shutdown never left GRACEFUL):',
      expect.stringContaining('request c0-0 was accepted but got no complete response'),
    ]);
  });
});
