// `npm run test:nest11`: the e2e suite against Nest 11 and Terminus 11. Installs that set once
// into the test cache (outside the checkout), then runs Jest's e2e project with every
// `@nestjs/*` import, from the tests and from lib/ alike, mapped to it (see jest.config.ts).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cacheRoot, installDependencies } from '../test/support/dependency-cache.js';
import { withDirLock } from '../test/support/dir-lock.js';

const NEST_11 = {
  name: 'nestjs-async-lifecycle-nest11',
  private: true,
  version: '0.0.0',
  description: 'The Nest 11 packages the e2e suite runs against in `npm run test:nest11`.',
  license: 'MIT',
  dependencies: {
    '@nestjs/common': '11.2.10',
    '@nestjs/core': '11.2.10',
    '@nestjs/microservices': '11.2.6',
    '@nestjs/platform-express': '11.2.10',
    '@nestjs/platform-fastify': '11.2.8',
    // The @nestjs/schedule a Nest 11 application has; 12.x runs on Nest 12 in the main run.
    '@nestjs/schedule': '6.1.3',
    '@nestjs/platform-socket.io': '11.2.6',
    '@nestjs/platform-ws': '11.2.6',
    '@nestjs/terminus': '11.1.1',
    '@nestjs/testing': '11.2.6',
    '@nestjs/websockets': '11.2.6',
    'reflect-metadata': '0.2.2',
    rxjs: '7.8.2',
  },
};

function runE2e(nestModules: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'test:jest', '--', '--selectProjects', 'e2e'], {
      stdio: 'inherit',
      env: { ...process.env, NEST_MODULES_DIR: nestModules },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

const dir = join(cacheRoot(), 'nest11');
const code = await withDirLock(`${dir}.lock`, async () => {
  if (await installDependencies(dir, NEST_11)) console.log(`Installed Nest 11 into ${dir}`);
  return runE2e(join(dir, 'node_modules'));
});
process.exitCode = code;
