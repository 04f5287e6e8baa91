import { spawn } from 'node:child_process';
import { ChildRun } from '../../test/support/child-process.js';

/** Process groups started by this bench and not yet reaped: killed if the bench itself exits. */
const live = new Set<number>();
process.on('exit', () => {
  for (const group of live) killGroup(group, 'SIGKILL');
});

function killGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // Already gone.
  }
}

/**
 * A program run in its own process group (a proxy with its workers, a load generator), its
 * stdout collected line by line. `stop()` asks with `signal` and waits; `kill()` ends the whole
 * group. If the bench exits first, the group is killed with it.
 *
 * @example
 * const haproxy = SpawnedProcess.start('haproxy', ['-db', '-f', cfg]);
 * await haproxy.waitFor(/Proxy .* started/);
 * await haproxy.stop('SIGUSR1');
 */
export class SpawnedProcess extends ChildRun {
  /** Every stdout line with the epoch ms at which the bench read it. */
  readonly timedLines: { at: number; text: string }[] = [];

  private constructor(
    child: ReturnType<typeof spawn>,
    readonly command: string,
  ) {
    super(child);
    let buffered = '';
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const at = Date.now();
      for (const text of lines) this.timedLines.push({ at, text });
    });
  }

  static start(command: string, args: readonly string[], cwd?: string): SpawnedProcess {
    const child = spawn(command, args, {
      cwd,
      detached: true, // its own group: stopping it also stops the workers it forked
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const group = child.pid;
    if (group === undefined) {
      child.once('error', () => undefined); // ENOENT, reported below
      throw new Error(
        `${command} could not be started: is it installed? (Debian packages haproxy, nginx, wrk; .ci/run installs them)`,
      );
    }
    child.on('error', () => undefined); // a failed signal: `stop()` falls back to SIGKILL
    const run = new SpawnedProcess(child, command);
    live.add(group);
    void run.exited.then(() => live.delete(group));
    return run;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` to the group and waits for the exit, at most `graceMs`; then kills it. */
  async stop(signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
    const group = this.child.pid;
    if (group === undefined || !this.alive) return;
    killGroup(group, signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, graceMs, 'late')));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') await this.kill();
  }

  /** Kills the whole group and waits for the exit. */
  async kill(): Promise<void> {
    const group = this.child.pid;
    if (group !== undefined && this.alive) killGroup(group, 'SIGKILL');
    await this.exited;
    if (group !== undefined) killGroup(group, 'SIGKILL'); // workers the leader left behind
  }

  override close(): Promise<void> {
    return this.kill();
  }
}
