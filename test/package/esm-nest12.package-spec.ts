import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandResult } from '../support/run-command.js';
import { prepareConsumer, printed, type ConsumerProject } from './support/consumer-project.js';
import { packPackage, type PackedPackage } from './support/pack.js';

// A cold cache installs the consumer's dependencies from the registry first.
const SETUP_MS = 15 * 60_000;
const STEP_MS = 3 * 60_000;

describe('an ES module Nest 12 application without @nestjs/terminus, using the packed package', () => {
  let packed: PackedPackage | undefined;
  let consumer: ConsumerProject | undefined;
  let compiled: CommandResult | undefined;

  beforeAll(async () => {
    packed = await packPackage();
    consumer = await prepareConsumer('esm-nest12', packed.tarball);
    // TypeScript 7 (what `npm i typescript` installs), NodeNext, declaration: true.
    compiled = await consumer.node(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
  }, SETUP_MS);

  afterAll(async () => {
    await consumer?.release();
    await packed?.remove();
  });

  function app(): ConsumerProject {
    if (consumer === undefined) throw new Error('the consumer was not prepared (see beforeAll)');
    return consumer;
  }

  it('installs without @nestjs/terminus: npm does not add the optional peer', () => {
    expect(existsSync(join(app().dir, 'node_modules', 'nestjs-async-lifecycle'))).toBe(true);
    expect(existsSync(join(app().dir, 'node_modules', '@nestjs', 'terminus'))).toBe(false);
  });

  it('compiles with TypeScript 7 and declaration: true, naming task handles from the package root', async () => {
    expect(compiled).toMatchObject({ code: 0, stdout: '' });
    const declarations = await readFile(join(app().dir, 'dist', 'jobs.service.d.ts'), 'utf8');
    expect(declarations).toContain(
      'startPoller(): import("nestjs-async-lifecycle").ManagedTaskHandle<string>;',
    );
  });

  it(
    'runs over HTTP from the ESM build: health up, then app.close() cancels the task and reports it',
    async () => {
      const result = await app().node(['dist/main.js']);

      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(printed(result, 'RESOLVED ')).toMatch(
        /\/node_modules\/nestjs-async-lifecycle\/dist\/esm\/index\.js$/,
      );
      expect(JSON.parse(printed(result, 'HEALTH ') ?? 'null')).toMatchObject({
        status: 200,
        body: { lifecycle: { status: 'up', state: 'running' } },
      });
      expect(printed(result, 'TASK ')).toBe('stopped');
      expect(JSON.parse(printed(result, 'REPORT ') ?? 'null')).toMatchObject({
        reason: 'close',
        outcome: 'clean',
        total: 1,
        cancelled: 1,
        tasks: [expect.objectContaining({ name: 'poller', state: 'cancelled' })],
      });
    },
    STEP_MS,
  );

  it(
    'loads with a plain require() from a .cjs file: the CommonJS build on ESM-only Nest 12',
    async () => {
      const result = await app().node(['require-check.cjs']);

      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(printed(result, 'RESOLVED ')).toMatch(
        /[\\/]node_modules[\\/]nestjs-async-lifecycle[\\/]dist[\\/]cjs[\\/]index\.js$/,
      );
      expect(printed(result, 'TASK ')).toBe('stopped');
      expect(JSON.parse(printed(result, 'REPORT ') ?? 'null')).toMatchObject({
        outcome: 'clean',
        tasks: [expect.objectContaining({ name: 'required', state: 'cancelled' })],
      });
    },
    STEP_MS,
  );
});
