import { afterEach, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../../lib/primitives/write-json-atomic.js';
import { expectSame, hostileValues } from './support/hostile-values.js';

const roots: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'write-json-atomic-'));
  roots.push(dir);
  return dir;
}

afterEach(async () => {
  for (const root of roots.splice(0)) {
    // A read-only directory must be writable again before its contents can be removed.
    await chmod(join(root, 'read-only'), 0o700).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
});

/**
 * A target whose directory refuses the write: a read-only directory, or — where permissions do
 * not stop the current user (root) — a path under a regular file, which fails for everyone.
 */
async function unwritableTarget(root: string): Promise<{ path: string; code: string }> {
  const readOnly = join(root, 'read-only');
  await mkdir(readOnly);
  await chmod(readOnly, 0o500);
  const permissionsApply = await writeFile(join(readOnly, 'probe'), '').then(
    () => false,
    () => true,
  );
  if (permissionsApply) return { path: join(readOnly, 'report.json'), code: 'EACCES' };
  await rm(join(readOnly, 'probe'));
  const file = join(root, 'plain-file');
  await writeFile(file, 'not a directory');
  return { path: join(file, 'report.json'), code: 'ENOTDIR' };
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error))
    throw new Error(`expected a rejection with an Error, got ${String(error)}`);
  return error;
}

function openFileDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('writeJsonAtomic', () => {
  it('writes pretty JSON with a final newline, and leaves no temp file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'report.json');
    const data = { reason: 'SIGTERM', tasks: [{ name: 'poller', state: 'cancelled' }] };

    await writeJsonAtomic(path, data);

    await expect(readFile(path, 'utf8')).resolves.toBe(`${JSON.stringify(data, null, 2)}\n`);
    await expect(readdir(dir)).resolves.toEqual(['report.json']);
  });

  it('replaces an existing file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'report.json');
    await writeFile(path, 'x'.repeat(10_000));

    await writeJsonAtomic(path, { version: 2 });

    await expect(readFile(path, 'utf8')).resolves.toBe('{\n  "version": 2\n}\n');
    await expect(readdir(dir)).resolves.toEqual(['report.json']);
  });

  it('never shows a torn file to a reader polling it during many writes', async () => {
    const dir = await tempDir();
    const path = join(dir, 'state.json');
    // Large enough that a non-atomic write is visible half-done.
    const payload = (version: number) => ({
      version,
      items: Array.from({ length: 2000 }, (_, i) => `item-${version}-${i}`),
    });
    await writeJsonAtomic(path, payload(0));

    let writing = true;
    const seen: number[] = [];
    const torn: string[] = [];
    const reader = (async () => {
      while (writing) {
        const text = await readFile(path, 'utf8');
        try {
          const parsed = JSON.parse(text) as ReturnType<typeof payload>;
          if (parsed.items.length !== 2000) torn.push(`${parsed.items.length} items`);
          seen.push(parsed.version);
        } catch {
          torn.push(`${text.length} bytes: ${text.slice(-20)}`);
        }
      }
    })();
    try {
      for (let version = 1; version <= 150; version++)
        await writeJsonAtomic(path, payload(version));
    } finally {
      writing = false;
      await reader;
    }

    expect(torn).toEqual([]);
    expect(seen.length).toBeGreaterThan(10);
    expect(new Set(seen).size).toBeGreaterThan(1);
    await expect(readdir(dir)).resolves.toEqual(['state.json']);
  });

  it('lets concurrent writers to one path each succeed; one whole version wins', async () => {
    const dir = await tempDir();
    const path = join(dir, 'state.json');

    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        writeJsonAtomic(path, { writer: i, pad: 'x'.repeat(5000) }),
      ),
    );

    const final = JSON.parse(await readFile(path, 'utf8')) as { writer: number };
    expect(final.writer).toBeGreaterThanOrEqual(0);
    expect(final.writer).toBeLessThan(20);
    await expect(readdir(dir)).resolves.toEqual(['state.json']);
  });

  it('rejects naming the path and the cause when the directory does not exist', async () => {
    const dir = await tempDir();
    const path = join(dir, 'missing', 'report.json');

    const error = await failureOf(writeJsonAtomic(path, { ok: true }));

    expect(error.message).toMatch(`Could not write JSON to "${path}": the write failed (ENOENT`);
    expect(error.cause).toMatchObject({ code: 'ENOENT' });
    // The temp file goes next to the target (same file system, so the rename is atomic).
    expect(error.message).toContain(
      `open '${join(dir, 'missing', `.report.json.${process.pid}.`)}`,
    );
    expect(error.message).toMatch(/\.[0-9a-f]{12}\.tmp'\)$/);
    await expect(readdir(dir)).resolves.toEqual([]);
  });

  it('rejects naming the path and the cause when the directory is not writable', async () => {
    const root = await tempDir();
    const { path, code } = await unwritableTarget(root);

    const error = await failureOf(writeJsonAtomic(path, { ok: true }));

    expect(error.message).toMatch(`Could not write JSON to "${path}": the write failed (${code}`);
    expect(error.cause).toMatchObject({ code });
  });

  it('removes the temp file when the rename fails, and leaves the target alone', async () => {
    const dir = await tempDir();
    // A directory in the way: the temp file is written, then the rename over it fails.
    const path = join(dir, 'report.json');
    await mkdir(path);
    await writeFile(join(path, 'keep.txt'), 'kept');

    const error = await failureOf(writeJsonAtomic(path, { ok: true }));

    expect(error.message).toMatch(`Could not write JSON to "${path}": the write failed (`);
    expect(error.cause).toMatchObject({ code: expect.stringMatching(/^E(ISDIR|NOTEMPTY|EXIST)$/) });
    await expect(readdir(dir)).resolves.toEqual(['report.json']);
    await expect(readdir(path)).resolves.toEqual(['keep.txt']);
  });

  it.each([
    ['a BigInt', { total: 10n }, 'BigInt'],
    [
      'a cycle',
      (() => {
        const node: { self?: unknown } = {};
        node.self = node;
        return node;
      })(),
      'circular',
    ],
    [
      'a toJSON that throws',
      {
        toJSON: () => {
          throw new Error('secret redaction failed');
        },
      },
      'secret redaction failed',
    ],
  ])(
    'rejects data with %s, naming the path and the cause, and keeps the old file',
    async (_, data, cause) => {
      const dir = await tempDir();
      const path = join(dir, 'report.json');
      await writeJsonAtomic(path, { version: 1 });

      const error = await failureOf(writeJsonAtomic(path, data));

      expect(error.message).toMatch(
        `Could not write JSON to "${path}": the data cannot be serialised (`,
      );
      expect(error.message).toContain(cause);
      expect(error.cause).toBeInstanceOf(Error);
      await expect(readFile(path, 'utf8')).resolves.toBe('{\n  "version": 1\n}\n');
      await expect(readdir(dir)).resolves.toEqual(['report.json']);
    },
  );

  it.each(hostileValues)(
    'rejects data whose toJSON throws %s with an Error naming the path, that very value as its cause',
    async (_label, make) => {
      const dir = await tempDir();
      const path = join(dir, 'report.json');
      const thrown = make();

      const error = await failureOf(
        writeJsonAtomic(path, {
          toJSON: () => {
            throw thrown;
          },
        }),
      );

      expect(error.message).toMatch(
        `Could not write JSON to "${path}": the data cannot be serialised (`,
      );
      expectSame(error.cause, thrown);
      await expect(readdir(dir)).resolves.toEqual([]);
    },
  );

  it.each([
    [undefined, 'undefined'],
    [() => 1, '[function anonymous]'],
  ])(
    'rejects data with no JSON form (%p) with a TypeError naming the path',
    async (data, shown) => {
      const dir = await tempDir();
      const path = join(dir, 'report.json');

      const error = await failureOf(writeJsonAtomic(path, data));

      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe(
        `Could not write JSON to "${path}": the data has no JSON form (${shown})`,
      );
      await expect(readdir(dir)).resolves.toEqual([]);
    },
  );

  it('closes every file handle it opens, after successes and failures alike', async () => {
    const dir = await tempDir();
    const path = join(dir, 'report.json');
    await mkdir(join(dir, 'in-the-way'));
    await writeJsonAtomic(path, { warm: true });
    const before = openFileDescriptors();

    for (let i = 0; i < 20; i++) {
      await writeJsonAtomic(path, { i });
      await failureOf(writeJsonAtomic(join(dir, 'in-the-way'), { i }));
      await failureOf(writeJsonAtomic(path, { i: BigInt(i) }));
    }

    expect(openFileDescriptors()).toBe(before);
    await expect(readdir(dir).then((names) => names.sort())).resolves.toEqual([
      'in-the-way',
      'report.json',
    ]);
  });
});
