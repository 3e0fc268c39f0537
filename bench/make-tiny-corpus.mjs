#!/usr/bin/env node
// A tiny deterministic corpus in the layout of the real one, for CI smoke runs of the harness:
//   node bench/make-tiny-corpus.mjs DIR [--scale N]
// single/ (text, JSON, binary), tree/small-tree (a few dozen files in folders), versions/v1..v3 (a small source tree
// edited from version to version; one file keeps its size and date but not its bytes). Same bytes on every machine: a fixed xorshift generator, no clock, no randomness.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'compression grammar root verb chunk window entropy archive version stream record manifest index block hash ' +
  'river mountain letter garden silver morning window paper engine market number river theory signal'
).split(' ');

function text(r, bytes) {
  const out = [];
  let n = 0;
  while (n < bytes) {
    const len = 6 + (r() % 14);
    const ws = [];
    for (let i = 0; i < len; i++) ws.push(WORDS[r() % WORDS.length]);
    let s = `${ws.join(' ')}.`;
    s = s[0].toUpperCase() + s.slice(1);
    s += r() % 5 === 0 ? '\n\n' : ' ';
    out.push(s);
    n += s.length;
  }
  return out.join('').slice(0, bytes);
}

function json(r, records) {
  const rows = [];
  for (let i = 0; i < records; i++) {
    rows.push({
      id: i,
      name: `${WORDS[r() % WORDS.length]}-${WORDS[r() % WORDS.length]}`,
      version: `${r() % 5}.${r() % 20}.${r() % 10}`,
      support: { chrome: String(30 + (r() % 90)), firefox: String(20 + (r() % 100)), safari: r() % 3 ? String(r() % 17) : null },
      tags: Array.from({ length: r() % 4 }, () => WORDS[r() % WORDS.length]),
    });
  }
  return `${JSON.stringify({ generated: 'panini-fs tiny corpus', rows }, null, 2)}\n`;
}

/** Binary with structure: a header, little-endian tables, repeated records, and a noisy tail. */
function binary(r, bytes) {
  const b = new Uint8Array(bytes);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  let i = 64;
  while (i < bytes * 0.7) {
    const v = r();
    const rec = [v & 0xff, (v >>> 8) & 0x0f, 0, 0, 0x48, 0x89, 0xe5, 0xc3];
    for (let j = 0; j < rec.length && i < bytes; j++) b[i++] = rec[j];
  }
  while (i < bytes) b[i++] = r() & 0xff;
  return b;
}

function source(r, name, lines) {
  const out = [`// ${name}`, `export const NAME = '${name}';`];
  for (let i = 0; i < lines; i++) {
    const f = `${WORDS[r() % WORDS.length]}${i}`;
    out.push(`export function ${f}(a, b) {`, `  return a ${['+', '-', '*'][r() % 3]} b + ${r() % 1000}; // ${WORDS[r() % WORDS.length]}`, '}');
  }
  return `${out.join('\n')}\n`;
}

// every file gets the same mtime, as in an npm package tarball: a backup tool that trusts dates and sizes would
// take a changed file for an unchanged one (the harness must tell them not to; src/const.js below checks it)
const MTIME = new Date('1985-10-26T08:15:00Z');

function put(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  utimesSync(path, MTIME, MTIME);
}

export function makeTinyCorpus(dir, { scale = 1 } = {}) {
  dir = resolve(dir);
  const r = rng(0x5eed1234);
  put(join(dir, 'single', 'text-tiny.txt'), text(r, Math.round(96_000 * scale)));
  put(join(dir, 'single', 'json-tiny.json'), json(r, Math.round(500 * scale)));
  put(join(dir, 'single', 'bin-tiny.bin'), binary(r, Math.round(64_000 * scale)));
  // a tree of many small files
  for (let d = 0; d < 4; d++) {
    for (let f = 0; f < 10; f++) {
      const body = `From: user${f}@example.org\nSubject: ${text(r, 40).trim()}\n\n${text(r, 300 + (r() % 1500))}\n`;
      put(join(dir, 'tree', 'small-tree', `box${d}`, `msg${String(f).padStart(3, '0')}.eml`), body);
    }
  }
  put(join(dir, 'tree', 'small-tree', 'README'), 'a small tree\n');
  // three versions of a source tree: files edited, added and removed
  const base = {};
  for (let f = 0; f < 8; f++) base[`src/mod${f}.js`] = source(r, `mod${f}`, Math.round(40 * scale));
  base['README.md'] = `# tiny\n\n${text(r, 2000)}\n`;
  let files = { ...base };
  for (let v = 1; v <= 3; v++) {
    if (v > 1) {
      files = { ...files };
      const r2 = rng(v * 7919);
      files[`src/mod${v}.js`] = source(r2, `mod${v}-v${v}`, Math.round(40 * scale));
      files[`src/new${v}.js`] = source(r2, `new${v}`, 20);
      if (v === 3) delete files['src/mod0.js'];
      files['README.md'] += `\n## version ${v}\n${text(r2, 300)}\n`;
    }
    files['src/const.js'] = `export const VERSION = ${v};\n`; // same size and date in every version
    for (const [p, body] of Object.entries(files)) put(join(dir, 'versions', `v${v}`, p), body);
  }
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  const si = args.indexOf('--scale');
  if (!dir) {
    console.error('usage: node bench/make-tiny-corpus.mjs DIR [--scale N]');
    process.exit(2);
  }
  const out = makeTinyCorpus(dir, { scale: si >= 0 ? Number(args[si + 1]) : 1 });
  console.log(`tiny corpus in ${out}`);
}
