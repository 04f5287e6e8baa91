import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShutdownReport } from '../../lib/core/shutdown-report.interface.js';
import { startScript, type ChildRun } from '../support/child-process.js';
import { RawHttpConnection } from '../support/raw-http-connection.js';
import { selfSignedCertificate } from '../support/tls-certificate.js';

/*
 * The HTTP intake in a real process, shut down by a real SIGTERM through
 * `enableLifecycleShutdown`: what only the process shows — the exit code, the time to exit,
 * the summary in the log, the report file.
 */

const FIXTURE = 'test/process/fixtures/http-intake-app.js';
/** The close allowance of the signal handler's watchdog and a margin for a busy machine. */
const MARGIN_MS = 2500;
/** Nest's start-up in a fresh process on a busy machine. */
const STARTUP_MS = 8000;

const CLEAN_CLOSE = { endedByServer: true, errorCode: undefined };

const sum = (phases: Record<string, number>): number =>
  Object.values(phases).reduce((total, ms) => total + ms, 0);

describe.each(['express', 'fastify'])('the HTTP intake on SIGTERM (%s)', (adapter) => {
  let run: ChildRun | undefined;
  const connections: RawHttpConnection[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'http-intake-process-'));
    const { key, cert } = await selfSignedCertificate();
    await writeFile(join(dir, 'key.pem'), key);
    await writeFile(join(dir, 'cert.pem'), cert);
    return () => rm(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.destroy();
    await run?.close();
    run = undefined;
  });

  async function start(env: Record<string, string>): Promise<number> {
    run = startScript(FIXTURE, { NO_COLOR: '1', ADAPTER: adapter, ...env });
    const ready = await run.waitFor(/^READY \d+$/, STARTUP_MS);
    return Number(ready.slice('READY '.length));
  }

  function connect(port: number, ca?: string): RawHttpConnection {
    const connection = new RawHttpConnection({ port, ca });
    connections.push(connection);
    return connection;
  }

  const HTTPS_PHASES = { gracefulMs: 3000, forcefulMs: 500, terminateMs: 300 };

  it(
    'HTTPS: answers the request in flight and three pipelined ones, idle keep-alive connections do not hold the exit, exits 0',
    async () => {
      const ca = await readFile(join(dir, 'cert.pem'), 'utf8');
      const port = await start({
        TLS_KEY: join(dir, 'key.pem'),
        TLS_CERT: join(dir, 'cert.pem'),
        PHASES: JSON.stringify(HTTPS_PHASES),
      });
      const child = run!;
      const idle = connect(port, ca);
      await idle.get('/fast');
      await idle.untilText('fast');
      const inFlight = connect(port, ca);
      await inFlight.get('/hold/a');
      const pipelined = connect(port, ca);
      await pipelined.write(
        ['p1', 'p2', 'p3']
          .map((id) => `GET /hold/${id} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
          .join(''),
      );
      for (const id of ['a', 'p1', 'p2', 'p3']) await child.waitFor(new RegExp(`^ENTERED ${id}$`));

      const sentAt = performance.now();
      child.child.kill('SIGTERM');
      await child.waitFor(/Entering graceful phase/);
      for (const id of ['a', 'p1', 'p2', 'p3']) child.child.send({ release: id });
      const { code, at } = await child.exited;

      expect(code).toBe(0);
      expect(at - sentAt).toBeLessThan(sum(HTTPS_PHASES) + MARGIN_MS);
      expect(child.lines).toContainEqual(expect.stringContaining('Shutdown (SIGTERM) clean'));
      expect(await inFlight.closed).toEqual(CLEAN_CLOSE);
      expect(inFlight.statuses).toEqual([200]);
      expect(await pipelined.closed).toEqual(CLEAN_CLOSE);
      expect(pipelined.statuses).toEqual([200, 200, 200]);
      expect(pipelined.received.match(/held p\d/g)).toEqual(['held p1', 'held p2', 'held p3']);
      expect(await idle.closed).toEqual(CLEAN_CLOSE);
      expect(child.errorOutput).toBe('');
    },
    STARTUP_MS + sum(HTTPS_PHASES) + MARGIN_MS + 5000,
  );

  const SMALL_PHASES = { gracefulMs: 500, forcefulMs: 300, terminateMs: 200 };

  it(
    'an excluded path that never answers: exits 0 within the budgets, with its summary and report file',
    async () => {
      const reportFile = join(dir, `${adapter}-report.json`);
      const port = await start({ PHASES: JSON.stringify(SMALL_PHASES), REPORT_FILE: reportFile });
      const child = run!;
      const probe = connect(port);
      await probe.get('/health/db');
      await child.waitFor(/^ENTERED health-db$/);

      const sentAt = performance.now();
      child.child.kill('SIGTERM');
      const { code, at } = await child.exited;

      expect(code).toBe(0);
      expect(at - sentAt).toBeLessThan(sum(SMALL_PHASES) + MARGIN_MS);
      expect(child.lines).toContainEqual(expect.stringContaining('Shutdown (SIGTERM) clean'));
      // Its connection ended unanswered, at the end of the close.
      expect(await probe.closed).toEqual(CLEAN_CLOSE);
      expect(probe.statuses).toEqual([]);
      const report = JSON.parse(await readFile(reportFile, 'utf8')) as ShutdownReport;
      expect(report).toMatchObject({ reason: 'SIGTERM', outcome: 'clean' });
      expect(report.intakes.http).toMatchObject({ reset: 1 });
    },
    STARTUP_MS + sum(SMALL_PHASES) + MARGIN_MS + 5000,
  );
});
