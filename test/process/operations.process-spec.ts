import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built, ChildRun, startScript } from '../support/child-process.js';

/*
 * What an operator sees of a shutdown once the process is gone, and what the module says at
 * boot about a deployment that would spoil it — in real processes with real signals: the
 * termination log after SIGTERM (also mounted the way the kubelet mounts it), a SIGKILLed run
 * detected at the next boot, the keep-alive, readiness, grace-period and signal-path checks
 * (a shell as PID 1 in a real PID namespace, node as PID 1, npm as the parent).
 */

const FIXTURE = 'test/process/fixtures/ops-app.js';
// A Nest app's start-up in a fresh process on a busy 2-core machine, the fixture's budgets
// (0.3 + 0.2 + 0.1 s), and a generous margin; npm exec adds its own start-up.
const TEST_TIMEOUT_MS = 30_000;

/** The child's environment: no test runner, no package manager above it unless a test says so. */
const CLEAN_ENV = { NO_COLOR: '1', JEST_WORKER_ID: '', npm_config_user_agent: '' };

function start(env: Record<string, string> = {}): ChildRun {
  return startScript(FIXTURE, { ...CLEAN_ENV, ...env });
}

/** A command that ends up running the fixture (unshare, sh, npm), output collected the same way. */
function startThrough(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): ChildRun {
  const child = spawn(command, args, {
    env: { ...process.env, NODE_OPTIONS: '', ...CLEAN_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ChildRun(child);
}

function warnings(run: ChildRun): string[] {
  return run.lines.filter((line) => line.startsWith('WARN '));
}

/** The pid the fixture printed in `READY pid=<pid>`. */
async function readyPid(run: ChildRun): Promise<number> {
  const line = await run.waitFor(/^READY pid=\d+$/, 20_000);
  return Number(line.slice('READY pid='.length));
}

describe('after the process is gone, and at boot (real processes)', () => {
  const runs: ChildRun[] = [];
  const strays: number[] = [];
  const dirs: string[] = [];

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ops-'));
    dirs.push(dir);
    return dir;
  }

  function track(run: ChildRun): ChildRun {
    runs.push(run);
    return run;
  }

  afterEach(async () => {
    for (const run of runs.splice(0)) await run.close();
    // A fixture started through npm is npm's grandchild: it goes by its own pid.
    for (const pid of strays.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone with its parent.
      }
    }
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it(
    'SIGTERM: a summary of at most 4 KB in the termination log — outcome, reason, phase, counts, the abandoned task — and the run marker is cleared',
    async () => {
      const dir = await tempDir();
      const terminationLog = join(dir, 'termination-log');
      const reportFile = join(dir, 'report.json');
      const run = track(
        start({ STUBBORN: '1', OPTIONS: JSON.stringify({ terminationLog, reportFile }) }),
      );
      await readyPid(run);
      expect(existsSync(`${reportFile}.running`)).toBe(true);
      run.child.kill('SIGTERM');
      const { code } = await run.exited;

      expect(code).toBe(1); // terminated: something was abandoned
      const text = await readFile(terminationLog, 'utf8');
      expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(4096);
      const lines = text.split('\n');
      expect(lines[0]).toMatch(
        /^shutdown terminated after SIGTERM in \d+\.\d+ s, phase reached terminate$/,
      );
      expect(lines).toContain(
        'tasks 2: 0 completed, 1 cancelled, 0 failed, 1 abandoned; hooks 0: 0 not ok',
      );
      expect(lines).toContain('abandoned (1): stubborn-poller');
      expect(text).toMatch(/^phases: graceful \d+\/300 ms \(budget\), forceful \d+\/200 ms/m);
      expect(existsSync(reportFile)).toBe(true);
      expect(existsSync(`${reportFile}.running`)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a termination log bind-mounted like the kubelet mounts /dev/termination-log (no rename over it) is written in place',
    async () => {
      const dir = await tempDir();
      const hostFile = join(dir, 'host-termination-log');
      const mounted = join(dir, 'termination-log');
      await writeFile(hostFile, 'previous container\n');
      await writeFile(mounted, '');
      // A mount namespace of its own; `exec`: node is unshare's process, its pid the child's.
      const run = track(
        startThrough(
          'unshare',
          [
            '--mount',
            'sh',
            '-c',
            'mount --bind "$0" "$1" && exec node --unhandled-rejections=strict "$2"',
            hostFile,
            mounted,
            built(FIXTURE),
          ],
          { READINESS: '1', OPTIONS: JSON.stringify({ terminationLog: mounted }) },
        ),
      );
      await readyPid(run);
      run.child.kill('SIGTERM');
      const { code } = await run.exited;

      expect(code).toBe(0);
      expect(warnings(run)).toEqual([]);
      expect(await readFile(hostFile, 'utf8')).toMatch(/^shutdown clean after SIGTERM in /);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a run killed with SIGKILL is named at the next boot; a run that ended with SIGTERM is not',
    async () => {
      const dir = await tempDir();
      const env = {
        READINESS: '1',
        OPTIONS: JSON.stringify({ reportFile: join(dir, 'report.json') }),
      };

      const killed = track(start(env));
      const killedPid = await readyPid(killed);
      killed.child.kill('SIGKILL');
      await killed.exited;

      const next = track(start(env));
      await readyPid(next);
      const lost = warnings(next).filter((line) =>
        line.includes('ended without a shutdown report'),
      );
      expect(lost).toHaveLength(1);
      expect(lost[0]).toContain(`The previous run (pid ${killedPid} on `);
      expect(lost[0]).toContain('it crashed or was killed (SIGKILL, an OOM kill');
      next.child.kill('SIGTERM');
      expect((await next.exited).code).toBe(0);

      const after = track(start(env));
      await readyPid(after);
      expect(after.lines.some((line) => line.includes('Previous shutdown (SIGTERM'))).toBe(true);
      expect(warnings(after)).toEqual([]);
    },
    TEST_TIMEOUT_MS * 2,
  );

  it(
    'at boot: keepAliveTimeout not above the load balancer, readiness not wired, budgets over gracePeriodMs — one warning each',
    async () => {
      const run = track(
        start({ OPTIONS: JSON.stringify({ loadBalancer: 'aws-alb', gracePeriodMs: 500 }) }),
      );
      await readyPid(run);
      const said = warnings(run);

      expect(said).toHaveLength(3);
      expect(
        said.filter((line) =>
          line.includes(
            "keepAliveTimeout (5000 ms) is not above AWS ALB's idle timeout (60000 ms)",
          ),
        ),
      ).toHaveLength(1);
      expect(
        said.filter((line) => line.includes('nothing injects LifecycleHealthIndicator')),
      ).toHaveLength(1);
      expect(said.filter((line) => line.includes('more than gracePeriodMs = 500 ms'))).toHaveLength(
        1,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'at boot: a keepAliveTimeout set above it just after listen(), a readiness route and fitting budgets — nothing to say',
    async () => {
      const run = track(
        start({
          READINESS: '1',
          KEEP_ALIVE_MS: '65000',
          OPTIONS: JSON.stringify({ loadBalancer: 'aws-alb', gracePeriodMs: 30_000 }),
        }),
      );
      await readyPid(run);

      expect(warnings(run)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'at boot: started by a shell that stayed PID 1 (sh -c), the warning says SIGTERM will not reach it',
    async () => {
      // A PID namespace of its own: sh is its PID 1 and, with a command after node, cannot exec.
      const run = track(
        startThrough(
          'unshare',
          [
            '--pid',
            '--fork',
            '--kill-child',
            '--mount-proc',
            'sh',
            '-c',
            'node --unhandled-rejections=strict "$0"; true',
            built(FIXTURE),
          ],
          { READINESS: '1' },
        ),
      );
      await readyPid(run);

      expect(warnings(run)).toEqual([
        expect.stringContaining(
          'started through a shell that stayed its parent (sh, pid 1: sh -c node',
        ),
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'at boot: node as PID 1 with nothing handling SIGTERM is told to use enableLifecycleShutdown or an init',
    async () => {
      const run = track(
        startThrough(
          'unshare',
          [
            '--pid',
            '--fork',
            '--kill-child',
            '--mount-proc',
            'node',
            '--unhandled-rejections=strict',
            built(FIXTURE),
          ],
          { READINESS: '1', SIGNALS: 'none' },
        ),
      );
      expect(await readyPid(run)).toBe(1);

      expect(warnings(run)).toEqual([
        expect.stringContaining('This process runs as PID 1 and nothing handles SIGTERM'),
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'at boot: started through npm, the warning names npm and says to start node directly',
    async () => {
      const run = track(
        startThrough(
          'npm',
          ['exec', '--offline', '--', 'node', '--unhandled-rejections=strict', built(FIXTURE)],
          { READINESS: '1', npm_config_user_agent: undefined },
        ),
      );
      strays.push(await readyPid(run));
      const said = warnings(run);

      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/This process was started through (npm|a shell)/);
      expect(said[0]).toContain('npm');
      expect(said[0]).toContain('CMD ["node", "dist/main.js"]');
    },
    TEST_TIMEOUT_MS,
  );
});
