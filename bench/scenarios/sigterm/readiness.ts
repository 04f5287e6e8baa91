import http from 'node:http';
import { pause, startFixture } from '../../harness/fixture-process.js';
import type { Measurement, ScenarioInput } from '../../harness/measurement.interface.js';
import { median } from '../../harness/statistics.js';

/** Probes sent on the kept-alive connection before the signal: it is warm when the signal comes. */
const PROBES_BEFORE = 20;

function portOf(message: unknown): number | undefined {
  const port = (message as { port?: unknown } | null)?.port;
  return typeof port === 'number' ? port : undefined;
}

function probe(agent: http.Agent, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: '/health/ready', agent },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.once('error', reject);
  });
}

async function sample(fixture: string): Promise<number> {
  const server = startFixture(fixture, []);
  // One socket, kept alive: the poller of a load balancer.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const port = await server.next(portOf);
    for (let i = 0; i < PROBES_BEFORE; i++) {
      const status = await probe(agent, port);
      if (status !== 200) throw new Error(`${fixture}: ready answered ${status} before SIGTERM`);
    }
    await pause(50);
    const sentAt = process.hrtime.bigint();
    server.child.kill('SIGTERM');
    // Back to back on the same connection, as fast as it answers, until the first 503.
    for (;;) {
      const status = await probe(agent, port);
      if (status === 503) return Number(process.hrtime.bigint() - sentAt) / 1e6;
      if (status !== 200) throw new Error(`${fixture}: ready answered ${status}`);
    }
  } finally {
    agent.destroy();
    await server.stop();
  }
}

async function samples(fixture: string, n: number): Promise<Measurement> {
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(await sample(fixture));
  return { value: median(values), samples: values };
}

/**
 * N fresh processes of the module's Nest app: ms from `kill(SIGTERM)` to a probe on a kept-alive
 * connection receiving 503.
 */
export function run({ n }: ScenarioInput): Promise<Measurement> {
  return samples('readiness-ours.fixture', n);
}

/** The same by hand: a flag flipped by `process.once('SIGTERM')`. */
export function runRaw({ n }: ScenarioInput): Promise<Measurement> {
  return samples('readiness-raw.fixture', n);
}

/**
 * The same Nest app and Terminus check over a hand-written flag: what Nest and Terminus take to
 * answer the 503, the part of the figure that is not the module's.
 */
export function runNestNaive({ n }: ScenarioInput): Promise<Measurement> {
  return samples('readiness-nest-naive.fixture', n);
}
