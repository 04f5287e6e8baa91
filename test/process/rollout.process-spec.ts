import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runRollout } from '../../bench/rollout/rollout-run.js';
import type { RolloutResult } from '../../bench/rollout/rollout-result.interface.js';

// Small budgets, so that a shutdown that waits for nothing in particular is quick to see.
const DRAIN_DELAY_MS = 500;
const PHASES = { gracefulMs: 2000, forcefulMs: 500, terminateMs: 300 };
// Generous: the bound that matters is "exits within the budgets, does not hang".
const MARGIN_MS = 2500;
const EXIT_BOUND_MS =
  DRAIN_DELAY_MS + PHASES.gracefulMs + PHASES.forcefulMs + PHASES.terminateMs + MARGIN_MS;
// Timers may fire a millisecond early; the refusal is seen by another process.
const TIMER_SLACK_MS = 20;

const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((sum, n) => sum + n, 0);

describe.each(['express', 'fastify'] as const)(
  'a rolling update under keep-alive load, lifecycle mode, %s',
  (adapter) => {
    let abort: AbortController;
    let pending: Promise<RolloutResult> | undefined;

    beforeEach(() => {
      abort = new AbortController();
    });

    // runRollout stops its load and kills its child when it ends; aborting makes it end now.
    afterEach(async () => {
      abort.abort();
      await pending?.catch(() => undefined);
      pending = undefined;
    });

    it('loses no accepted request, refuses the rest cleanly, and exits 0 within the budgets', async () => {
      pending = runRollout(
        {
          adapter,
          mode: 'lifecycle',
          lifecycleOptions: { drainDelayMs: DRAIN_DELAY_MS, phases: PHASES },
          connections: 20,
          loadBeforeSignalMs: 1000,
          loadAfterExitMs: 300,
          holdLimitMs: EXIT_BOUND_MS + 500,
          exitAfterStopMs: 3000,
        },
        abort.signal,
      );
      const result = await pending;
      const { ledger, client } = result;

      // One comparison, so that a failure shows every fact at once.
      expect({
        // The scenario happened: requests were served, then the port was found closed.
        served: (ledger?.accepted ?? 0) > 0,
        // Every request the server accepted got a complete response, and the client got it.
        lost: result.lost,
        aborted: ledger?.aborted,
        responsesReceived: total(client.responses),
        // Every failure the client saw is a clean refusal: nothing reset or dropped unanswered.
        refusedCodes: Object.keys(client.refused),
        unanswered: client.unanswered,
        timeouts: client.timeouts,
        status503WithoutClose: client.status503WithoutClose,
        // Still serving during the drain delay; closed after it.
        firstRefusalAfterSignalMs: result.firstRefusalAfterSignalMs,
        servedThroughDrainDelay:
          (result.firstRefusalAfterSignalMs ?? Infinity) >= DRAIN_DELAY_MS - TIMER_SLACK_MS,
        // Exited on its own, cleanly, within the budgets.
        heldOpen: result.heldOpen,
        exitCode: result.exitCode,
        exitSignal: result.exitSignal,
        signalToExitMs: result.signalToExitMs,
        exitedWithinBudgets: result.signalToExitMs < EXIT_BOUND_MS,
        errorOutput: result.errorOutput,
      }).toEqual({
        served: true,
        lost: 0,
        aborted: 0,
        responsesReceived: ledger?.finished,
        refusedCodes: ['ECONNREFUSED'],
        unanswered: {},
        timeouts: 0,
        status503WithoutClose: 0,
        firstRefusalAfterSignalMs: expect.any(Number),
        servedThroughDrainDelay: true,
        heldOpen: false,
        exitCode: 0,
        exitSignal: null,
        signalToExitMs: expect.any(Number),
        exitedWithinBudgets: true,
        errorOutput: '',
      });
    }, 30_000);
  },
);
