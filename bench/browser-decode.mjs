// Decode speed in headless Chromium, one thread, by SHA-256 backend: 'webcrypto' (the browser default in a secure
// context: crypto.subtle hashes whole buffers) against 'wasm' (the core alone), runs alternating in one page so that
// the two are comparable; `xz -d` of the same file (from `xz -9e`) in the same run as the native anchor. Uses the
// Chromium harness of the tests (test/helpers/browser.ts, transpiled here with typescript). Needs `npm run build`
// and Chromium (/usr/bin/chromium, or PANINI_CHROMIUM). ARCHITECTURE "Native SHA-256 in Node, WebCrypto in browsers".
//   node bench/browser-decode.mjs [FILE in corpus/single] [LEVELS, e.g. 1,6] [ROUNDS]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { defaultCorpusDir, median } from './lib/util.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const name = process.argv[2] || 'text-brown-all.txt';
const levels = (process.argv[3] || '1').split(',').map(Number);
const rounds = Number(process.argv[4] || 4);
const file = join(defaultCorpusDir(), 'single', name);
const data = readFileSync(file);

// the tests' page harness, as JavaScript two folders below the root (it finds the root as ../.. of itself)
const helperDir = join(ROOT, '.bench', 'browser-harness');
mkdirSync(helperDir, { recursive: true });
const helper = join(helperDir, 'browser.mjs');
const source = readFileSync(join(ROOT, 'test', 'helpers', 'browser.ts'), 'utf8');
writeFileSync(helper, ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
const { withPage } = await import(helper);

// the native anchor: xz -d of xz -9e's output, best of 3 wall-clock runs
function xzDecodeMBps() {
  const packed = join(tmpdir(), `panini-browser-decode-${process.pid}.xz`);
  try {
    const c = spawnSync('xz', ['-9e', '-T1', '-c', file], { maxBuffer: 1 << 30 });
    if (c.status !== 0) return null;
    writeFileSync(packed, c.stdout);
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const d = spawnSync('xz', ['-d', '-c', packed], { maxBuffer: 1 << 30 });
      if (d.status !== 0 || d.stdout.length !== data.length) return null;
      best = Math.min(best, performance.now() - t);
    }
    return data.length / best / 1e3;
  } finally {
    rmSync(packed, { force: true });
  }
}

const P = await import(join(ROOT, 'dist', 'node.js'));
await P.init();
const xz = xzDecodeMBps();
console.log(`${name}, ${data.length} B; xz -d (of xz -9e): ${xz ? `${xz.toFixed(1)} MB/s` : 'not available'}`);
for (const level of levels) {
  const c = await P.compress(data, { codec: 'dhatu', level });
  const r = await withPage(
    (page) =>
      page.evaluate(
        async ({ rounds, n }) => {
          const p = window.panini;
          const c = new Uint8Array(await (await fetch('/c.pnz')).arrayBuffer());
          const times = { webcrypto: [], wasm: [] };
          const first = p.sha256Backend();
          for (let round = 0; round < rounds; round++) {
            for (const b of ['webcrypto', 'wasm']) {
              p.setSha256Backend(b);
              for (let i = 0; i < 4; i++) {
                const t = performance.now();
                const out = await p.decompress(c);
                times[b].push(performance.now() - t);
                if (out.length !== n) throw new Error(`decoded ${out.length} bytes, expected ${n}`);
              }
            }
          }
          return { first, times };
        },
        { rounds, n: data.length },
      ),
    { routes: { '/c.pnz': { body: c, type: 'application/octet-stream' } } },
  );
  for (const [backend, ts] of Object.entries(r.times)) {
    const med = data.length / median(ts) / 1e3;
    const best = data.length / Math.min(...ts) / 1e3;
    const vsXz = xz ? `, median ÷ xz -d ${(med / xz).toFixed(2)}` : '';
    console.log(`L${level} ${c.length} B · Chromium · SHA-256 ${backend}${backend === r.first ? ' (default)' : ''}: median ${med.toFixed(1)} MB/s, best ${best.toFixed(1)} (${ts.length} runs)${vsXz}`);
  }
}
