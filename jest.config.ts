import type { Config } from 'jest';

type ProjectConfig = NonNullable<Config['projects']>[number] & object;

// Nest 12 and terminus 12 are ESM-only, so every project runs in Jest's ESM mode.
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
  setupFilesAfterEnv: ['<rootDir>/test/setup/no-leaks.setup.ts'],
} satisfies ProjectConfig;

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
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
