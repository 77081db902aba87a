/**
 * Tests are TypeScript transformed by esbuild (already a build dependency), not ts-jest:
 * typechecking is `npm run typecheck`'s job, and esbuild also turns the ESM-only YDB SDK into
 * CommonJS for Jest's module system.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[cm]?[tj]s$': '<rootDir>/scripts/jest-esbuild-transform.cjs' },
  transformIgnorePatterns: ['/node_modules/(?!(@ydbjs|nice-grpc|abort-controller-x|@bufbuild)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 30000,
};
