// The test vectors: what each committed .pnz holds and how it was made. Shared by generate.mjs (which runs against
// dist/ after `npm run build`) and test/vectors.test.ts (which runs against src/): both pass in the API they use, so
// the test can rebuild every vector and require byte-identical output. Plain JavaScript, deterministic inputs only.
import { chmodSync, lutimesSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRaw } from 'pako';
import { prngBytes } from '../helpers/prng.mjs';

const te = new TextEncoder();

/** `n` bytes of text: words of a small vocabulary picked by mulberry32(seed). */
export function words(seed, n) {
  const vocab = ['panini', 'dhatu', 'sutra', 'the', 'container', 'record', 'deflate', 'window', 'of', 'and', '\n', 'grammar', 'root'];
  const r = prngBytes(seed, n);
  let s = '';
  for (let k = 0; s.length < n; k++) s += vocab[r[k % n] % vocab.length] + ' ';
  return te.encode(s.slice(0, n));
}

/** `n` bytes repeating a random period of `period` bytes (deflates to about `period` bytes). */
export function periodic(seed, period, n) {
  const p = prngBytes(seed, period);
  const out = new Uint8Array(n);
  for (let k = 0; k < n; k++) out[k] = p[k % period];
  return out;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}

const BLOCK = 64 * 1024;

/** CRC-32 (zlib), for the zip writer below. */
function crc32(b) {
  let c = ~0;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A minimal ZIP (one deflated entry, pako level 6 / memLevel 8 as zlib would write it, central directory, EOCD). */
function zip(name, data) {
  const comp = deflateRaw(data, { level: 6, memLevel: 8 });
  const n = te.encode(name);
  const le = (v, k) => Array.from({ length: k }, (_, i) => (v >>> (8 * i)) & 0xff);
  const fields = [...le(20, 2), ...le(0, 2), ...le(8, 2), ...le(0, 2), ...le(0x21, 2), ...le(crc32(data), 4), ...le(comp.length, 4), ...le(data.length, 4), ...le(n.length, 2), ...le(0, 2)];
  const local = Uint8Array.from([0x50, 0x4b, 3, 4, ...fields]);
  const central = Uint8Array.from([0x50, 0x4b, 1, 2, ...le(20, 2), ...fields, ...le(0, 2), ...le(0, 2), ...le(0, 2), ...le(0, 4), ...le(0, 4)]);
  const cdOffset = local.length + n.length + comp.length;
  const cdSize = central.length + n.length;
  const eocd = Uint8Array.from([0x50, 0x4b, 5, 6, ...le(0, 2), ...le(0, 2), ...le(1, 2), ...le(1, 2), ...le(cdSize, 4), ...le(cdOffset, 4), ...le(0, 2)]);
  return concat([local, n, comp, central, n, eocd]);
}

/** Inputs of the byte-stream vectors, by name. */
export const INPUTS = {
  empty: () => new Uint8Array(0),
  hello: () => te.encode('hello'),
  'hello-8': () => te.encode('hello '.repeat(8) + 'hello'),
  text: () => words(1, 6000),
  // blocks A B A A B (64 KiB each): fixed 64 KiB chunks give DATA A, DATA B, REF 0, REF 0, REF 1
  blocks: () => {
    const a = periodic(2, 1000, BLOCK);
    const b = periodic(3, 700, BLOCK);
    return concat([a, b, a, a, b]);
  },
  // a text, 1.2 MiB of a periodic filler (so that the revision lands in the next 1 MiB block), then the same text with
  // a few words changed: what COMM (copies from earlier records) is for
  revisions: () => {
    const a = words(7, 3000);
    const b = a.slice();
    for (let i = 500; i < b.length; i += 900) b.set(te.encode('sutra'), i);
    return concat([a, periodic(8, 1000, 1200 * 1024), b]);
  },
  // a ZIP whose entry zlib (pako level 6) deflated: REFLATE stores the text and re-creates the entry
  zip: () => zip('dhatu.txt', words(9, 5000)),
  // NDJSON: 150 lines of records (a format the grammar recognises, so the adaptive strategy cuts at line starts)
  records: () => {
    const lines = [];
    for (let i = 0; i < 150; i++) lines.push(JSON.stringify({ id: i, text: new TextDecoder().decode(words(100 + i, 60 + (i % 7) * 9)) }));
    return te.encode(lines.join('\n') + '\n');
  },
};

const T0 = 1_600_000_000_000; // whole seconds: every file system keeps these mtimes exactly

/**
 * The tree of tree.pnz, in the order compressTree lists it (depth-first, names in byte order, parents first).
 * Files of at least avgSize (4 KiB here) are chunk-aligned, so the two copies of big.bin deduplicate.
 */
export const TREE = [
  { path: 'big.bin', type: 'file', mode: 0o644, mtime: T0, data: () => periodic(6, 900, 6000) },
  { path: 'docs', type: 'dir', mode: 0o755, mtime: T0 + 1000 },
  { path: 'docs/a.txt', type: 'file', mode: 0o644, mtime: T0 + 2000, data: () => words(7, 1500) },
  { path: 'docs/empty', type: 'file', mode: 0o600, mtime: T0 + 3000, data: () => new Uint8Array(0) },
  { path: 'docs/sub', type: 'dir', mode: 0o700, mtime: T0 + 4000 },
  { path: 'docs/sub/copy.bin', type: 'file', mode: 0o644, mtime: T0 + 5000, data: () => periodic(6, 900, 6000) },
  { path: 'docs/sub/run.sh', type: 'file', mode: 0o755, mtime: T0 + 6000, data: () => te.encode('#!/bin/sh\necho panini\n') },
  { path: 'latest', type: 'symlink', mode: 0o777, mtime: T0 + 7000, target: 'docs/a.txt' },
];

/** Writes TREE under `root` (which must not exist) with the recorded modes and times. */
export function writeTree(root) {
  mkdirSync(root);
  for (const e of TREE) {
    const p = join(root, ...e.path.split('/'));
    if (e.type === 'dir') mkdirSync(p);
    else if (e.type === 'file') writeFileSync(p, e.data());
    else symlinkSync(e.target, p);
  }
  // modes and times last (children change a directory's mtime), deepest first
  for (const e of [...TREE].reverse()) {
    const p = join(root, ...e.path.split('/'));
    const t = new Date(e.mtime);
    if (e.type === 'symlink') lutimesSync(p, t, t);
    else {
      chmodSync(p, e.mode);
      utimesSync(p, t, t);
    }
  }
}

/** The output of tree.pnz: its files' contents concatenated in manifest order. */
export function treeOutput() {
  return concat(TREE.filter((e) => e.type === 'file').map((e) => e.data()));
}

const SMALL_CDC = { strategy: 'cdc', minSize: 1024, avgSize: 4096, maxSize: 16384 };

/**
 * The vectors. kind 'bytes': compress(INPUTS[input], options); 'tree': compressTree of TREE; 'file': compressFile of
 * one file named hello.txt holding INPUTS[input] (mode 0644, mtime T0).
 */
export const VECTORS = [
  { file: 'empty.pnz', kind: 'bytes', input: 'empty', options: {}, about: 'empty input: header, END, footer, no records' },
  { file: 'hello-store.pnz', kind: 'bytes', input: 'hello', options: { level: 0 }, about: 'FORMAT.md worked example: one stored record' },
  { file: 'hello-deflate.pnz', kind: 'bytes', input: 'hello-8', options: { codec: 'deflate', level: 6 }, about: 'one deflate record (FORMAT.md deflate example)' },
  { file: 'text-deflate.pnz', kind: 'bytes', input: 'text', options: { codec: 'deflate', level: 9, strategy: 'fixed' }, about: 'text, one deflate record at level 9' },
  { file: 'dedup.pnz', kind: 'bytes', input: 'blocks', options: { codec: 'deflate', level: 6, strategy: 'fixed', chunkSize: BLOCK }, about: 'blocks A B A A B: 2 DATA, 3 REF' },
  {
    file: 'dedup-window.pnz',
    kind: 'bytes',
    input: 'blocks',
    options: { codec: 'deflate', level: 6, strategy: 'fixed', chunkSize: BLOCK, dedupWindow: BLOCK },
    about: 'blocks A B A A B, window of one block: DATA A, DATA B (evicts A), DATA A (evicts B), REF 2, DATA B',
  },
  { file: 'adaptive.pnz', kind: 'bytes', input: 'records', options: { codec: 'deflate', level: 6, ...SMALL_CDC, strategy: 'adaptive' }, about: 'NDJSON, adaptive: the format is recognised, so records are cut at line starts (semantic), not where CDC cuts' },
  { file: 'file.pnz', kind: 'file', input: 'text', options: { codec: 'deflate', level: 6 }, about: 'compressFile: a "file" manifest (hello.txt, 0644)' },
  { file: 'pfz.pnz', kind: 'bytes', input: 'text', options: { level: 6, codec: 'pfz', strategy: 'fixed' }, about: 'text, one pfz record (codec 3: LZ77 + Huffman)' },
  { file: 'dhatu-comm.pnz', kind: 'bytes', input: 'revisions', options: { level: 6, codec: 'dhatu', blockSize: 1048576 }, about: 'a text, a filler, its revision: two dhātu records (codec 16); the second copies from the first (COMM, stage 49), then plz' },
  { file: 'dhatu-pfz.pnz', kind: 'bytes', input: 'revisions', options: { level: 1, codec: 'dhatu', blockSize: 1048576 }, about: 'the same at level 1: the plan codes with pfz (plan coder 2)' },
  { file: 'dhatu-reflate.pnz', kind: 'bytes', input: 'zip', options: { level: 6, codec: 'dhatu' }, about: 'a ZIP with one zlib-deflated entry: REFLATE (stage 64) stores the text, re-deflates it on decode (level 6: level 1 stores this small record)' },
  { file: 'tree.pnz', kind: 'tree', options: { codec: 'deflate', level: 6, ...SMALL_CDC }, about: 'compressTree: dirs, files (one empty, two identical), a symlink; solid layout' },
  { file: 'tree-v1.pnz', kind: 'tree', options: { codec: 'deflate', level: 6, ...SMALL_CDC }, about: 'the same tree with a version 1 (MessagePack) manifest, as written before manifest version 2', frozen: true },
  { file: 'file-v1.pnz', kind: 'file', input: 'text', options: { codec: 'deflate', level: 6 }, about: 'file.pnz with a version 1 (MessagePack) manifest, as written before manifest version 2', frozen: true },
];

/**
 * Builds one vector with `api` ({ compress, compressFile, compressTree }). `work` is an empty scratch directory.
 * Returns the container and the expected output (what decompress() must give).
 */
export async function buildVector(api, v, work) {
  if (v.kind === 'bytes') {
    const input = INPUTS[v.input]();
    return { container: await api.compress(input, v.options), output: input };
  }
  if (v.kind === 'file') {
    const input = INPUTS[v.input]();
    const p = join(work, 'hello.txt');
    writeFileSync(p, input);
    chmodSync(p, 0o644);
    utimesSync(p, new Date(T0), new Date(T0));
    const out = join(work, 'out.pnz');
    await api.compressFile(p, out, v.options);
    return { container: new Uint8Array(readFileSync(out)), output: input };
  }
  const root = join(work, 'tree');
  writeTree(root);
  const out = join(work, 'out.pnz');
  await api.compressTree(root, out, v.options);
  return { container: new Uint8Array(readFileSync(out)), output: treeOutput() };
}
