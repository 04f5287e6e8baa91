import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mustRun } from '../support/run-command.js';
import { projectRoot } from './support/pack.js';

/** Runs `body` in a CommonJS script that has required the built dist/cjs; returns what it printed. */
async function inCommonJs(body: string): Promise<unknown> {
  const script = [
    "const lib = require('./dist/cjs/index.js');",
    'const warnings = [];',
    'const logger = { warn: (message) => warnings.push(message) };',
    `(async () => { ${body} })().then((result) => console.log(JSON.stringify(result)));`,
  ].join('\n');
  const { stdout } = await mustRun(process.execPath, ['-e', script], {
    cwd: projectRoot,
    timeoutMs: 60_000,
  });
  return JSON.parse(stdout);
}

// Compiled with NodeNext under a CommonJS package.json, guardedImport keeps a real import();
// `module: commonjs` would have turned it into require(), which takes no file: URL.
describe('guardedImport in the CommonJS build', () => {
  it('warns and resolves to undefined for a package that is not installed', async () => {
    const result = await inCommonJs(`
      const value = await lib.guardedImport('async-lifecycle-not-installed', { logger });
      return { value: value === undefined ? 'undefined' : typeof value, warnings };`);

    expect(result).toEqual({
      value: 'undefined',
      warnings: [expect.stringContaining('npm install async-lifecycle-not-installed')],
    });
  });

  it('rejects a required missing package with a MissingDependencyError caused by MODULE_NOT_FOUND', async () => {
    const result = await inCommonJs(`
      const error = await lib.guardedImport('async-lifecycle-not-installed', { required: true })
        .catch((e) => e);
      return { name: error.name, packageName: error.packageName, code: error.cause.code };`);

    expect(result).toEqual({
      name: 'MissingDependencyError',
      packageName: 'async-lifecycle-not-installed',
      code: expect.stringMatching(/MODULE_NOT_FOUND$/),
    });
  });

  it('loads an ES module by file: URL and an ESM-only package (@nestjs/terminus 12)', async () => {
    const fixture = join(projectRoot, 'test/unit/primitives/fixtures/present.mjs');
    const result = await inCommonJs(`
      const present = await lib.guardedImport(${JSON.stringify(pathToFileURL(fixture).href)}, { logger });
      const terminus = await lib.guardedImport('@nestjs/terminus', { logger });
      return { answer: present.answer, terminus: typeof terminus.TerminusModule, warnings };`);

    expect(result).toEqual({ answer: 42, terminus: 'function', warnings: [] });
  });
});
