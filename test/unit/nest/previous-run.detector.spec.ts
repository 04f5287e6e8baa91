import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PreviousRunDetector, runMarkerPath } from '../../../lib/nest/previous-run.detector.js';

describe('PreviousRunDetector', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function reportFile(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'previous-run-'));
    dirs.push(dir);
    return join(dir, 'report.json');
  }

  it('first boot: nothing found, a marker with this pid left beside reportFile; finish() removes it', async () => {
    const path = await reportFile();
    const detector = new PreviousRunDetector();

    expect(await detector.detect(path)).toEqual({ unreported: undefined, problem: undefined });
    const marker = JSON.parse(await readFile(runMarkerPath(path), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(marker).toMatchObject({ version: 1, pid: process.pid, hostname: hostname() });
    detector.finish();
    expect(existsSync(runMarkerPath(path))).toBe(false);
    expect(detector.unreportedRun).toBeUndefined();
  });

  it('a marker left by another process is an unreported run — even with this pid (containers: pid 1 each run)', async () => {
    const path = await reportFile();
    const previous = {
      version: 1,
      pid: process.pid,
      startedAt: '2026-11-30T22:14:03.120Z',
      hostname: 'pod-a',
    };
    await writeFile(runMarkerPath(path), JSON.stringify(previous));
    const detector = new PreviousRunDetector();

    const { unreported } = await detector.detect(path);

    const expected = {
      pid: process.pid,
      startedAt: previous.startedAt,
      hostname: 'pod-a',
      markerFile: runMarkerPath(path),
    };
    expect(unreported).toEqual(expected);
    expect(detector.unreportedRun).toEqual(expected);
    detector.finish();
  });

  it('another application of this same process is not a previous run', async () => {
    const path = await reportFile();
    const first = new PreviousRunDetector();
    await first.detect(path);
    const second = new PreviousRunDetector();

    expect((await second.detect(path)).unreported).toBeUndefined();
    first.finish();
    second.finish();
  });

  it('a foreign or torn marker is ignored; an unwritable directory is a problem, not a throw', async () => {
    const path = await reportFile();
    await writeFile(runMarkerPath(path), '{"pid": ');
    expect((await new PreviousRunDetector().detect(path)).unreported).toBeUndefined();

    const missing = join(path, 'nowhere', 'report.json');
    const result = await new PreviousRunDetector().detect(missing);
    expect(result.unreported).toBeUndefined();
    expect(result.problem).toMatch(/ENOTDIR|ENOENT/);
  });
});
