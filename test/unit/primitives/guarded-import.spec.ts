import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { guardedImport } from '../../../lib/primitives/guarded-import.js';
import { MissingDependencyError } from '../../../lib/primitives/missing-dependency.error.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { expectSame } from './support/hostile-values.js';

const MISSING = 'async-lifecycle-not-installed';
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Lets a macrotask pass: an unhandled rejection surfaces (and fails the test) by then. */
const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('guardedImport', () => {
  // Jest gives each test file its own `process` object, and Node delivers emitted warnings to the
  // real one, so `process.once('warning')` never fires here: the call itself is what we observe.
  let emitWarning: jest.Spied<typeof process.emitWarning>;
  beforeEach(() => {
    emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => {
    emitWarning.mockRestore();
  });

  it('resolves to the namespace of a package that is installed, without a warning', async () => {
    const logger = new RecordingLogger();
    const rxjs = await guardedImport<typeof import('rxjs')>('rxjs', { logger });

    expect(typeof rxjs?.Observable).toBe('function');
    expect(logger.lines).toEqual([]);
    expect(emitWarning).not.toHaveBeenCalled();
  });

  it('resolves a module given by absolute path', async () => {
    await expect(guardedImport(fixture('present.mjs'))).resolves.toMatchObject({ answer: 42 });
  });

  it('resolves to undefined for a missing package, after a warning naming it and the install command', async () => {
    const logger = new RecordingLogger();

    await expect(guardedImport(MISSING, { logger })).resolves.toBeUndefined();

    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message:
          `Optional dependency "${MISSING}" is not installed; the features that need it are ` +
          `disabled. Install it with: npm install ${MISSING}`,
      },
    ]);
    expect(emitWarning).not.toHaveBeenCalled();
  });

  it.each([
    ['@async-lifecycle-missing/adapter/dist/fastify', '@async-lifecycle-missing/adapter'],
    ['@async-lifecycle-missing/adapter', '@async-lifecycle-missing/adapter'],
    [`${MISSING}/sub/path`, MISSING],
  ])('names the package to install for %s: %s', async (specifier, packageName) => {
    const logger = new RecordingLogger();

    await expect(guardedImport(specifier, { logger })).resolves.toBeUndefined();

    const [warning] = logger.messages('warn');
    expect(warning).toContain(`"${packageName}"`);
    expect(warning).toMatch(new RegExp(`npm install ${packageName}$`));
    if (specifier !== packageName) expect(warning).toContain(`(for "${specifier}")`);
  });

  it('warns through process.emitWarning with the code ASYNC_LIFECYCLE_MISSING_PEER when no logger is given', async () => {
    await expect(guardedImport(MISSING)).resolves.toBeUndefined();

    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning).toHaveBeenCalledWith(
      expect.stringContaining(`"${MISSING}" is not installed`),
      { code: 'ASYNC_LIFECYCLE_MISSING_PEER' },
    );
    expect(emitWarning.mock.calls[0][0]).toMatch(`npm install ${MISSING}`);
  });

  it('rejects with a MissingDependencyError for a missing package that is required, without a warning', async () => {
    const logger = new RecordingLogger();
    const specifier = '@async-lifecycle-missing/adapter/sub';

    const error = await guardedImport(specifier, { required: true, logger }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(MissingDependencyError);
    expect(error).toMatchObject({
      isMissingDependencyError: true,
      name: 'MissingDependencyError',
      packageName: '@async-lifecycle-missing/adapter',
      specifier,
      message:
        'Required dependency "@async-lifecycle-missing/adapter" (for "@async-lifecycle-missing/adapter/sub") ' +
        'is not installed. Install it with: npm install @async-lifecycle-missing/adapter',
    });
    expect((error as MissingDependencyError).cause).toMatchObject({
      code: expect.stringMatching(/MODULE_NOT_FOUND$/),
    });
    expect(logger.lines).toEqual([]);
    expect(emitWarning).not.toHaveBeenCalled();
  });

  it('resolves a required package that is installed', async () => {
    const rxjs = await guardedImport<typeof import('rxjs')>('rxjs', { required: true });
    expect(typeof rxjs.firstValueFrom).toBe('function');
  });

  it.each([false, true])(
    'rethrows, unchanged, the error of a module that exists but throws while loading (required: %s)',
    async (required) => {
      const logger = new RecordingLogger();

      const error = await guardedImport(fixture('throws-at-load.mjs'), { required, logger }).catch(
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(Error);
      expect(error).toBe(
        (globalThis as { __guardedImportLoadError?: unknown }).__guardedImportLoadError,
      );
      expect(logger.lines).toEqual([]);
    },
  );

  it.each([false, true])(
    'rethrows this very value when a module throws a hostile one while loading (required: %s)',
    async (required) => {
      const logger = new RecordingLogger();

      const error = await guardedImport(fixture('throws-hostile-at-load.mjs'), {
        required,
        logger,
      }).catch((e: unknown) => e);

      expectSame(
        error,
        (globalThis as { __guardedImportHostileError?: unknown }).__guardedImportHostileError,
      );
      expect(logger.lines).toEqual([]);
    },
  );

  it.each([false, true])(
    'rethrows when a module exists but one of its own imports is missing (required: %s)',
    async (required) => {
      const logger = new RecordingLogger();

      const error = await guardedImport(fixture('imports-missing-package.mjs'), {
        required,
        logger,
      }).catch((e: unknown) => e);

      expect(error).not.toBeInstanceOf(MissingDependencyError);
      expect(error).toMatchObject({
        code: expect.stringMatching(/MODULE_NOT_FOUND$/),
        message: expect.stringContaining("'async-lifecycle-fixture-missing-package'"),
      });
      expect(logger.lines).toEqual([]);
      expect(emitWarning).not.toHaveBeenCalled();
    },
  );

  it('rethrows a not-found error about an import of the module even when its message names the module (Node)', async () => {
    const path = fixture('node-style-missing-import.mjs');

    for (const specifier of [path, pathToFileURL(path).href]) {
      const error = await guardedImport(specifier, { logger: new RecordingLogger() }).catch(
        (e: unknown) => e,
      );
      expect(error).toBe(
        (globalThis as { __guardedImportNodeStyleError?: unknown }).__guardedImportNodeStyleError,
      );
    }
    expect(emitWarning).not.toHaveBeenCalled();
  });

  it('reports a missing module given by path as not found, without an install command', async () => {
    const logger = new RecordingLogger();
    const path = fixture('does-not-exist.mjs');

    const url = pathToFileURL(path).href;

    await expect(guardedImport(path, { logger })).resolves.toBeUndefined();
    await expect(guardedImport(url, { logger })).resolves.toBeUndefined();
    expect(logger.messages('warn')).toEqual([
      `Optional module "${path}" was not found; the features that need it are disabled`,
      `Optional module "${url}" was not found; the features that need it are disabled`,
    ]);
  });

  it('looks again on every call (nothing cached) and leaves no rejection behind', async () => {
    const logger = new RecordingLogger();

    const results = await Promise.all([
      guardedImport(MISSING, { logger }),
      guardedImport(MISSING, { logger }),
      guardedImport('rxjs', { logger }),
    ]);
    await nextMacrotask();

    expect(results.map((r) => r === undefined)).toEqual([true, true, false]);
    expect(logger.messages('warn')).toHaveLength(2);
  });
});

describe('MissingDependencyError', () => {
  it('names the package and the install command; the specifier defaults to the package', () => {
    const cause = new Error('Cannot find package');
    const error = new MissingDependencyError('@nestjs/terminus', { cause });

    expect(error).toMatchObject({
      isMissingDependencyError: true,
      name: 'MissingDependencyError',
      packageName: '@nestjs/terminus',
      specifier: '@nestjs/terminus',
      cause,
      message:
        'Required dependency "@nestjs/terminus" is not installed. Install it with: npm install @nestjs/terminus',
    });
    expect(error).toBeInstanceOf(Error);
  });
});
