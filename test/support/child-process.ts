import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** A forked Node process whose stdout lines are collected and awaited. */
export class ChildRun {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  private readonly waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  private stderr = '';

  constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        this.push(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
    );
  }

  get errorOutput(): string {
    return this.stderr;
  }

  /** The first line (past or future) matching `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no line matching ${String(pattern)} within ${timeoutMs} ms; got:\n${this.lines.join('\n')}\n${this.stderr}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** The JSON printed on the first line that starts with `prefix` (e.g. `REPORT `). */
  jsonAfter<T>(prefix: string): T {
    const line = this.lines.find((l) => l.startsWith(prefix));
    if (line === undefined) {
      throw new Error(
        `no line starting with "${prefix}":\n${this.lines.join('\n')}\n${this.stderr}`,
      );
    }
    return JSON.parse(line.slice(prefix.length)) as T;
  }

  /** Kills the process if it is still alive and waits for it: every test closes what it opens. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private push(line: string): void {
    this.lines.push(line);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].pattern.test(line)) {
        this.waiters[i].resolve(line);
        this.waiters.splice(i, 1);
      }
    }
  }
}

/** Path of a compiled script under `.build/` (made by `npm run build`). */
export function built(relative: string): string {
  const path = resolve(process.cwd(), '.build', relative);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return path;
}

/** Forks a compiled script with strict unhandled rejections and piped output. */
export function startScript(relative: string, env: Record<string, string> = {}): ChildRun {
  const child = fork(built(relative), [], {
    execArgv: ['--unhandled-rejections=strict'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return new ChildRun(child);
}
