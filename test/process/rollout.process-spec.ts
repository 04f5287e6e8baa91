import { afterEach, describe, expect, it } from '@jest/globals';
import { ROWS, SETUPS } from '../../bench/rollout/rollout-matrix.js';
import type { RolloutRun } from '../../bench/rollout/rollout-run.interface.js';
import { DEFAULT_TIMING, runRollingRestart } from '../../bench/rollout/rolling-restart.js';

// Shorter than the bench's warm-up and settle: the restarts are what is tested.
const TIMING = { ...DEFAULT_TIMING, warmupMs: 500, settleMs: 200 };

// The reduced configuration of `npm run rollout`: HAProxy whose checks notice an instance later
// than a fixed drain would close it (2–3 s), no retries, and this module with the measured drain.
// Needs haproxy and wrk (Debian packages; .ci/run installs them).
const SETUP = SETUPS.find((s) => s.id === 'haproxy slow checks, no retries');
const measured = (adapter: string) =>
  ROWS.find((r) => r.mode === 'lifecycle' && r.adapter === adapter && r.id.includes('drain:'));

describe.each(['express', 'fastify'] as const)(
  'a rolling restart behind HAProxy (checks slower than a fixed drain, no retries), %s',
  (adapter) => {
    const abort = new AbortController();
    let pending: Promise<RolloutRun> | undefined;

    // runRollingRestart stops its proxy, load and instances when it ends; aborting ends it now.
    afterEach(async () => {
      abort.abort();
      await pending?.catch(() => undefined);
    });

    it('loses no request, exits 0 and routes to each replacement', async () => {
      const row = measured(adapter);
      if (SETUP === undefined || row === undefined) throw new Error('rollout matrix changed');
      pending = runRollingRestart(SETUP, row, TIMING, { signal: abort.signal });
      const run = await pending;

      // One comparison, so that a failure shows every fact at once.
      expect({
        error: run.error,
        served: (run.load?.requests ?? 0) > 100,
        failed: run.failed,
        proxyFailures: run.proxy?.causes,
        restarts: run.restarts.map((r) => ({
          exit: r.exit,
          lost: r.ledger === undefined ? undefined : r.ledger.accepted - r.ledger.finished,
          // The proxy stopped sending before intake closed: the drain ended by itself.
          drainEndedBy: (r.report as { drain?: { endedBy?: string } } | undefined)?.drain?.endedBy,
          routed: r.unusedMs !== undefined,
          errorOutput: r.errorOutput,
        })),
      }).toEqual({
        error: undefined,
        served: true,
        failed: 0,
        proxyFailures: { refused: 0, reset: 0, noServer: 0, timeout: 0, app503: 0, other: 0 },
        restarts: Array.from({ length: 2 }, () => ({
          exit: '0',
          lost: 0,
          drainEndedBy: 'quiet',
          routed: true,
          errorOutput: '',
        })),
      });
    }, 60_000); // ~20 s on an idle machine; generous for a loaded one
  },
);
