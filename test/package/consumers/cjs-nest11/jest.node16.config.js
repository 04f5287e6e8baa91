// The same tests, compiled with moduleResolution node16.
const base = require('./jest.config.js');

module.exports = {
  ...base,
  transform: { '^.+\\.(t|j)s$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.node16.json' }] },
};
