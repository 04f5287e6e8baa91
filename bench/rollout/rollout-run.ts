import { setTimeout as sleep } from 'node:timers/promises';
import { startScript, type ChildRun } from '../../test/support/child-process.js';
import { ClientTracker } from './client-tracker.js';
import { startMixedLoad, type MixedLoad } from './mixed-load.js';
import type { RolloutOptions } from './rollout-options.interface.js';
import type { RolloutResult, ServerLedger } from './rollout-result.interface.js';

/** The compiled sample app (`npm run build`). */
export const ROLLOUT_SAMPLE = 'sample/03-zero-downtime/main.js';

/** Resolves `true` when `promise` settles within `ms`, `false` otherwise; leaves no timer. */
async function within(
  promise: Promise<unknown>,
  ms: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const expiry = new AbortController();
  const expired = sleep(ms, false, { signal: expiry.signal }).catch(() => false);
  try {
    const settled = Promise.race([promise.then(() => true), expired]);
    return await (signal === undefined ? settled : raceAbort(settled, signal));
  } finally {
    expiry.abort();
  }
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** The last `LEDGER` line (printed when the server closed and again at exit). */
function lastLedger(run: ChildRun): ServerLedger | undefined {
  const line = run.lines.findLast((l) => l.startsWith('LEDGER '));
  return line === undefined
    ? undefined
    : (JSON.parse(line.slice('LEDGER '.length)) as ServerLedger);
}

/**
 * One rolling update, for real: forks the compiled sample app (`ADAPTER`, `MODE`), puts it under
 * keep-alive load (autocannon, a 50/50 mix of `/fast` and 300 ms `/slow`), sends SIGTERM after
 * `loadBeforeSignalMs`, keeps the load on until `loadAfterExitMs` after the process exited (so
 * that it meets the closed port) — or stops it at `holdLimitMs` if the process is still up —
 * and returns the server's ledger, the client's view and how the process ended. Whatever
 * happens, and as soon as `signal` aborts, the load is stopped and the child killed.
 *
 * @example
 * const result = await runRollout({ adapter: 'express', mode: 'plain' });
 * console.log(result.lost, result.client.unanswered, result.signalToExitMs);
 */
export async function runRollout(
  options: RolloutOptions,
  signal?: AbortSignal,
): Promise<RolloutResult> {
  const {
    adapter,
    mode,
    connections = 20,
    loadBeforeSignalMs = 1_000,
    loadAfterExitMs = 500,
    holdLimitMs = 10_000,
    exitAfterStopMs = 5_000,
  } = options;
  signal?.throwIfAborted();
  const run = startScript(ROLLOUT_SAMPLE, {
    ADAPTER: adapter,
    MODE: mode,
    PORT: '0',
    NO_COLOR: '1',
    LIFECYCLE_OPTIONS: JSON.stringify(options.lifecycleOptions ?? {}),
  });
  const tracker = new ClientTracker();
  let load: MixedLoad | undefined;
  const abandon = (): void => {
    void run.close();
    load?.stop().catch(() => undefined);
  };
  signal?.addEventListener('abort', abandon, { once: true });
  const step = <T>(promise: Promise<T>): Promise<T> =>
    signal === undefined ? promise : raceAbort(promise, signal);
  try {
    const ready = await step(
      Promise.race([
        run.waitFor(/^READY /, 20_000),
        run.exited.then(({ code, signal: killedBy }) => {
          throw new Error(
            `${ROLLOUT_SAMPLE} exited (${code ?? killedBy}) before READY:\n${run.errorOutput}`,
          );
        }),
      ]),
    );
    const url = /^READY (\S+)/.exec(ready)?.[1] ?? '';
    load = startMixedLoad(url, tracker, connections);
    await sleep(loadBeforeSignalMs, undefined, { signal });

    const signalledAt = performance.now();
    run.child.kill('SIGTERM');
    const exitedInTime = await within(run.exited, holdLimitMs, signal);
    if (exitedInTime) await sleep(loadAfterExitMs, undefined, { signal });
    const totals = await step(load.stop());
    await within(tracker.allClosed(), 2_000, signal);
    let killed = false;
    if (!exitedInTime && !(await within(run.exited, exitAfterStopMs, signal))) {
      killed = true;
      await run.close();
    }
    const exit = await run.exited;
    const ledger = lastLedger(run);
    const { lastOkAt, firstRefusalAt, ...client } = tracker.tally();
    const since = (at: number | undefined): number | undefined =>
      at === undefined ? undefined : Math.round(at - signalledAt);
    return {
      adapter,
      mode,
      ledger,
      lost: ledger === undefined ? undefined : ledger.accepted - ledger.finished,
      client,
      autocannon: {
        sent: totals.requests.sent,
        completed: totals.requests.total,
        errors: totals.errors,
        timeouts: totals.timeouts,
        non2xx: totals.non2xx,
        resets: totals.resets,
      },
      lastOkAfterSignalMs: since(lastOkAt),
      firstRefusalAfterSignalMs: since(firstRefusalAt),
      signalToExitMs: Math.round(exit.at - signalledAt),
      exitCode: exit.code,
      exitSignal: exit.signal,
      heldOpen: !exitedInTime,
      killed,
      errorOutput: run.errorOutput,
    };
  } finally {
    signal?.removeEventListener('abort', abandon);
    await load?.stop().catch(() => undefined);
    await run.close();
  }
}
