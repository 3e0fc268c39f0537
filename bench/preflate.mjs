#!/usr/bin/env node
// preflate bench: the corpus PNG (a foreign deflate stream) stored as raw scanlines + corrections, against the best
// of xz -9e / brotli -q 11 / zstd -19 on the file (run now, same machine); plus correction sizes for node:zlib-made
// streams of corpus text. Bundles the TypeScript sources with esbuild (node_modules) into a temp dir first.
//   node bench/preflate.mjs [--quick]   (--quick: skip the anchors and plz 9 on image streams)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { defaultCorpusDir } from './lib/util.mjs';

const quick = process.argv.includes('--quick');
const CORPUS = defaultCorpusDir();
const root = new URL('..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'preflate-bench-'));
const entry = join(tmp, 'entry.ts');
writeFileSync(entry, `
export { analyzeForeign, reconstructForeign, parseDeflate } from ${JSON.stringify(join(root, 'src/dhatu/reflate/foreign.ts'))};
export { imageSplit } from ${JSON.stringify(join(root, 'src/dhatu/stages/image.ts'))};
export { encode as plzEncode } from ${JSON.stringify(join(root, 'src/codec/plz.ts'))};
export { initCodecSync } from ${JSON.stringify(join(root, 'src/wasm/codec.ts'))};
`);
await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: join(tmp, 'b.mjs'), logLevel: 'warning' });
const L = await import(join(tmp, 'b.mjs'));
L.initCodecSync();
const ms = (t) => (performance.now() - t).toFixed(0);
const plz9 = (b) => {
  let n = 0;
  for (let o = 0; o < b.length; o += 1 << 24) n += L.plzEncode(b.subarray(o, Math.min(b.length, o + (1 << 24))), 9).length;
  return n;
};
const cli = (cmd, args, input) => {
  const r = spawnSync('nice', ['-n', '10', cmd, ...args], { input, maxBuffer: 1 << 28 });
  return r.status === 0 ? r.stdout.length : NaN;
};

const file = join(CORPUS, 'single/png-emoji-apple-32.png');
if (!existsSync(file)) throw new Error(`missing ${file}`);
const png = readFileSync(file);
let p = 8;
const idat = [];
let ihdr = null;
while (p + 8 <= png.length) {
  const len = png.readUInt32BE(p);
  const t = png.toString('latin1', p + 4, p + 8);
  if (t === 'IDAT') idat.push(png.subarray(p + 8, p + 8 + len));
  if (t === 'IHDR') ihdr = png.subarray(p + 8, p + 8 + len);
  p += 12 + len;
}
const z = Buffer.concat(idat);
const deflate = new Uint8Array(z.subarray(2, z.length - 4));
const nonIdat = png.length - z.length;
const info = { width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), bitDepth: ihdr[8], colorType: ihdr[9], interlace: ihdr[12] };
console.log(`PNG ${png.length} B, ${idat.length} IDAT, zlib header ${z.subarray(0, 2).toString('hex')}, deflate ${deflate.length} B, non-IDAT ${nonIdat} B (+6 zlib header/adler32)`);

let best = Infinity;
if (!quick) {
  const a = { 'xz -9e': cli('xz', ['-9e', '-T1', '-c'], png), 'brotli -q 11': cli('brotli', ['-q', '11', '-c'], png), 'zstd -19': cli('zstd', ['-19', '-c'], png) };
  for (const [k, v] of Object.entries(a)) console.log(`anchor ${k}: ${v}`);
  best = Math.min(...Object.values(a));
}

let t = performance.now();
const P = L.parseDeflate(deflate, 1 << 26);
const raw = P.raw;
console.log(`parse: ${ms(t)} ms, raw ${raw.length} B, ${P.nTok} tokens, ${P.blocks.length} blocks`);
t = performance.now();
const corr = L.analyzeForeign(deflate, raw);
const tA = ms(t);
if (!corr) throw new Error('analyzeForeign returned null');
t = performance.now();
const back = L.reconstructForeign(raw, corr, deflate.length);
const tR = performance.now() - t;
const exact = Buffer.compare(Buffer.from(back), Buffer.from(deflate)) === 0;
console.log(`corrections: ${corr.length} B (${((100 * corr.length) / deflate.length).toFixed(2)}% of the stream); analyze ${tA} ms (includes its own verifying rebuild); rebuild ${tR.toFixed(0)} ms = ${(deflate.length / 1e6 / (tR / 1000)).toFixed(2)} MB/s of deflate (${(raw.length / 1e6 / (tR / 1000)).toFixed(2)} MB/s raw); exact: ${exact}`);

t = performance.now();
const rawPlz = plz9(raw);
console.log(`plz 9 raw scanlines: ${rawPlz} B (${ms(t)} ms)`);
let coded = rawPlz;
if (!quick) {
  for (const [pred, planes] of [[4, false], [0, true]]) {
    const s = L.imageSplit(raw, { ...info, pred, planes });
    t = performance.now();
    const n = s.reduce((a, x) => a + plz9(x), 0);
    console.log(`plz 9 image stage (pred ${pred}, planes ${planes}): ${n} B (${ms(t)} ms)`);
    coded = Math.min(coded, n);
  }
  console.log(`xz -9e raw scanlines: ${cli('xz', ['-9e', '-T1', '-c'], raw)} B`);
}
const total = corr.length + coded + nonIdat + 6;
console.log(`TOTAL = corrections ${corr.length} + coded raw ${coded} + non-IDAT ${nonIdat} + 6 = ${total} B` + (Number.isFinite(best) ? `; ratio to best anchor ${best}: ${(total / best).toFixed(4)} (target ≤ 0.75)` : ''));

const txt = readFileSync(join(CORPUS, 'single/text-brown-all.txt')).subarray(0, 4 << 20);
for (const level of [1, 6, 9]) {
  const d = deflateRawSync(txt, { level });
  t = performance.now();
  const c = L.analyzeForeign(d, txt);
  const ta = ms(t);
  t = performance.now();
  L.reconstructForeign(txt, c, d.length);
  console.log(`node:zlib level ${level}, text 4 MiB: deflate ${d.length} B, corrections ${c.length} B (${((100 * c.length) / d.length).toFixed(2)}%), analyze ${ta} ms, rebuild ${ms(t)} ms`);
}
rmSync(tmp, { recursive: true, force: true });
