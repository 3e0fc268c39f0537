// Mutation testing of the verification and path-safety code: `npm run test:mutation` (not part of `npm test`).
// Each mutant of the listed code must make a test of vitest.mutation.config.ts fail; the report is written to
// reports/mutation/ (ignored). Line ranges name the read/verify functions of files that also hold encoders.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // related: false: vitest's related-file search misses the src/ modules the tests import as .js
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/container/read.ts',
    'src/container/verify.ts',
    'src/container/random-access.ts',
    'src/container/walk.ts',
    'src/container/stream-decoder.ts',
    'src/container/format.ts',
    'src/container/manifest.ts',
    // decompress, extract, verify
    'src/container/api.ts:257-350',
    // openVerified, decompressFile, inside, assertNoLinkOnPath, extractTree
    'src/node/container.ts:236-440',
  ],
  coverageAnalysis: 'perTest',
  // AssemblyScript sources are not TypeScript Babel can parse; only src/ is mutated
  disableTypeChecks: 'src/**/*.ts',
  concurrency: 1,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  ignorePatterns: ['dist', '.bench', 'reports', 'coverage', 'build', '.corpus'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
