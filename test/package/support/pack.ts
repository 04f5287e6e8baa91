import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mustRun } from '../../support/run-command.js';

/** The repository root: Jest runs from it. */
export const projectRoot = resolve(process.cwd());

/** The tarball `npm pack` made of the built package, in a temporary folder of its own. */
export interface PackedPackage {
  tarball: string;
  /** Paths inside the package, as `npm pack` lists them. */
  files: string[];
  /** Removes the tarball's folder. */
  remove(): Promise<void>;
}

/**
 * Packs the package exactly as `npm publish` would (its "files", its package.json), from the
 * build `npm run build:lib` made: `--ignore-scripts` keeps `prepack` from building a second time.
 */
export async function packPackage(): Promise<PackedPackage> {
  if (!existsSync(join(projectRoot, 'dist', 'cjs', 'index.js'))) {
    throw new Error('dist/ is missing or stale: run `npm run build:lib` first');
  }
  const folder = await mkdtemp(join(tmpdir(), 'nestjs-async-lifecycle-pack-'));
  try {
    const { stdout } = await mustRun(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', folder],
      { cwd: projectRoot, timeoutMs: 120_000 },
    );
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    return {
      tarball: join(folder, packed.filename),
      files: packed.files.map((file) => file.path),
      remove: () => rm(folder, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}
