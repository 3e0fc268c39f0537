#!/usr/bin/env node
// pfz (fast codec, assembly/fast/) benchmark: for each file (whole file if ≤ 16 MiB, else 16 MiB blocks), the size
// of `zstd -19`, the decode speed of `zstd -d` and `xz -d` (CLI, same run, on the same blocks), and for each pfz
// level: size, encode MB/s, decode MB/s (wasm, median of --runs). Build first: `node scripts/build-fast-wasm.mjs`.
//
//   node bench/codec-fast.mjs [--corpus DIR] [--files a,b] [--levels 1,2,3,5] [--runs N] [--json FILE]
//
// Speeds are MB/s (10^6 original bytes per second) of CPU time (process.cpuUsage for the wasm call, user + system of
// /usr/bin/time for the CLIs), steadier than wall time on a shared machine. The wasm functions are warmed up first
// (V8 runs a function's first calls in its baseline compiler).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCorpusDir } from './lib/util.mjs';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: defaultCorpusDir() },
    files: { type: 'string', default: 'text-brown-all.txt,json-bcd.json,js-typescript.js,wasm-ort.wasm,elf-esbuild' },
    levels: { type: 'string', default: '1,2,3,4,5' },
    runs: { type: 'string', default: '5' },
    simd: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const MAX_BLOCK = 1 << 24;
const levels = values.levels.split(',').filter(Boolean).map(Number);
const runs = Math.max(1, Number(values.runs));
const root = new URL('..', import.meta.url).pathname;
const wasmPath = join(root, values.simd ? 'build/fast-simd.wasm' : 'build/fast.wasm');
if (!existsSync(wasmPath)) {
  console.error(`${wasmPath} is missing: run node scripts/build-fast-wasm.mjs first`);
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const x = instance.exports;
if (x.initDecoder() !== 0 || x.initEncoder() !== 0) throw new Error('fast codec memory');
const mem = () => new Uint8Array(x.memory.buffer);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function enc(block, level) {
  mem().set(block, x.inPtr());
  const t = cpuMs();
  const len = x.encode(block.length, level);
  const ms = cpuMs() - t;
  if (len < 0) throw new Error(`encode failed ${len}`);
  return { payload: mem().slice(x.outPtr(), x.outPtr() + len), ms };
}
function dec(payload, block) {
  mem().set(payload, x.inPtr());
  const t = cpuMs();
  const r = x.decode(payload.length, block.length);
  const ms = cpuMs() - t;
  if (r !== block.length) throw new Error(`decode failed ${r}`);
  return ms;
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
// warm-up: every level on 1 MiB of text-like bytes
{
  const w = new Uint8Array(1 << 20);
  let s = 1;
  for (let i = 0; i < w.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    w[i] = i > 64 && s >>> 28 < 9 ? w[i - 1 - ((s >>> 8) & 63)] : 97 + ((s >>> 16) % 26);
  }
  for (let k = 0; k < 3; k++) for (const level of new Set([...levels, 1, 5])) { const { payload } = enc(w, level); dec(payload, w); }
}
// CLI timing: CPU seconds of one process (user + sys) from /usr/bin/time
function timed(cmd, args, input) {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const lines = r.stderr.toString().trim().split('\n');
  const [u, sy] = lines[lines.length - 1].split(' ').map(Number);
  return { out: r.stdout, ms: (u + sy) * 1000 };
}
const tmp = mkdtempSync(join(tmpdir(), 'pfz-bench-'));
const rows = [];
try {
  for (const name of values.files.split(',').filter(Boolean)) {
    const path = join(values.corpus, 'single', name);
    if (!existsSync(path)) { console.error(`skip ${name}: not found`); continue; }
    const file = readFileSync(path);
    const blocks = [];
    for (let i = 0; i < file.length; i += MAX_BLOCK) blocks.push(file.subarray(i, Math.min(file.length, i + MAX_BLOCK)));
    const row = { file: name, bytes: file.length, blocks: blocks.length, levels: {} };
    // CLIs: zstd -19 size; zstd -d and xz -d decode speed (best of 3), each block in its own process
    let zSize = 0, zDec = 0, xDec = 0;
    for (const b of blocks) {
      const z = timed('zstd', ['-19', '-c', '-q'], b);
      zSize += z.out.length;
      zDec += Math.min(...[0, 1, 2].map(() => timed('zstd', ['-d', '-c', '-q'], z.out).ms));
      const xz = timed('xz', ['-6', '-c', '-T1'], b);
      xDec += Math.min(...[0, 1, 2].map(() => timed('xz', ['-d', '-c', '-T1'], xz.out).ms));
    }
    row.zstd19 = zSize;
    row.zstdDecMBs = file.length / 1000 / Math.max(zDec, 1);
    row.xzDecMBs = file.length / 1000 / Math.max(xDec, 1);
    for (const level of levels) {
      let size = 0, encMs = 0;
      const decs = [];
      const payloads = blocks.map((b) => {
        const r = enc(b, level);
        size += r.payload.length;
        encMs += r.ms;
        return r.payload;
      });
      for (let k = 0; k < runs; k++) decs.push(blocks.reduce((t, b, i) => t + dec(payloads[i], b), 0));
      // verify once
      blocks.forEach((b, i) => {
        dec(payloads[i], b);
        if (Buffer.compare(Buffer.from(mem().subarray(x.outPtr(), x.outPtr() + b.length)), b) !== 0) throw new Error(`${name} L${level}: mismatch`);
      });
      row.levels[level] = { size, vsZstd19: size / zSize, encMBs: file.length / 1000 / encMs, decMBs: file.length / 1000 / median(decs) };
    }
    rows.push(row);
    console.log(`${name} (${file.length} B, ${blocks.length} block${blocks.length > 1 ? 's' : ''}): zstd -19 ${zSize} B; CLI decode zstd ${row.zstdDecMBs.toFixed(0)} MB/s, xz ${row.xzDecMBs.toFixed(1)} MB/s`);
    for (const [lv, r] of Object.entries(row.levels)) {
      console.log(`  pfz ${lv}: ${String(r.size).padStart(9)} B  ${(100 * (r.vsZstd19 - 1)).toFixed(1).padStart(6)} % vs zstd -19  enc ${r.encMBs.toFixed(1).padStart(6)} MB/s  dec ${r.decMBs.toFixed(0).padStart(5)} MB/s (${(r.decMBs / row.xzDecMBs).toFixed(1)}x xz -d)`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
