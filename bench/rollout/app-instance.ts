import { startScript, type ChildRun } from '../../test/support/child-process.js';
import type { RolloutRow } from './rollout-matrix.js';

/** The compiled sample app (`npm run build`). */
export const ROLLOUT_SAMPLE = 'sample/03-zero-downtime/main.js';

/** Instances not yet reaped: killed if the bench itself exits first. */
const live = new Set<ChildRun>();
process.on('exit', () => {
  for (const run of live) if (run.child.exitCode === null) run.child.kill('SIGKILL');
});

/** The sample's `LEDGER` line: what the server did with the requests it accepted. */
export interface ServerLedger {
  readonly accepted: number;
  readonly finished: number;
  readonly aborted: number;
  readonly probes: number;
  readonly statuses: Record<string, number>;
}

/** An `ABORTED` line: a response the server cut off, by its (unique) URL. */
export interface AbortedResponse {
  readonly url: string;
  /** Epoch ms. */
  readonly at: number;
  /** The how-manieth request on its connection it was. */
  readonly onConnection: number;
}

/** How an instance ended. */
export interface InstanceExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** Epoch ms as the bench saw it. */
  readonly at: number;
}

/**
 * One instance of the sample app under test (a fork of the compiled script), with what it says
 * on stdout: when it listened, when the load balancer first used it, what it lost.
 *
 * @example
 * const a = await AppInstance.start(row, { port: 0 });
 * await a.routed(15_000);
 */
export class AppInstance {
  private constructor(
    private readonly run: ChildRun,
    /** Epoch ms of its `READY` line (listening, readiness up). */
    readonly readyAt: number,
    readonly port: number,
  ) {}

  /**
   * Starts the sample for `row` and resolves once it listens. With `port` ≠ 0 and
   * `listenRetryMs`, it boots, says so (`onWaiting`), and waits for the port to be released by
   * the instance it replaces.
   */
  static async start(
    row: RolloutRow,
    options: {
      port: number;
      listenRetryMs?: number;
      readyWithinMs?: number;
      /** Called once it has booted and waits for the port (`listenRetryMs`, port still held). */
      onWaiting?: () => void;
    },
  ): Promise<AppInstance> {
    const run = startScript(ROLLOUT_SAMPLE, {
      ADAPTER: row.adapter,
      MODE: row.mode,
      PORT: String(options.port),
      LISTEN_RETRY_MS: String(options.listenRetryMs ?? 0),
      LIFECYCLE_OPTIONS: JSON.stringify(row.lifecycleOptions ?? {}),
      TERMINUS_SHUTDOWN_MS: String(row.terminusShutdownMs ?? 0),
      NO_COLOR: '1',
    });
    live.add(run);
    void run.exited.then(() => live.delete(run));
    const onWaiting = options.onWaiting;
    if (onWaiting !== undefined) {
      // Before READY, or never (the port was free): READY or the exit ends the wait below.
      void run
        .waitFor(/^WAITING /, options.readyWithinMs ?? 30_000)
        .then(onWaiting, () => undefined);
    }
    try {
      const line = await Promise.race([
        run.waitFor(/^READY /, options.readyWithinMs ?? 30_000),
        run.exited.then(({ code, signal }) => {
          throw new Error(
            `${ROLLOUT_SAMPLE} exited (${code ?? signal}) before READY:\n${run.errorOutput}`,
          );
        }),
      ]);
      const [, url, at] = /^READY (\S+) (\d+)/.exec(line) ?? [];
      return new AppInstance(run, Number(at), Number(new URL(url).port));
    } catch (error) {
      await run.close();
      throw error;
    }
  }

  /** Epoch ms of the first request that was not a probe; rejects after `withinMs`. */
  async routed(withinMs: number): Promise<number> {
    const line = await this.run.waitFor(/^ROUTED /, withinMs);
    return Number(line.slice('ROUTED '.length));
  }

  /** Epoch ms of the first request that was not a probe, if it came. */
  routedAt(): number | undefined {
    const line = this.run.lines.find((l) => l.startsWith('ROUTED '));
    return line === undefined ? undefined : Number(line.slice('ROUTED '.length));
  }

  get exited(): Promise<InstanceExit> {
    return this.run.exited.then(({ code, signal, at }) => ({
      code,
      signal,
      at: performance.timeOrigin + at,
    }));
  }

  get alive(): boolean {
    return this.run.child.exitCode === null && this.run.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    this.run.child.kill(signal);
  }

  /** Kills it if still alive, and waits. */
  close(): Promise<void> {
    return this.run.close();
  }

  ledger(): ServerLedger | undefined {
    const line = this.run.lines.findLast((l) => l.startsWith('LEDGER '));
    return line === undefined ? undefined : (JSON.parse(line.slice(7)) as ServerLedger);
  }

  aborted(): AbortedResponse[] {
    return this.run.lines
      .filter((l) => l.startsWith('ABORTED '))
      .map((l) => JSON.parse(l.slice(8)) as AbortedResponse);
  }

  /** The lifecycle report's `drain` and `intakes` (lifecycle mode), if printed. */
  report(): unknown {
    const line = this.run.lines.findLast((l) => l.startsWith('REPORT '));
    return line === undefined ? undefined : (JSON.parse(line.slice(7)) as unknown);
  }

  /** Everything it printed, for a kept log. */
  output(): string {
    return [
      `# port ${this.port}, ready at ${this.readyAt}`,
      ...this.run.lines,
      this.run.errorOutput,
    ].join('\n');
  }

  get errorOutput(): string {
    return this.run.errorOutput;
  }
}
