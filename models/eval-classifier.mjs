// Measures the content classifier on held-back real files (the model trains on generated data only) and compares it
// with the grammar's detector and with file(1) on the same chunks. Prints a Markdown table; --json prints the numbers.
//   npm run build && node models/eval-classifier.mjs [--json]
// Files: the shared corpus ($PANINI_CORPUS_DIR) and Debian system files of this machine (paths below), 32 KiB chunks,
// at most 4 per file, evenly spaced; labels from each file's name or folder (src/model/labels.ts, and the roots here).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { init, detect, CLASSES, ModelRegistry, heldOutChunks, loadClassifier, classOfName, classOfFormat, classOfFileDescription } from '../dist/node.js';

await init();
const corpus = process.env.PANINI_CORPUS_DIR;
if (!corpus || !existsSync(corpus)) throw new Error('set PANINI_CORPUS_DIR to the shared corpus (README "Benchmarks")');
const opts = { chunkSize: 32768, perFile: 4 };
const roots = [
  { root: join(corpus, 'single'), files: 7 },
  { root: join(corpus, 'tree/mail-easy-ham-1'), files: 12, label: (p) => (p.endsWith('.txt') ? 'text' : p.endsWith('.json') ? 'json' : undefined) },
  { root: '/usr/lib/x86_64-linux-gnu', files: 12, label: (p) => (/\.so(\.\d+)*$/.test(p) ? 'executable' : p.endsWith('.a') ? 'archive' : undefined) },
  { root: '/usr/share/man/man1', files: 12, label: (p) => (p.endsWith('.gz') ? 'compressed' : undefined) },
  { root: '/usr/lib/python3.11/email', files: 12, label: (p) => (p.endsWith('.py') ? 'source' : undefined) },
  { root: '/usr/share/doc', files: 12, label: (p) => (p.endsWith('.html') ? 'markup' : undefined) },
  { root: '/usr/share/mime', files: 12, label: (p) => (p.endsWith('.xml') ? 'markup' : undefined) },
  { root: '/usr/share/icons', files: 12, label: (p) => (p.endsWith('.png') ? 'image' : undefined) },
  { root: '/usr/lib/locale', files: 8, label: (p) => (/LC_(COLLATE|CTYPE|CHARMAP)$/.test(p) ? 'table' : undefined) },
  { root: 'node_modules', files: 10, label: (p) => (p.endsWith('.wasm') && !p.includes('onnxruntime-web') ? 'wasm' : p.endsWith('.json') && p.includes('/data/') ? 'json' : undefined) },
];
const chunks = [];
for (const r of roots) if (existsSync(r.root)) chunks.push(...heldOutChunks([r.root], { ...opts, files: r.files, label: r.label ?? classOfName }));

const reg = new ModelRegistry();
const methods = {};
for (const m of reg.list().filter((x) => x.name === 'content-classifier')) {
  const { bytes } = reg.read(m);
  const c = await loadClassifier(bytes, { device: 'cpu' });
  const t0 = performance.now();
  const got = await c.classify(chunks.map((x) => x.bytes));
  methods[`model ${m.version}`] = { pred: got.map((g) => g.class), ms: performance.now() - t0 };
  await c.release();
}
{
  const t0 = performance.now();
  methods['grammar detect'] = { pred: chunks.map((x) => classOfFormat(detect(x.bytes).format)), ms: performance.now() - t0 };
}
{
  const dir = mkdtempSync(join(tmpdir(), 'panini-eval-'));
  const names = chunks.map((x, i) => {
    const f = join(dir, `c${i}`);
    writeFileSync(f, x.bytes);
    return f;
  });
  writeFileSync(join(dir, 'list'), names.join('\n') + '\n');
  const t0 = performance.now();
  const lines = execFileSync('file', ['-b', '-f', join(dir, 'list')], { encoding: 'utf8', maxBuffer: 1 << 26 }).trimEnd().split('\n');
  methods['file(1)'] = { pred: lines.map(classOfFileDescription), ms: performance.now() - t0 };
  rmSync(dir, { recursive: true, force: true });
}

const table = {};
for (const [k, m] of Object.entries(methods)) {
  const per = {};
  let ok = 0;
  chunks.forEach((x, i) => {
    const p = (per[x.label] ??= { n: 0, ok: 0 });
    p.n++;
    if (m.pred[i] === x.label) (p.ok++, ok++);
  });
  table[k] = { accuracy: ok / chunks.length, per, ms: m.ms };
}
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ chunks: chunks.length, files: new Set(chunks.map((c) => c.file)).size, table }, null, 2));
} else {
  const ks = Object.keys(table);
  console.log(`${chunks.length} chunks of ${new Set(chunks.map((c) => c.file)).size} held-back files\n`);
  console.log(`| class | chunks | ${ks.join(' | ')} |`);
  console.log(`|---|--:|${ks.map(() => '--:').join('|')}|`);
  for (const c of CLASSES) {
    const n = table[ks[0]].per[c]?.n ?? 0;
    if (!n) continue;
    console.log(`| ${c} | ${n} | ${ks.map((k) => `${((100 * table[k].per[c].ok) / n).toFixed(1)} %`).join(' | ')} |`);
  }
  console.log(`| **all** | ${chunks.length} | ${ks.map((k) => `**${(100 * table[k].accuracy).toFixed(1)} %**`).join(' | ')} |`);
  console.log(`| time | | ${ks.map((k) => `${table[k].ms.toFixed(0)} ms`).join(' | ')} |`);
}
