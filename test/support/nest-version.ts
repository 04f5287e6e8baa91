import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The major version of the Nest the tests run against: the project's own, or the one
 * `npm run test:nest11` maps every `@nestjs/*` import to (NEST_MODULES_DIR, see jest.config.ts).
 */
export const nestMajor: number = (() => {
  const modules = process.env.NEST_MODULES_DIR ?? join(process.cwd(), 'node_modules');
  const manifest = readFileSync(join(modules, '@nestjs', 'core', 'package.json'), 'utf8');
  return Number((JSON.parse(manifest) as { version: string }).version.split('.')[0]);
})();
