import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
import type { NginxSetup } from './rollout-matrix.js';
import { SpawnedProcess } from './spawned-process.js';

function config(setup: NginxSetup, dir: string, port: number, backends: number[]): string {
  const temp = (name: string): string => `${name}_temp_path ${path.join(dir, name)};`;
  return `
daemon off;
master_process on;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  log_format rq '$status "$upstream_status" "$upstream_addr" $request_time "$request" $msec';
  access_log ${path.join(dir, 'access.log')} rq;
  upstream app {
    ${backends.map((b) => `server 127.0.0.1:${b}${setup.maxFails === undefined ? '' : ` max_fails=${setup.maxFails}`};`).join(' ')}
    keepalive 32;
    # Below Node's keepAliveTimeout (5 s), as the README says: nginx closes an idle pooled
    # connection before Node does, never while sending on it.
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      ${setup.nextUpstream === 'off' ? 'proxy_next_upstream off;' : '# proxy_next_upstream error timeout (default)'}
    }
  }
}
`;
}

function causeOf(message: string): keyof FailureCauses {
  if (/Connection refused/.test(message)) return 'refused';
  if (/reset by peer|prematurely closed|Broken pipe/.test(message)) return 'reset';
  if (/no live upstreams/.test(message)) return 'noServer';
  if (/timed out/.test(message)) return 'timeout';
  return 'other';
}

/** nginx's error-log time (`2026/11/30 22:47:36`, local, to the second) as epoch ms. */
function epochOf(stamp: string): number {
  const [date, time] = stamp.split(' ');
  const [y, mo, d] = date.split('/').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

/**
 * nginx 1.22 with a fixed upstream and a keep-alive pool to it: passive — it learns that a
 * backend is gone only from a failed request, then avoids it for `fail_timeout` (10 s by
 * default). A replacement therefore takes the same port as the instance it replaces.
 *
 * @example
 * const lb = await NginxBalancer.start(setup, dir, [portA, portB]);
 */
export class NginxBalancer implements LoadBalancer {
  readonly samePort = true;

  private constructor(
    private readonly process: SpawnedProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(setup: NginxSetup, dir: string, backends: number[]): Promise<NginxBalancer> {
    const port = await freePort();
    const file = path.join(dir, 'nginx.conf');
    await mkdir(dir, { recursive: true });
    await writeFile(file, config(setup, dir, port, backends));
    const errorLog = path.join(dir, 'error.log');
    const process = SpawnedProcess.start('nginx', ['-p', dir, '-c', file, '-e', errorLog]);
    const balancer = new NginxBalancer(process, dir, `http://127.0.0.1:${port}`);
    try {
      await Promise.race([
        probeUntilOk(`${balancer.url}/health/ready`, 10_000),
        process.exited.then(() => {
          throw new Error(`nginx exited at start:\n${process.errorOutput}`);
        }),
      ]);
    } catch (error) {
      await process.kill();
      throw error;
    }
    return balancer;
  }

  add(): Promise<void> {
    return Promise.resolve();
  }

  remove(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<ProxyLogSummary> {
    await this.process.stop('SIGTERM');
    const read = (name: string): Promise<string> =>
      readFile(path.join(this.dir, name), 'utf8').catch(() => '');
    const [access, errors] = await Promise.all([read('access.log'), read('error.log')]);

    // Failed attempts by request URI (each load request has a unique one).
    const attempts = new Map<string, (keyof FailureCauses)[]>();
    const events: ProxyEvent[] = [];
    for (const line of errors.split('\n')) {
      const match = /^(\S+ \S+) \[(\w+)\] [^:]*: \*\d+ (.*?), client: .*?request: "\S+ (\S+)/.exec(
        line,
      );
      if (match === null) continue;
      const [, stamp, level, message, uri] = match;
      if (level === 'warn') {
        const port = /upstream: "http:\/\/[^:]+:(\d+)/.exec(line)?.[1];
        events.push({
          at: epochOf(stamp),
          port: port === undefined ? undefined : Number(port),
          text: message,
        });
        continue;
      }
      attempts.set(uri, [...(attempts.get(uri) ?? []), causeOf(message)]);
    }

    const summary: ProxyLogSummary = {
      requests: 0,
      causes: noCauses(),
      statuses: {},
      retried: 0,
      retriedCauses: noCauses(),
      samples: [],
      events,
    };
    for (const line of access.split('\n')) {
      const match = /^(\d+) "([^"]*)" "[^"]*" \S+ "\S+ (\S+)/.exec(line);
      if (match === null) continue;
      const [, statusText, upstreamStatus, uri] = match;
      const status = Number(statusText);
      if (uri.startsWith('/health')) continue; // the bench's own start-up probe
      summary.requests++;
      const failed = attempts.get(uri) ?? [];
      if (status >= 500) {
        const cause = failed.at(-1) ?? (upstreamStatus.endsWith('503') ? 'app503' : 'other');
        summary.causes[cause]++;
        summary.statuses[status] = (summary.statuses[status] ?? 0) + 1;
        if (summary.samples.length < 12) {
          const reasons = errors.split('\n').filter((l) => l.includes(`${uri} `));
          summary.samples.push([line, ...reasons].join('\n    '));
        }
      } else if (upstreamStatus.includes(',')) {
        summary.retried++;
        for (const cause of failed) summary.retriedCauses[cause]++;
      }
    }
    return summary;
  }
}
