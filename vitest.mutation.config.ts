import { defineConfig } from 'vitest/config';

// The tests `npm run test:mutation` (Stryker, stryker.config.mjs) runs against each mutant of the container's
// read/verify code, the manifest and extraction: the check matrix, in process (the CLI runs dist/, not the mutant).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/container/check-matrix.test.ts'],
    env: { PANINI_MATRIX_IN_PROCESS: '1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
