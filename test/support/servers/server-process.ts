import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server process started for a test: where it listens, and how to stop it. */
export interface RunningServer {
  readonly name: string;
  readonly port: number;
  /** The server's own temporary directory (data, logs), removed by `stop()`. */
  readonly directory: string;
  /** Everything the server wrote, for a failing test's message. */
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL), waits for it and removes its directory. */
  stop(): Promise<void>;
}

export interface ServerSpec {
  readonly name: string;
  readonly command: string;
  readonly args: (directory: string) => string[];
  readonly env?: (directory: string) => NodeJS.ProcessEnv;
  readonly port: number;
  /** Most the server may take to accept connections; default 30 s. */
  readonly startTimeoutMs?: number;
  /**
   * Whether the server answers its own protocol; by default, that it accepts a TCP connection
   * (RabbitMQ opens its port before it can complete a handshake).
   */
  readonly ready?: () => Promise<boolean>;
  /** Runs after the process exited (e.g. stop an Erlang port mapper it started). */
  readonly afterStop?: () => void;
}

/** Whether `command` can be run on this machine. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a server on a loopback port and resolves once it accepts TCP connections. Polled on
 * purpose: the server is another program, and its readiness is only observable from outside.
 */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const directory = mkdtempSync(join(tmpdir(), `${spec.name}-`));
  let output = '';
  const child = spawn(spec.command, spec.args(directory), {
    cwd: directory,
    env: { ...process.env, ...spec.env?.(directory) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      await exited(child);
    } finally {
      clearTimeout(killer);
      spec.afterStop?.();
      rmSync(directory, { recursive: true, force: true });
    }
  };
  const deadline = performance.now() + (spec.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${spec.name} exited before it listened:\n${output}`);
      }
      if (await (spec.ready ?? (() => accepts(spec.port)))()) break;
      if (performance.now() > deadline) {
        throw new Error(`${spec.name} did not listen on ${spec.port} in time:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { name: spec.name, port: spec.port, directory, output: () => output, stop };
}
