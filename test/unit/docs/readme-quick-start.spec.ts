import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

describe('README', () => {
  it('shows the quick start exactly as sample/02-quick-start/main.ts, which CI compiles and runs', async () => {
    const readme = await readFile(resolve(process.cwd(), 'README.md'), 'utf8');
    const sample = await readFile(resolve(process.cwd(), 'sample/02-quick-start/main.ts'), 'utf8');
    const section = readme.slice(readme.indexOf('## Quick start'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(sample);
  });
});
