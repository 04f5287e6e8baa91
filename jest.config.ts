import type { Config } from 'jest';
import { availableParallelism } from 'node:os';

type ProjectConfig = NonNullable<Config['projects']>[number] & object;

// Nest 12 and terminus 12 are ESM-only, so every project runs in Jest's ESM mode.
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
  setupFilesAfterEnv: ['<rootDir>/test/setup/no-leaks.setup.ts'],
} satisfies ProjectConfig;

// `npm run test:nest11` sets this to a Nest 11 node_modules: the e2e suite, and lib/ under it,
// then load every @nestjs/* package from there instead of the project's Nest 12.
const nestModules = process.env.NEST_MODULES_DIR;
const e2eModuleNameMapper =
  nestModules === undefined
    ? shared.moduleNameMapper
    : { ...shared.moduleNameMapper, '^@nestjs/(.*)$': `${nestModules}/@nestjs/$1` };

const config: Config = {
  // Jest's 5 s default is too tight for a test that boots a Nest app or forks a process on a
  // busy 2-core machine (load averages of 15–20 seen while the suite runs beside other work);
  // specs that need longer say so themselves.
  testTimeout: 15_000,
  // Most suites wait on child processes, sockets and brokers rather than the CPU: two side by
  // side on a 2-core machine (Jest's default is one there) took the suite from 558 s to 270 s.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      moduleNameMapper: e2eModuleNameMapper,
    },
    {
      ...shared,
      // Real brokers (Redis, NATS, RabbitMQ) started by the tests on free loopback ports.
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
    },
    {
      ...shared,
      displayName: 'process',
      testMatch: ['<rootDir>/test/process/**/*.process-spec.ts'],
    },
    {
      ...shared,
      displayName: 'package',
      testMatch: ['<rootDir>/test/package/**/*.package-spec.ts'],
    },
  ],
};

export default config;
