import { beforeAll, describe, expect, it } from '@jest/globals';
import { Linter } from 'eslint';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import tseslint from 'typescript-eslint';

type ConfigBlock = { name?: string; files?: string[]; rules?: Linter.RulesRecord };

let config: ConfigBlock[];

beforeAll(async () => {
  // The project's own flat config: the rules under test are the ones `npm run lint` applies.
  const url = pathToFileURL(resolve(process.cwd(), 'eslint.config.mjs')).href;
  config = ((await import(url)) as { default: ConfigBlock[] }).default;
});

/** The layering blocks of eslint.config.mjs, applied to `text` as if it lived at `path`. */
function lint(text: string, path: string): string[] {
  const blocks = config.filter((b) => b.name?.startsWith('layering') === true);
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(
    text,
    [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      ...blocks.map((b) => ({ files: b.files, rules: b.rules })),
    ],
    path,
  );
  return messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('the layering rules of eslint.config.mjs (mutants)', () => {
  it.each([
    ['lib/core/mutant.ts', "import { Injectable } from '@nestjs/common';"],
    ['lib/core/mutant.ts', "import type { INestApplication } from '@nestjs/common';"],
    ['lib/core/mutant.ts', "import { HttpIntake } from '../intake/http/http.intake.js';"],
    ['lib/core/mutant.ts', "import { waitForSafe } from '../primitives/wait-for-safe.js';"],
    ['lib/core/mutant.ts', "import { Server } from 'node:http';"],
    ['lib/primitives/mutant.ts', "import { Logger } from '@nestjs/common';"],
    [
      'lib/primitives/mutant.ts',
      "import { LIFECYCLE_LOGGER } from '../nest/lifecycle-logger.provider.js';",
    ],
  ])('fail %s importing: %s', (path, line) => {
    expect(lint(`${line}\nexport const used = 1;\n`, path)).toEqual([
      expect.stringMatching(/^no-restricted-imports: /),
    ]);
  });

  it.each([
    ['lib/core/mutant.ts', "import { describeError } from './describe.js';"],
    ['lib/primitives/mutant.ts', "import { AbortLink } from '../core/abort-link.js';"],
    ['lib/intake/http/mutant.ts', "import { Server } from 'node:http';"],
    ['lib/nest/mutant.ts', "import { Injectable } from '@nestjs/common';"],
  ])('allow %s importing: %s', (path, line) => {
    expect(lint(`${line}\nexport const used = 1;\n`, path)).toEqual([]);
  });
});
