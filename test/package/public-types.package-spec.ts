import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { projectRoot } from './support/pack.js';
import { unnamedPublicTypes } from './support/unnamed-public-types.js';

describe('the public declarations', () => {
  it.each(['esm', 'cjs'])(
    'name every interface, class and enum they use from the package root (dist/%s)',
    (build) => {
      expect(unnamedPublicTypes(join(projectRoot, 'dist', build, 'index.d.ts'))).toEqual([]);
    },
  );
});
