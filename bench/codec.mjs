#!/usr/bin/env node
// plz codec benchmark: ratio and speed of the WebAssembly coder (build/codec.wasm) at several levels, next to the
// xz, zstd and brotli CLIs on the same blocks, in the same run. Build first: `npm run build` (or
// `node scripts/build-codec-wasm.mjs`).
//
//   node bench/codec.mjs [--corpus DIR] [--files a,b] [--levels 1,3,6,9] [--modes whole,1m] [--tools xz,zstd,brotli]
//                        [--runs N] [--json FILE] [--markdown]
//
// Modes: `whole` codes each file as one block (files over 16 MiB, the codec's largest block, as 16 MiB blocks plus
// the rest); `1m` cuts each file into 1 MiB blocks coded independently. The CLIs get the same blocks, one process
// per block, so every column compares the same thing. Speeds are MB/s (10^6 bytes of original per second) of CPU
// time (user + system: the wasm call's process.cpuUsage(), the CLI's /usr/bin/time), which is steadier than wall
// time on a shared machine (/usr/bin/time counts in 10 ms steps); decoding is the best of --runs. The wasm functions
// are warmed up first (V8 runs a function's first calls in its baseline compiler). Each CLI compresses all the
// blocks of a row in one process; xz and zstd also decode them in one process, brotli one process per block.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCorpusDir } from './lib/util.mjs';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: defaultCorpusDir() },
    files: { type: 'string', default: 'text-brown-all.txt,json-bcd.json,js-typescript.js,wasm-ort.wasm,elf-esbuild' },
    levels: { type: 'string', default: '1,3,6,9' },
    modes: { type: 'string', default: 'whole,1m' },
    tools: { type: 'string', default: 'xz,zstd,brotli' },
    runs: { type: 'string', default: '3' },
    json: { type: 'string' },
    markdown: { type: 'boolean', default: false },
  },
});
const MAX_BLOCK = 1 << 24;
const levels = values.levels.split(',').filter(Boolean).map(Number);
const modes = values.modes.split(',').filter(Boolean);
const runs = Math.max(1, Number(values.runs));
const root = new URL('..', import.meta.url).pathname;
const wasmPath = join(root, 'build/codec.wasm');
if (!existsSync(wasmPath)) {
  console.error('build/codec.wasm is missing: run `npm run build` (or node scripts/build-codec-wasm.mjs) first');
  process.exit(2);
}

// ---- the codec, called the way src/codec/plz.ts calls it (copy in, call, copy out)
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const x = instance.exports;
if (x.initDecoder() !== 0 || x.initEncoder() !== 0) throw new Error('codec memory');
const mem = () => new Uint8Array(x.memory.buffer);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function plzEncode(block, level) {
  mem().set(block, x.inPtr());
  const t = cpuMs();
  const len = x.encode(block.length, level);
  const ms = cpuMs() - t;
  if (len < 0) throw new Error(`encode failed ${len}`);
  return { payload: mem().slice(x.outPtr(), x.outPtr() + len), ms };
}
function plzDecode(payload, n) {
  mem().set(payload, x.inPtr());
  const t = cpuMs();
  const r = x.decode(payload.length, n);
  const ms = cpuMs() - t;
  if (r !== n) throw new Error(`decode failed ${r}`);
  return ms;
}
// warm-up: every level's paths on 1 MiB of mixed text-like bytes, a few times
{
  const w = new Uint8Array(1 << 20);
  let s = 1;
  for (let i = 0; i < w.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    w[i] = i > 64 && (s >>> 28) < 9 ? w[i - 1 - ((s >>> 8) & 63)] : 97 + ((s >>> 16) % 26);
  }
  for (let k = 0; k < 3; k++) {
    for (const level of [1, 5, 9]) {
      const { payload } = plzEncode(w.subarray(0, 256 << 10), level);
      plzDecode(payload, 256 << 10);
    }
  }
}

// ---- CLI tools
const tmp = mkdtempSync(join(tmpdir(), 'plz-bench-'));
// each tool compresses all the blocks of a row in one process (one output file per block, so sizes are per block);
// xz and zstd decode them in one process too (they accept several files); brotli decodes one process per block
const TOOLS = {
  xz: { comp: ['xz', '-9e', '-T1', '-k', '-f'], ext: '.xz', decomp: ['xz', '-d', '-T1', '-c'], multi: true, label: 'xz -9e' },
  zstd: { comp: ['zstd', '-19', '-q', '-k', '-f'], ext: '.zst', decomp: ['zstd', '-d', '-q', '-c'], multi: true, label: 'zstd -19' },
  brotli: { comp: ['brotli', '-q', '11', '-k', '-f'], ext: '.br', decomp: ['brotli', '-d', '-c'], multi: false, label: 'brotli -q 11' },
};
const haveTime = existsSync('/usr/bin/time');
/** Runs argv, discarding stdout; returns the CPU ms of the child (wall ms without /usr/bin/time). */
function runTimed(argv) {
  const cmd = haveTime ? ['/usr/bin/time', '-f', '@@%U %S', ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd[0], cmd.slice(1), { maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  const m = /@@([\d.]+) ([\d.]+)\s*$/.exec(r.stderr.toString());
  return m ? (Number(m[1]) + Number(m[2])) * 1000 : wall;
}
const tools = values.tools.split(',').filter((t) => TOOLS[t] && spawnSync(TOOLS[t].comp[0], ['--version']).status === 0);

function blocksOf(data, mode) {
  const size = mode === 'whole' ? MAX_BLOCK : 1 << 20;
  const out = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, Math.min(data.length, i + size)));
  return out;
}

const rows = [];
const mb = (bytes, ms) => (ms > 0 ? bytes / 1000 / ms : Infinity);
const files = values.files.split(',').filter(Boolean);
for (const name of files) {
  const path = join(values.corpus, 'single', name);
  if (!existsSync(path)) {
    console.error(`skip ${name}: not in ${values.corpus}/single`);
    continue;
  }
  const data = new Uint8Array(readFileSync(path));
  for (const mode of modes) {
    const blocks = blocksOf(data, mode);
    for (const level of levels) {
      let size = 0;
      let encMs = 0;
      const payloads = [];
      for (const b of blocks) {
        const { payload, ms } = plzEncode(b, level);
        payloads.push(payload);
        size += payload.length;
        encMs += ms;
      }
      let decMs = Infinity;
      for (let r = 0; r < runs; r++) {
        let ms = 0;
        for (let i = 0; i < blocks.length; i++) ms += plzDecode(payloads[i], blocks[i].length);
        decMs = Math.min(decMs, ms);
      }
      // verify the last decode
      let off = 0;
      for (let i = 0; i < blocks.length; i++) {
        plzDecode(payloads[i], blocks[i].length);
        const got = mem().subarray(x.outPtr(), x.outPtr() + blocks[i].length);
        if (Buffer.compare(Buffer.from(got), Buffer.from(blocks[i])) !== 0) throw new Error(`${name} L${level}: round trip differs in block ${i}`);
        off += blocks[i].length;
      }
      rows.push({ file: name, mode, codec: `plz -${level}`, original: data.length, size, encMBs: mb(data.length, encMs), decMBs: mb(data.length, decMs) });
      process.stderr.write(`${name} ${mode} plz -${level}: ${size}\n`);
    }
    for (const t of tools) {
      const T = TOOLS[t];
      const inFiles = blocks.map((b, i) => {
        const f = join(tmp, `b${i}`);
        writeFileSync(f, b);
        return f;
      });
      const encMs = runTimed([...T.comp, ...inFiles]);
      const outFiles = inFiles.map((f) => f + T.ext);
      const size = outFiles.reduce((a, f) => a + statSync(f).size, 0);
      let decMs = Infinity;
      for (let k = 0; k < runs; k++) {
        // the files are listed `rep` times so that one timing covers ≥ 64 MB of output (the timer counts in 10 ms steps)
        const rep = T.multi ? Math.max(1, Math.ceil((64 << 20) / data.length)) : 1;
        const ms = T.multi
          ? runTimed([...T.decomp, ...Array.from({ length: rep }, () => outFiles).flat()]) / rep
          : outFiles.reduce((a, f) => a + runTimed([...T.decomp, f]), 0);
        decMs = Math.min(decMs, ms);
      }
      for (const f of [...inFiles, ...outFiles]) rmSync(f, { force: true });
      rows.push({ file: name, mode, codec: T.label, original: data.length, size, encMBs: mb(data.length, encMs), decMBs: mb(data.length, decMs) });
      process.stderr.write(`${name} ${mode} ${T.label}: ${size}\n`);
    }
  }
}
rmSync(tmp, { recursive: true, force: true });

// ---- report
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const header = ['file', 'blocks', 'codec', 'size', 'ratio %', 'vs xz -9e', 'comp MB/s', 'decomp MB/s'];
const lines = [];
for (const r of rows) {
  const xzRow = rows.find((q) => q.file === r.file && q.mode === r.mode && q.codec === 'xz -9e');
  const vs = xzRow ? `${r.size <= xzRow.size ? '' : '+'}${(((r.size - xzRow.size) / xzRow.size) * 100).toFixed(2)} %` : '—';
  lines.push([r.file, r.mode === 'whole' ? 'whole' : '1 MiB', r.codec, String(r.size), fmt((r.size / r.original) * 100, 2), vs, fmt(r.encMBs), fmt(r.decMBs)]);
}
const meta = { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, node: process.versions.node, load: (await import('node:os')).loadavg().map((v) => v.toFixed(2)).join(' ') };
console.log(`plz codec benchmark — ${meta.cpu} (${meta.cores} cores), Node ${meta.node}, load average ${meta.load}; MB/s of CPU time`);
if (values.markdown) {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i >= 3 ? '---:' : '---')).join('|')}|`);
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
} else {
  const w = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (l) => l.map((c, i) => (i >= 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
  console.log(row(header));
  for (const l of lines) console.log(row(l));
}
if (values.json) {
  writeFileSync(values.json, JSON.stringify({ meta, rows }, null, 2) + '\n');
  console.log(`\nwrote ${values.json}`);
}
