// Builds the dual package from the one lib/: dist/esm (ES modules) and dist/cjs (CommonJS), each
// with its own declarations, each marked by a package.json "type" so that Node and TypeScript
// read its files in the right format whatever the root package.json says.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const cjsStage = join(root, '.tmp', 'build-cjs');

function compile(project) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`tsc -p ${project} failed (${signal ?? code})`)),
    );
  });
}

function writePackageType(dir, type) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ type })}\n`);
}

// A stale file from an earlier layout must never reach the tarball.
rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(cjsStage, { recursive: true, force: true });
cpSync(join(root, 'lib'), join(cjsStage, 'lib'), { recursive: true });
writePackageType(cjsStage, 'commonjs');

// Two independent compilations: run them side by side.
const results = await Promise.allSettled([
  compile('tsconfig.build.json'),
  compile('tsconfig.build-cjs.json'),
]);
rmSync(cjsStage, { recursive: true, force: true });
const failed = results.filter((result) => result.status === 'rejected');
if (failed.length > 0) {
  for (const { reason } of failed) console.error(String(reason));
  process.exit(1);
}
writePackageType(join(root, 'dist', 'esm'), 'module');
writePackageType(join(root, 'dist', 'cjs'), 'commonjs');
