import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { nestMajor } from '../support/nest-version.js';

// `npm run test:nest11` swaps Nest through Jest's moduleNameMapper: a mapping that silently
// stopped applying would run the suite against Nest 12 twice.
describe('the Nest under test', () => {
  it('is the one every @nestjs/* import resolves to', () => {
    const modules = process.env.NEST_MODULES_DIR ?? join(process.cwd(), 'node_modules');
    const resolve = createRequire(import.meta.url).resolve;

    for (const name of ['common', 'core', 'testing', 'terminus', 'platform-fastify']) {
      expect(resolve(`@nestjs/${name}`)).toContain(join(modules, '@nestjs', name));
    }
    expect([11, 12]).toContain(nestMajor);
  });
});
