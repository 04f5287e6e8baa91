import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deferred } from '../../test/support/deferred.js';
import { machineInfo } from '../harness/machine-info.js';
import { AppInstance } from './app-instance.js';
import { freePort } from './free-port.js';
import { HaproxyBalancer } from './haproxy-balancer.js';
import type { LoadBalancer, ProxyLogSummary } from './load-balancer.interface.js';
import { NginxBalancer } from './nginx-balancer.js';
import type { ProxySetup, RolloutRow } from './rollout-matrix.js';
import type { RestartRecord, RolloutRun } from './rollout-run.interface.js';
import { WrkLoad, type WrkResult } from './wrk-load.js';

/** The shape of the load and the patience of the "orchestrator". */
export interface RolloutTiming {
  /** wrk's keep-alive connections. */
  readonly connections: number;
  /** Load on both instances before the first SIGTERM. */
  readonly warmupMs: number;
  /** An old instance still running this long after SIGTERM is SIGKILLed (a grace period). */
  readonly holdLimitMs: number;
  /** A replacement not routed to this long after it is ready counts as never routed. */
  readonly routedWithinMs: number;
  /** Load after the last replacement is routed to, before the load stops. */
  readonly settleMs: number;
}

export const DEFAULT_TIMING: RolloutTiming = {
  connections: 24,
  warmupMs: 1_000,
  holdLimitMs: 10_000,
  routedWithinMs: 15_000,
  settleMs: 500,
};

/** The run's tags: CPU × cores and Node version. */
const where = (): { machine: string; node: string } => {
  const { cpuModel, cpuCount, node } = machineInfo();
  return { machine: `${cpuModel} × ${cpuCount}`, node };
};

const failedOf = (load: WrkResult): number => {
  const non2xx = Object.entries(load.statuses)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((n, [, count]) => n + count, 0);
  const { connect, read, write, timeout } = load.errors;
  return non2xx + connect + read + write + timeout;
};

/** Resolves `true` if `promise` settles within `ms`; leaves no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One rolling restart, for real: two instances of the sample app for `row` behind the proxy of
 * `setup`, wrk's keep-alive load through the proxy, then for each instance in turn: SIGTERM and
 * its replacement started at once on a new port handed to HAProxy's runtime API, or — behind
 * nginx — the replacement booted first, waiting for the port, then SIGTERM, until the old one exited (or was killed at the hold limit) and the
 * proxy routed a request to the replacement. Everything it started is stopped when it returns,
 * throws, or `signal` aborts.
 *
 * @example
 * const run = await runRollingRestart(SETUPS[0], ROWS[0]);
 * console.log(run.failed, run.proxy?.causes);
 */
export async function runRollingRestart(
  setup: ProxySetup,
  row: RolloutRow,
  timing: RolloutTiming = DEFAULT_TIMING,
  { signal, keepLogs = false }: { signal?: AbortSignal; keepLogs?: boolean } = {},
): Promise<RolloutRun> {
  const started = Date.now();
  const loadAverage = Math.round(loadavg()[0] * 10) / 10;
  const dir = await mkdtemp(path.join(tmpdir(), 'rollout-'));
  const instances = new Set<AppInstance>();
  let balancer: LoadBalancer | undefined;
  let load: WrkLoad | undefined;
  let wrk: WrkResult | undefined;
  let proxy: ProxyLogSummary | undefined;
  const restarts: RestartRecord[] = [];
  const signalledAts: number[] = [];
  const track = (instance: AppInstance): AppInstance => (instances.add(instance), instance);
  try {
    const ports = [await freePort(), await freePort()];
    const current = await Promise.all(
      ports.map(async (port) => track(await AppInstance.start(row, { port }))),
    );
    balancer =
      setup.proxy === 'haproxy'
        ? await HaproxyBalancer.start(setup, dir, ports)
        : await NginxBalancer.start(setup, dir, ports);
    const lb = balancer;
    load = await WrkLoad.start(lb.url, dir, timing.connections, 300);
    await Promise.all(current.map((instance) => instance.routed(10_000)));
    await sleep(timing.warmupMs, undefined, { signal });

    for (let slot = 0; slot < current.length; slot++) {
      signal?.throwIfAborted();
      const old = current[slot];
      // Same port: the replacement boots first and waits for the port, as a same-host deploy
      // must — otherwise the port has no listener for as long as the boot outlasts the old
      // instance (seconds on a loaded machine: lost under `proxy_next_upstream off`), which no
      // shutdown can help. A new port: it boots while the old instance drains.
      const booted = deferred();
      const replacing = AppInstance.start(
        row,
        lb.samePort
          ? {
              port: old.port,
              listenRetryMs: timing.holdLimitMs + 35_000,
              // Its boot, then the old instance's whole shutdown.
              readyWithinMs: 60_000,
              onWaiting: () => booted.resolve(),
            }
          : { port: 0 },
      ).then(track);
      if (lb.samePort) await Promise.race([booted.promise, replacing]);
      const signalledAt = Date.now();
      old.signal('SIGTERM');
      const exiting = (async () => {
        const exitedInTime = await within(old.exited, timing.holdLimitMs);
        if (!exitedInTime) await old.close();
        const exit = await old.exited;
        await lb.remove(old.port);
        return { exitedInTime, exit };
      })();
      const routing = (async () => {
        const replacement = await replacing;
        await lb.add(replacement.port);
        const routedAt = await replacement.routed(timing.routedWithinMs).catch(() => undefined);
        return { replacement, routedAt };
      })();
      const [{ exitedInTime, exit }, { replacement, routedAt }] = await Promise.all([
        exiting,
        routing,
      ]);
      current[slot] = replacement;
      signalledAts.push(signalledAt);
      restarts.push({
        oldPort: old.port,
        newPort: replacement.port,
        exitMs: exitedInTime ? exit.at - signalledAt : undefined,
        exit: exitedInTime ? String(exit.code ?? exit.signal) : 'SIGKILL',
        replacementReadyMs: replacement.readyAt - signalledAt,
        unusedMs: routedAt === undefined ? undefined : Math.max(0, routedAt - replacement.readyAt),
        proxyNoticedMs: undefined, // from the proxy's log, once it stopped
        ledger: old.ledger(),
        aborted: old.aborted().map((a) => ({ ...a, afterSignalMs: a.at - signalledAt })),
        report: old.report(),
        errorOutput: old.errorOutput,
      });
    }
    await sleep(timing.settleMs, undefined, { signal });
    wrk = await load.stop();
    load = undefined;
    proxy = await balancer.close();
    balancer = undefined;
    const events = proxy.events;
    restarts.forEach((restart, i) => {
      // Second resolution in nginx's log: a failure in the second of the SIGTERM counts.
      const since = signalledAts[i] - (setup.proxy === 'nginx' ? 1_000 : 0);
      const down = events.find(
        (e) => e.port === restart.oldPort && e.at >= since && !/ is UP/.test(e.text),
      );
      restarts[i] = {
        ...restart,
        proxyNoticedMs: down === undefined ? undefined : Math.max(0, down.at - signalledAts[i]),
      };
    });
    return {
      setup: setup.id,
      row: row.id,
      startedAt: new Date(started).toISOString(),
      ...where(),
      loadAverage,
      durationMs: Date.now() - started,
      load: wrk,
      failed: failedOf(wrk),
      proxy,
      restarts,
    };
  } catch (error) {
    if (signal?.aborted) throw error;
    return {
      setup: setup.id,
      row: row.id,
      startedAt: new Date(started).toISOString(),
      ...where(),
      loadAverage,
      durationMs: Date.now() - started,
      load: wrk,
      failed: wrk === undefined ? undefined : failedOf(wrk),
      proxy,
      restarts,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await load?.kill();
    await balancer?.close().catch(() => undefined);
    await Promise.all([...instances].map((instance) => instance.close()));
    if (keepLogs) {
      const logs = [...instances].map((i) => i.output());
      await writeFile(path.join(dir, 'instances.log'), logs.join('\n\n'));
      console.error(`    logs kept in ${dir}`);
    } else {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
