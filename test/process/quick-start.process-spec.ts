import { afterEach, describe, expect, it } from '@jest/globals';
import { startScript, type ChildRun } from '../support/child-process.js';

describe('the README quick start, compiled, in a real process', () => {
  let run: ChildRun | undefined;

  afterEach(async () => {
    await run?.close();
    run = undefined;
  });

  it('on Ctrl+C (SIGINT) stops the task, releases the lock, logs the report and exits 0', async () => {
    run = startScript('sample/02-quick-start/main.js', { NO_COLOR: '1', PORT: '0' });
    // The runner's first job starts at bootstrap, before this line: one is always in flight.
    await run.waitFor(/^Listening\. Press Ctrl\+C/);
    run.child.kill('SIGINT');
    const { code } = await run.exited;

    expect(code).toBe(0);
    expect(run.lines).toContainEqual(expect.stringMatching(/^job \d+ cancelled: lock released$/));
    expect(run.lines).toContain('runner stopped with 0 lock(s) held');
    expect(run.lines).toContainEqual(expect.stringContaining('Shutdown (SIGINT) clean in'));
    expect(run.lines).toContainEqual(
      expect.stringMatching(/^ +3 HIGH +JobRunner\.run +cancelled grace ok +\|/),
    );
    expect(run.errorOutput).toBe('');
  }, 20_000); // start-up, the quick start's 5 s graceful budget and a margin
});
