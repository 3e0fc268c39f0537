import { cpSync, readFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
// optional packages loaded on use, never bundled: the Redis queue's client (optional peers) and the SQLite addon
const OPTIONAL = ['bullmq', 'ioredis', 'better-sqlite3'];

// The browser worker (src/workers/worker-web.ts) as one minified classic script, embedded as a string in the
// library build (define __PANINI_WEB_WORKER__), so pool-web.ts can start it from a Blob URL: no extra file to serve,
// nothing for application bundlers to resolve. esbuild is tsup's own bundler. Needs the wasm core generated first
// (`npm run build` runs scripts/build-wasm.mjs before tsup).
const webWorker = buildSync({
  entryPoints: ['src/workers/worker-web.ts'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  write: false,
  legalComments: 'none',
}).outputFiles[0]!.text;

export default defineConfig([
  {
    // library: browser-safe entry and Node entry, ESM + CJS, with declarations
    entry: { index: 'src/index.ts', node: 'src/node.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^node:/, ...OPTIONAL],
    splitting: false,
    define: { __PANINI_VERSION__: JSON.stringify(version), __PANINI_WEB_WORKER__: JSON.stringify(webWorker) },
    // pool-node.ts finds dist/worker.cjs through __dirname in the CJS build, import.meta.url in the ESM one
    esbuildOptions(options, { format }) {
      options.define = { ...options.define, __PANINI_CJS__: format === 'cjs' ? 'true' : 'false' };
    },
  },
  {
    // the Node worker thread of the chunk-coding pool (src/workers/pool-node.ts starts dist/worker.cjs)
    entry: { worker: 'src/workers/worker-node.ts' },
    format: ['cjs'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    external: OPTIONAL,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    define: { __PANINI_VERSION__: JSON.stringify(version), __PANINI_CJS__: 'false' },
    // the job server's dashboard (plain HTML, one ES module, CSS; no build step) next to the bundled CLI, where
    // src/server/server.ts looks for it (new URL('./ui/', import.meta.url))
    async onSuccess() {
      cpSync('src/server/ui', 'dist/ui', { recursive: true });
    },
  },
]);
