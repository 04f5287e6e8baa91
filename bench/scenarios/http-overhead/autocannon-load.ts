import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { startFixture, type FixtureProcess } from '../../harness/fixture-process.js';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';

/** What the fixture server runs: no module, `http: false`, tracking, tracking without ALS. */
export type HttpMode = 'no-module' | 'http-false' | 'ours' | 'no-async-context';

/** Keep-alive connections of the load. */
const CONNECTIONS = 10;

function portOf(message: unknown): number | undefined {
  const port = (message as { port?: unknown } | null)?.port;
  return typeof port === 'number' ? port : undefined;
}

/** User + system µs of a `{ cpu: process.cpuUsage() }` message. */
function cpuOf(message: unknown): number | undefined {
  const cpu = (message as { cpu?: { user?: unknown; system?: unknown } } | null)?.cpu;
  return typeof cpu?.user === 'number' && typeof cpu.system === 'number'
    ? cpu.user + cpu.system
    : undefined;
}

/** The server's CPU time so far, in µs (asked over IPC). */
function serverCpu(server: FixtureProcess): Promise<number> {
  const answer = server.next(cpuOf);
  server.child.send('cpu');
  return answer;
}

/** A load's result, with its latencies to the microsecond. */
interface LoadResult {
  readonly result: autocannon.Result;
  /** Latencies of the 2xx responses, in µs. */
  readonly latencyUs: RecordableHistogram;
}

/**
 * Autocannon's own latency histogram keeps whole milliseconds: a loopback request takes less,
 * so its p99 reads 0 or 1 ms and a ratio of two of them means nothing. Each response's time
 * (an `hrtime` difference, fractional ms) is recorded here in µs instead.
 */
async function load(port: number, seconds: number): Promise<LoadResult> {
  const latencyUs = createHistogram();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, duration: seconds },
      (error: unknown, done: autocannon.Result) => {
        if (error === null || error === undefined) resolve(done);
        else
          reject(
            error instanceof Error
              ? error
              : new Error(`autocannon failed: ${JSON.stringify(error)}`),
          );
      },
    );
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) {
        latencyUs.record(Math.max(1, Math.round(ms * 1000)));
      }
    });
  });
  return { result, latencyUs };
}

/**
 * Starts the fixture server (`platform`, `mode`) in a fresh process, loads it for a warm-up and
 * then for the measured seconds (`n`; 1 under --quick) with autocannon over kept-alive
 * connections, and reports requests/s (the average over the measured seconds) with p99 latency
 * and the server's CPU time per request over the measured load.
 */
export async function loadServer(
  platform: 'express' | 'fastify',
  mode: HttpMode,
  { n, quick }: ScenarioInput,
): Promise<Measurement> {
  const server = startFixture('http-server.fixture', [platform, mode]);
  try {
    const port = await server.next(portOf);
    await load(port, quick ? 1 : 2);
    const cpuBefore = await serverCpu(server);
    const { result, latencyUs } = await load(port, n);
    const cpuUs = (await serverCpu(server)) - cpuBefore;
    if (result.errors > 0 || result.non2xx > 0) {
      throw new Error(`${platform} ${mode}: ${result.errors} errors, ${result.non2xx} non-2xx`);
    }
    return {
      value: result.requests.average,
      detail: {
        p99Ms: latencyUs.percentile(99) / 1000,
        p50Ms: latencyUs.percentile(50) / 1000,
        requests: result.requests.total,
        cpuUsPerRequest: cpuUs / result.requests.total,
      },
    };
  } finally {
    await server.stop(0);
  }
}

/** Loaders per implementation, for the catalog. */
export function loaders(
  platform: 'express' | 'fastify',
): Record<HttpMode, (input: ScenarioInput) => Promise<Measurement>> {
  return {
    'no-module': (input) => loadServer(platform, 'no-module', input),
    'http-false': (input) => loadServer(platform, 'http-false', input),
    ours: (input) => loadServer(platform, 'ours', input),
    'no-async-context': (input) => loadServer(platform, 'no-async-context', input),
  };
}
