#!/usr/bin/env node
// Grammar layer benchmark: detection and boundary speed (MB/s) per corpus file, and the number and size distribution
// of the pieces. Bundles src/grammar with esbuild (a dev dependency through tsup) so it runs without a build.
//   node bench/grammar.mjs [--corpus DIR] [--min N] [--avg N] [--max N] [--runs N] [--json FILE]
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { defaultCorpusDir } from './lib/util.mjs';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    min: { type: 'string', default: String(16 * 1024) },
    avg: { type: 'string', default: String(64 * 1024) },
    max: { type: 'string', default: String(256 * 1024) },
    runs: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
});
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = values.corpus ?? defaultCorpusDir();
const opts = { minSize: Number(values.min), avgSize: Number(values.avg), maxSize: Number(values.max) };
const runs = Math.max(1, Number(values.runs));

const tmp = mkdtempSync(join(tmpdir(), 'panini-grammar-bench-'));
const outfile = join(tmp, 'grammar.mjs');
await build({ entryPoints: [join(root, 'src/grammar/index.ts')], bundle: true, format: 'esm', platform: 'neutral', outfile, logLevel: 'error' });
const G = await import(pathToFileURL(outfile).href);
rmSync(tmp, { recursive: true, force: true });

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}
function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}
const kib = (n) => (n >= 1024 * 1024 ? `${(n / 1048576).toFixed(1)}M` : n >= 1024 ? `${(n / 1024).toFixed(1)}K` : `${n}`);

/** items: [name, Uint8Array[]] (a tree item is many files, measured together) */
const items = [];
const single = join(corpus, 'single');
for (const f of readdirSync(single).sort()) items.push([`single/${f}`, [readFileSync(join(single, f))]]);
const mailDir = join(corpus, 'tree/mail-easy-ham-1');
try {
  const names = readdirSync(mailDir).filter((f) => f.endsWith('.txt')).sort();
  const files = names.map((f) => readFileSync(join(mailDir, f)));
  items.push(['tree/mail-easy-ham-1 (each mail)', files]);
  // the same mails as one mbox
  items.push(['tree/mail-easy-ham-1 (as one mbox)', [Buffer.concat(files.flatMap((f) => [f, Buffer.from('\n')]))]]);
} catch {}
// source maps and package.json files from node_modules (real files of formats the corpus lacks)
const maps = [];
const pkgs = [];
function walk(dir, depth) {
  if (depth > 4) return;
  let ents = [];
  try {
    ents = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of ents) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, depth + 1);
    else if (e.name.endsWith('.js.map') && maps.length < 200) maps.push(p);
    else if (e.name === 'package.json' && pkgs.length < 500) pkgs.push(p);
  }
}
walk(join(root, 'node_modules'), 0);
maps.sort();
pkgs.sort();
items.push([`node_modules *.js.map (${maps.length} files)`, maps.map((p) => readFileSync(p))]);
items.push([`node_modules package.json (${pkgs.length} files)`, pkgs.map((p) => readFileSync(p))]);

const rows = [];
for (const [name, files] of items) {
  const total = files.reduce((s, f) => s + f.length, 0);
  const formats = new Map();
  let sizes = [];
  const tDet = [];
  const tCut = [];
  for (let r = -1; r < runs; r++) {
    // r = -1: warm-up (JIT), not counted
    sizes = [];
    let det = 0;
    let cut = 0;
    for (const f of files) {
      let t = process.hrtime.bigint();
      const d = G.detect(f.subarray(0, G.HEAD_LIMIT), f.length);
      det += Number(process.hrtime.bigint() - t);
      t = process.hrtime.bigint();
      const cuts = G.boundaries(d.format, f, opts);
      cut += Number(process.hrtime.bigint() - t);
      if (r === -1) formats.set(d.format, (formats.get(d.format) ?? 0) + 1);
      let prev = 0;
      for (const c of cuts) sizes.push(c - prev), (prev = c);
      sizes.push(f.length - prev);
    }
    if (r < 0) continue;
    tDet.push(det / 1e9);
    tCut.push(cut / 1e9);
  }
  sizes.sort((x, y) => x - y);
  const detS = median(tDet);
  const cutS = median(tCut);
  const headBytes = files.reduce((s, f) => s + Math.min(f.length, G.HEAD_LIMIT), 0);
  rows.push({
    item: name,
    bytes: total,
    format: [...formats].map(([f, n]) => (files.length > 1 ? `${f}×${n}` : f)).join(' '),
    detectMs: +(detS * 1000).toFixed(2),
    detectMBs: +(headBytes / 1e6 / detS).toFixed(0),
    cutMs: +(cutS * 1000).toFixed(1),
    cutMBs: +(total / 1e6 / cutS).toFixed(0),
    pieces: sizes.length,
    min: sizes[0],
    p10: pct(sizes, 0.1),
    median: pct(sizes, 0.5),
    p90: pct(sizes, 0.9),
    max: sizes[sizes.length - 1],
  });
}

console.log(`panini-fs grammar benchmark: corpus ${corpus}`);
console.log(`boundaries with minSize ${opts.minSize}, avgSize ${opts.avgSize}, maxSize ${opts.maxSize}; median of ${runs} runs`);
console.log(`${cpus()[0]?.model ?? 'cpu?'}, Node ${process.version}\n`);
console.log('| item | MB | format | detect ms (MB/s of head) | boundaries ms | MB/s | pieces | min | p10 | median | p90 | max |');
console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.item} | ${(r.bytes / 1e6).toFixed(1)} | ${r.format} | ${r.detectMs} (${r.detectMBs}) | ${r.cutMs} | ${r.cutMBs} | ${r.pieces} | ${kib(r.min)} | ${kib(r.p10)} | ${kib(r.median)} | ${kib(r.p90)} | ${kib(r.max)} |`,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify({ corpus, opts, runs, rows }, null, 2) + '\n');
