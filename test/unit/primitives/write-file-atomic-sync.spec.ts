import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../../lib/primitives/write-file-atomic-sync.js';

describe('writeFileAtomicSync', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const made = mkdtempSync(join(tmpdir(), 'atomic-sync-'));
    dirs.push(made);
    return made;
  };

  afterEach(() => {
    for (const made of dirs.splice(0)) rmSync(made, { recursive: true, force: true });
  });

  it('replaces the file with the new text and leaves no temp file', () => {
    const folder = dir();
    const path = join(folder, 'report.json');
    writeFileSync(path, 'old');
    writeFileAtomicSync(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(folder)).toEqual(['report.json']);
  });

  it('throws what the rename threw and removes its temp file', () => {
    const folder = dir();
    // A directory in the file's place: a file cannot be renamed over it (EISDIR).
    const path = join(folder, 'target');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'kept');
    expect(() => writeFileAtomicSync(path, 'new')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(folder)).toEqual(['target']);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('kept');
  });
});
