// Decode speed of one corpus file by path: SHA-256 backend (node:crypto; the wasm core with WebCrypto for the record
// checks, the browser's default in a secure context; the wasm core alone) × worker count, all in one process so that
// the figures are comparable (docs: README "Benchmarks", ARCHITECTURE "Native SHA-256 in Node, WebCrypto in
// browsers"). Needs `npm run build`.
//   node bench/decode-paths.mjs [FILE in corpus/single] [LEVELS, e.g. 1,6]
// Workers keep node:crypto whatever the calling thread's backend (setSha256Backend is per thread).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCorpusDir } from './lib/util.mjs';
const P = await import('../dist/node.js');
await P.init();
const dir = defaultCorpusDir();
const name = process.argv[2] || 'text-brown-all.txt';
const data = readFileSync(join(dir, 'single', name));
for (const level of (process.argv[3] || '1').split(',').map(Number)) {
  const c = await P.compress(data, { codec: 'dhatu', level, workers: 2 });
  for (const backend of ['native', 'webcrypto', 'wasm']) {
    P.setSha256Backend(backend);
    for (const workers of [1, 2]) {
      let best = Infinity;
      for (let i = 0; i < 4; i++) {
        const t = performance.now();
        const d = await P.decompress(c, { workers });
        best = Math.min(best, performance.now() - t);
        if (Buffer.compare(d, data) !== 0) throw new Error('round trip differs');
      }
      console.log(`${name} L${level} ${c.length} B · SHA-256 ${backend} · workers ${workers}: ${(data.length / best / 1e3).toFixed(1)} MB/s (best of 4)`);
    }
  }
  P.setSha256Backend('native');
}
