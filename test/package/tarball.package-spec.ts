import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mustRun } from '../support/run-command.js';
import { packPackage, projectRoot, type PackedPackage } from './support/pack.js';

interface Manifest {
  main: string;
  types: string;
  exports: Record<string, string | Record<string, Record<string, string>>>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

/** Every file path a manifest field or an export condition points at, without its "./". */
function targetsOf(manifest: Manifest): string[] {
  const targets = [manifest.main, manifest.types];
  for (const entry of Object.values(manifest.exports)) {
    if (typeof entry === 'string') targets.push(entry);
    else for (const condition of Object.values(entry)) targets.push(...Object.values(condition));
  }
  return targets.map((target) => target.replace(/^\.\//, ''));
}

describe('the packed tarball', () => {
  let packed: PackedPackage | undefined;
  let unpacked: string | undefined;
  let manifest: Manifest;

  beforeAll(async () => {
    packed = await packPackage();
    unpacked = await mkdtemp(join(tmpdir(), 'nestjs-async-lifecycle-unpacked-'));
    await mustRun('tar', ['-xzf', packed.tarball, '-C', unpacked], {
      cwd: unpacked,
      timeoutMs: 60_000,
    });
    const text = await readFile(join(unpacked, 'package', 'package.json'), 'utf8');
    manifest = JSON.parse(text) as Manifest;
  }, 180_000);

  afterAll(async () => {
    if (unpacked !== undefined) await rm(unpacked, { recursive: true, force: true });
    await packed?.remove();
  });

  function files(): string[] {
    if (packed === undefined) throw new Error('not packed (see beforeAll)');
    return packed.files;
  }

  function packageDir(): string {
    if (unpacked === undefined) throw new Error('not unpacked (see beforeAll)');
    return join(unpacked, 'package');
  }

  it('holds the two builds, their package.json "type" markers, the README and nothing else', () => {
    const allowed = /^(README\.md|package\.json|dist\/(esm|cjs)\/(package\.json|.+\.(js|d\.ts)))$/;
    expect(files().filter((file) => !allowed.test(file))).toEqual([]);
    const build = (name: string) =>
      files()
        .filter((file) => file.startsWith(`dist/${name}/`))
        .map((file) => file.slice(`dist/${name}/`.length))
        .sort();
    expect(build('cjs')).toEqual(build('esm'));
    expect(build('esm')).toEqual(
      expect.arrayContaining(['package.json', 'index.js', 'index.d.ts']),
    );
  });

  it('marks dist/esm as ES modules and dist/cjs as CommonJS', async () => {
    const typeOf = async (build: string) => {
      const marker = await readFile(join(packageDir(), 'dist', build, 'package.json'), 'utf8');
      return (JSON.parse(marker) as { type: string }).type;
    };
    expect(await typeOf('esm')).toBe('module');
    expect(await typeOf('cjs')).toBe('commonjs');
  });

  it('has every file that main, types and the exports conditions point at', () => {
    expect(targetsOf(manifest).filter((target) => !files().includes(target))).toEqual([]);
    expect(manifest.exports['.']).toEqual({
      import: { types: './dist/esm/index.d.ts', default: './dist/esm/index.js' },
      require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
    });
  });

  it('ships no source maps and no reference to one', async () => {
    expect(files().filter((file) => file.endsWith('.map'))).toEqual([]);
    const referencing: string[] = [];
    for (const file of files()) {
      const text = await readFile(join(packageDir(), file), 'utf8');
      if (text.includes('sourceMappingURL')) referencing.push(file);
    }
    expect(referencing).toEqual([]);
  });

  it('declares @nestjs/terminus as an optional peer, and Nest 11 or 12', () => {
    expect(manifest.peerDependenciesMeta['@nestjs/terminus']).toEqual({ optional: true });
    for (const name of ['@nestjs/common', '@nestjs/core', '@nestjs/terminus']) {
      expect(manifest.peerDependencies[name]).toBe('^11.0.0 || ^12.0.0');
    }
  });

  it('declares @nestjs/schedule as an optional peer: 6 (Nest 11) or 12', () => {
    expect(manifest.peerDependenciesMeta['@nestjs/schedule']).toEqual({ optional: true });
    expect(manifest.peerDependencies['@nestjs/schedule']).toBe('^6.0.0 || ^12.0.0');
  });

  it('exports the same names from its CommonJS and its ESM build', async () => {
    const script = [
      "const cjs = Object.keys(require('./dist/cjs/index.js')).filter((k) => k !== '__esModule');",
      "import('./dist/esm/index.js').then((esm) => console.log(JSON.stringify({ cjs: cjs.sort(), esm: Object.keys(esm).sort() })));",
    ].join('\n');
    const { stdout } = await mustRun(process.execPath, ['-e', script], {
      cwd: projectRoot,
      timeoutMs: 60_000,
    });
    const { cjs, esm } = JSON.parse(stdout) as { cjs: string[]; esm: string[] };
    expect(cjs).toEqual(esm);
    expect(esm).toEqual(expect.arrayContaining(['AsyncLifecycleModule', 'LifecycleCoordinator']));
  });
});
