#!/usr/bin/env node
// Measures panini-fs in a child process of its own (see bench/lib/worker-common.mjs for the protocol):
//   node bench/worker-panini.mjs '{"op":"compress","input":"f","output":"f.pnz","options":{"level":6},"runs":3}'
// It loads the built library (dist/node.js, or $PANINI_BENCH_DIST): run `npm run build` first.
import { pathToFileURL } from 'node:url';
import { runWorker } from './lib/worker-common.mjs';

// bench/run.mjs points this at its snapshot of dist/ (PANINI_BENCH_DIST), so that one build is measured throughout
const DIST = process.env.PANINI_BENCH_DIST ? pathToFileURL(process.env.PANINI_BENCH_DIST) : new URL('../dist/node.js', import.meta.url);
const NEEDED = ['compress', 'decompress', 'compressTree', 'extractTree'];

let lib;
async function load() {
  lib ??= await import(DIST.href);
  return lib;
}

await runWorker({
  async probe() {
    let m;
    try {
      m = await load();
    } catch (e) {
      return { available: false, single: false, tree: false, missing: NEEDED, why: `cannot load dist/node.js: ${e.message}` };
    }
    const missing = NEEDED.filter((k) => typeof m[k] !== 'function');
    let version = null;
    try {
      const { readFile } = await import('node:fs/promises');
      version = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version;
    } catch {
      /* none */
    }
    // which codecs the compress option `codec` accepts (none: the option does not exist in this build)
    const codecs = [];
    await m.init?.();
    if (typeof m.compress === 'function') {
      for (const codec of ['deflate', 'plz', 'dhatu']) {
        try {
          await m.compress(new Uint8Array([1, 2, 3]), { codec });
          codecs.push(codec);
        } catch {
          /* not supported */
        }
      }
    }
    const info = typeof m.coreInfo === 'function' ? m.coreInfo() : null;
    return {
      available: missing.length === 0,
      single: typeof m.compress === 'function' && typeof m.decompress === 'function',
      tree: typeof m.compressTree === 'function' && typeof m.extractTree === 'function',
      missing,
      codecs,
      version,
      core: info,
    };
  },
  async init() {
    const m = await load();
    await m.init?.();
  },
  async compress(bytes, options) {
    return (await load()).compress(bytes, options);
  },
  async decompress(bytes, options) {
    return (await load()).decompress(bytes, options);
  },
  async compressTree(dir, outFile, options) {
    return (await load()).compressTree(dir, outFile, options);
  },
  async extractTree(file, dir, options) {
    return (await load()).extractTree(file, dir, options);
  },
});
