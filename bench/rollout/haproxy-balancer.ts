import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from './free-port.js';
import {
  noCauses,
  type FailureCauses,
  type LoadBalancer,
  type ProxyEvent,
  type ProxyLogSummary,
} from './load-balancer.interface.js';
import { probeUntilOk } from './probe.js';
import type { HaproxySetup } from './rollout-matrix.js';
import { SpawnedProcess } from './spawned-process.js';

/** Server slots: two in use, two for replacements (a slot is reused once its instance left). */
const SLOTS = 4;
/** One line per request: server, status, termination state, retries, total time, request. */
const LOG_FORMAT = 'RQ %s %ST %ts %rc %Ta %{+Q}r %cp %bp';

function config(setup: HaproxySetup, dir: string, port: number, backends: number[]): string {
  const servers = Array.from({ length: SLOTS }, (_, i) =>
    i < backends.length
      ? `  server s${i + 1} 127.0.0.1:${backends[i]} check`
      : `  server s${i + 1} 127.0.0.1:1 check disabled`,
  );
  return [
    'global',
    '  log stdout format raw local0',
    `  stats socket ${path.join(dir, 'admin.sock')} level admin`,
    'defaults',
    '  mode http',
    '  log global',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 10s',
    // A check answer may take this long: without it HAProxy allows only `inter` (200 ms), and a
    // starved but healthy instance on a busy machine flaps DOWN.
    '  timeout check 2s',
    `  log-format "${LOG_FORMAT}"`,
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    ...(setup.retries ? ['  retries 3', '  option redispatch 1'] : ['  retries 0']),
    `  default-server inter ${setup.interMs} fall ${setup.fall} rise ${setup.rise}`,
    ...servers,
    '',
  ].join('\n');
}

/** What a request's log line says went wrong; `undefined` when nothing did. */
function causeOf(server: string, status: number, state: string): keyof FailureCauses | undefined {
  if (state[0] === 'C' || state[0] === 'c') return undefined; // the client left (load stopped)
  if (server === '<NOSRV>') return 'noServer';
  if (state[0] === 's') return 'timeout';
  if (state[0] === 'S') return state[1] === 'C' ? 'refused' : 'reset';
  if (status === 503) return 'app503';
  return status >= 500 ? 'other' : undefined;
}

/**
 * HAProxy 2.6 with active checks on the readiness route: an instance leaves the rotation after
 * `fall` failed checks, `inter` apart. Its runtime API (the stats socket) puts a replacement in
 * a free server slot, as an ingress controller or service discovery would.
 *
 * @example
 * const lb = await HaproxyBalancer.start(setup, dir, [portA, portB]);
 */
export class HaproxyBalancer implements LoadBalancer {
  readonly samePort = false;
  /** Port of the instance in each slot (`undefined`: free). */
  private readonly slots: (number | undefined)[];
  /** Every assignment of a port to a slot, to name the instance of a logged state change. */
  private readonly history: { at: number; slot: number; port: number | undefined }[];

  private constructor(
    private readonly process: SpawnedProcess,
    private readonly dir: string,
    readonly url: string,
    backends: number[],
  ) {
    this.slots = Array.from({ length: SLOTS }, (_, i) => backends[i]);
    this.history = this.slots.map((port, slot) => ({ at: 0, slot, port }));
  }

  static async start(
    setup: HaproxySetup,
    dir: string,
    backends: number[],
  ): Promise<HaproxyBalancer> {
    const port = await freePort();
    const file = path.join(dir, 'haproxy.cfg');
    await writeFile(file, config(setup, dir, port, backends));
    const process = SpawnedProcess.start('haproxy', ['-db', '-f', file]);
    const balancer = new HaproxyBalancer(process, dir, `http://127.0.0.1:${port}`, backends);
    try {
      await Promise.race([
        probeUntilOk(`${balancer.url}/health/ready`, 10_000),
        process.exited.then(() => {
          throw new Error(`haproxy exited at start:\n${process.errorOutput}`);
        }),
      ]);
    } catch (error) {
      await process.kill();
      throw error;
    }
    return balancer;
  }

  async add(port: number): Promise<void> {
    const slot = this.slots.indexOf(undefined);
    if (slot < 0) throw new Error('haproxy: no free server slot');
    this.slots[slot] = port;
    this.history.push({ at: Date.now(), slot, port });
    await this.command(`set server be/s${slot + 1} addr 127.0.0.1 port ${port}`);
    await this.command(`set server be/s${slot + 1} state ready`);
  }

  async remove(port: number): Promise<void> {
    const slot = this.slots.indexOf(port);
    if (slot < 0) return;
    await this.command(`set server be/s${slot + 1} state maint`);
    this.slots[slot] = undefined;
    this.history.push({ at: Date.now(), slot, port: undefined });
  }

  async close(): Promise<ProxyLogSummary> {
    await this.process.stop('SIGUSR1'); // soft stop: finishes what it has, then exits
    const log = this.process.timedLines.map(({ at, text }) => `${at} ${text}`);
    await writeFile(path.join(this.dir, 'haproxy.log'), log.join('\n'));
    const summary: ProxyLogSummary = {
      requests: 0,
      causes: noCauses(),
      statuses: {},
      retried: 0,
      retriedCauses: noCauses(),
      samples: [],
      events: [],
    };
    for (const line of this.process.lines) {
      const match = /^RQ (\S+) (-?\d+) (\S\S)\S* \+?(\d+) (-?\d+) /.exec(line);
      if (match === null) continue;
      const [, server, statusText, state, retries] = match;
      const status = Number(statusText);
      summary.requests++;
      const cause = causeOf(server, status, state);
      if (cause !== undefined) {
        summary.causes[cause]++;
        summary.statuses[status] = (summary.statuses[status] ?? 0) + 1;
        if (summary.samples.length < 12) summary.samples.push(line);
      } else if (Number(retries) > 0) {
        summary.retried++;
        summary.retriedCauses.refused++; // HAProxy retries only failed connections (retry-on default)
      }
    }
    summary.events = this.events;
    return summary;
  }

  /** Servers marked DOWN or UP, as HAProxy said it, with when the bench read it. */
  private get events(): ProxyEvent[] {
    const events: ProxyEvent[] = [];
    for (const { at, text } of this.process.timedLines) {
      const match = /^Server be\/s(\d) is (DOWN|UP)/.exec(text);
      if (match === null) continue;
      const slot = Number(match[1]) - 1;
      const port = this.history.findLast((h) => h.slot === slot && h.at <= at)?.port;
      events.push({ at, port, text: text.replace(/, check duration.*$/, '') });
    }
    return events;
  }

  private command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(path.join(this.dir, 'admin.sock'));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.once('error', reject);
      socket.once('close', () => resolve(answer.trim()));
      socket.end(`${line}\n`);
    });
  }
}
