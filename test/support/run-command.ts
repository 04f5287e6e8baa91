import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';

/** How a command ended and what it printed. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Killed (SIGKILL) past this; the result then says so. */
  timeoutMs: number;
}

/**
 * The environment of a shell opened by hand: without the variables that `npm run` and Jest put
 * into ours (NODE_OPTIONS with --experimental-vm-modules, npm_config_*, the project's
 * node_modules/.bin on PATH), which would make a consumer run differently from a user's.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key.startsWith('JEST_') || key === 'NODE_OPTIONS') continue;
    if (key === 'INIT_CWD' || key === 'NODE_ENV') continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.endsWith(join('node_modules', '.bin')))
    .join(delimiter);
  return { ...env, ...extra };
}

/** The command line and its output, for an error message. */
function describeRun(command: string, args: readonly string[], result: CommandResult): string {
  const status = result.signal === null ? `exit ${result.code}` : `signal ${result.signal}`;
  return `${[command, ...args].join(' ')} (${status})\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Runs a command to its end (or its timeout), collecting its output; never rejects on failure. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env === undefined ? cleanEnv() : cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\n[killed after ${options.timeoutMs} ms]`;
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Like {@link runCommand}, but a non-zero exit rejects with the command and all its output. */
export async function mustRun(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<CommandResult> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) throw new Error(`command failed: ${describeRun(command, args, result)}`);
  return result;
}
