import { defineConfig } from 'vitest/config';

// Unit, property, CLI, packaging and browser tests. `npm test` builds first (wasm core + dist/), then runs this.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // the heavy files (32 MiB stability run, npm pack + install, Chromium) take seconds each on 2 cores
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
