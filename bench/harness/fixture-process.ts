import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A fixture that has not answered within this long fails the run. */
export const FIXTURE_TIMEOUT_MS = 60_000;

/**
 * The compiled fixture `name` (bench/fixtures/<name>.js, next to this harness once built).
 *
 * @example
 * fork(fixturePath('first-abort-raw.fixture'));
 */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));
}

/** A running fixture process and a way to wait for its messages. */
export interface FixtureProcess {
  readonly child: ChildProcess;
  /** The next message `accept` returns a value for, or a rejection when the process exits. */
  next<T>(accept: (message: unknown) => T | undefined): Promise<T>;
  /** Resolves once the process exited; SIGKILLs it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Forks a fixture with this process's Node binary (the one the bench was told to use), its
 * output discarded, an IPC channel open.
 *
 * @example
 * const fixture = startFixture('readiness-raw.fixture', []);
 * const { port } = await fixture.next((m) => (isPort(m) ? m : undefined));
 */
export function startFixture(name: string, args: readonly string[]): FixtureProcess {
  const child = fork(fixturePath(name), [...args], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    next<T>(accept: (message: unknown) => T | undefined): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`${name}: no answer`)), FIXTURE_TIMEOUT_MS);
        const onMessage = (message: unknown): void => {
          const value = accept(message);
          if (value !== undefined) done(undefined, value);
        };
        const onExit = (): void => done(new Error(`${name} exited before answering`));
        function done(error: Error | undefined, value?: T): void {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          if (error === undefined) resolve(value as T);
          else reject(error);
        }
        child.on('message', onMessage);
        child.once('exit', onExit);
      });
    },
    async stop(graceMs = 5_000): Promise<void> {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Resolves after `ms`.
 *
 * @example
 * await pause(50);
 */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
