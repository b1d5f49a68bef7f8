// Two projects: `unit` needs nothing running; `integration` talks to the real native stack,
// which its global setup starts when it is not already up (and its teardown stops again).
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/.stack/'],
};

module.exports = {
  reporters: ['default', '<rootDir>/stack/jest/closing-line-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.test.ts'], testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.test\\.ts$'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      globalSetup: '<rootDir>/stack/jest/global-setup.ts',
      globalTeardown: '<rootDir>/stack/jest/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/stack/jest/integration-timeout.ts'],
    },
  ],
};
