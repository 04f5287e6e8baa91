import type { ChildRun } from '../support/child-process.js';

/**
 * Resolves `true` once `test(run.lines)` holds (now or after a later line), `false` once the
 * child exited without it. A listener, not a timer: nothing is left behind when it never holds.
 *
 * @example
 * await whenLines(run, (lines) => lines.filter((l) => l.startsWith('DONE ')).length >= 5);
 */
export function whenLines(run: ChildRun, test: (lines: string[]) => boolean): Promise<boolean> {
  if (test(run.lines)) return Promise.resolve(true);
  const stdout = run.child.stdout;
  if (stdout === null || run.child.exitCode !== null || run.child.signalCode !== null) {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    // ChildRun's own listener was added first: a chunk's lines are in `run.lines` when this runs.
    const onData = (): void => {
      if (test(run.lines)) finish(true);
    };
    const onExit = (): void => finish(test(run.lines));
    const finish = (found: boolean): void => {
      stdout.removeListener('data', onData);
      run.child.removeListener('exit', onExit);
      resolve(found);
    };
    stdout.on('data', onData);
    run.child.once('exit', onExit);
  });
}

/** `whenLines` for the first line matching `pattern`. */
export function nextLine(run: ChildRun, pattern: RegExp): Promise<boolean> {
  return whenLines(run, (lines) => lines.some((line) => pattern.test(line)));
}
