import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareConsumer, printed, type ConsumerProject } from './support/consumer-project.js';
import { packPackage, type PackedPackage } from './support/pack.js';

// A cold cache installs the consumer's dependencies from the registry first.
const SETUP_MS = 15 * 60_000;
const STEP_MS = 3 * 60_000;

describe('a CommonJS Nest 11 application set up like `nest new`, using the packed package', () => {
  let packed: PackedPackage | undefined;
  let consumer: ConsumerProject | undefined;

  beforeAll(async () => {
    packed = await packPackage();
    consumer = await prepareConsumer('cjs-nest11', packed.tarball);
  }, SETUP_MS);

  afterAll(async () => {
    await consumer?.release();
    await packed?.remove();
  });

  function app(): ConsumerProject {
    if (consumer === undefined) throw new Error('the consumer was not prepared (see beforeAll)');
    return consumer;
  }

  it.each([
    ['node (node10)', 'tsconfig.json', 'dist'],
    ['node16', 'tsconfig.node16.json', 'dist-node16'],
  ])(
    'compiles with declaration: true under moduleResolution %s, naming task handles from the package root',
    async (_, tsconfig, outDir) => {
      const result = await app().node(['node_modules/typescript/bin/tsc', '-p', tsconfig]);

      expect(result).toMatchObject({ code: 0, stdout: '' });
      const declarations = await readFile(join(app().dir, outDir, 'jobs.service.d.ts'), 'utf8');
      expect(declarations).toContain(
        'readonly poller: import("nestjs-async-lifecycle").ManagedTaskHandle<string>;',
      );
      expect(declarations).toContain(
        'startExport(id: string): import("nestjs-async-lifecycle").ManagedTaskHandle<string>;',
      );
    },
    STEP_MS,
  );

  it.each([
    ['node (node10)', 'jest.config.js'],
    ['node16', 'jest.node16.config.js'],
  ])(
    'passes its own Jest suite (ts-jest, CommonJS) under moduleResolution %s',
    async (_, config) => {
      const result = await app().node([
        'node_modules/jest/bin/jest.js',
        '--ci',
        '--config',
        config,
      ]);

      expect(result).toMatchObject({ code: 0 });
      expect(result.stderr).toMatch(/^Tests: +3 passed, 3 total$/m);
    },
    STEP_MS,
  );

  it(
    'loads with a plain require() from a .cjs file: an application context runs a task and reports it',
    async () => {
      const result = await app().node(['require-check.cjs']);

      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(printed(result, 'RESOLVED ')).toMatch(
        /[\\/]node_modules[\\/]nestjs-async-lifecycle[\\/]dist[\\/]cjs[\\/]index\.js$/,
      );
      expect(printed(result, 'TASK ')).toBe('stopped');
      expect(JSON.parse(printed(result, 'REPORT ') ?? 'null')).toMatchObject({
        reason: 'close',
        outcome: 'clean',
        total: 1,
        cancelled: 1,
        tasks: [expect.objectContaining({ name: 'required', state: 'cancelled' })],
      });
    },
    STEP_MS,
  );
});
