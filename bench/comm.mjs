#!/usr/bin/env node
// COMM (stage 48, src/dhatu/comm.ts) benchmark: long-range copies on the versions series, the mail tree and single
// files. Each set is one stream (a tree's files concatenated in sorted path order — for versions/ that is
// version-major, as a tree compressor feeds them), cut into records of ≤ 64 MiB of output and ≤ 16 MiB of literal
// residue (LongMatcher.encodePrefix). Per record the residue is coded with plz (src/codec/plz.ts, one ≤ 16 MiB block)
// and so are the ops (params). Every record is decoded back through commStage.inverse over the in-memory output
// and compared. Reports copied / residue / ops bytes, the coded total, matcher MB/s (CPU time of the encode calls)
// and inverse MB/s (of the commStage.inverse calls), the matcher's wasm memory and the process's peak RSS;
// optionally the same stream through `zstd -19 --long=27` and `xz -9e` (tar'd for trees) in the same run.
//
//   node bench/comm.mjs [--corpus DIR] [--sets versions,mail,js-typescript.js,...] [--level 9]
//                       [--configs 64:256,128:256]
//                       (each minMatch:windowMiB[:repMin[:sampleBits[:tableBits[:minDistanceKiB]]]], '-' = default)
//                       [--tools zstd,xz] [--no-plz]
//
// Builds an esbuild bundle of src/dhatu/comm.ts + src/codec/plz.ts into .bench/ (needs `node scripts/build-match-wasm.mjs`
// and `node scripts/build-codec-wasm.mjs` run first). Run it under `nice -n 10`: plz level 9 runs at ~1 MB/s.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCorpusDir } from './lib/util.mjs';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: defaultCorpusDir() },
    sets: { type: 'string', default: 'versions,mail,js-typescript.js,elf-esbuild' },
    level: { type: 'string', default: '9' },
    configs: { type: 'string', default: '64:256' },
    tools: { type: 'string', default: '' },
    'no-plz': { type: 'boolean', default: false },
  },
});

const root = new URL('..', import.meta.url).pathname;
mkdirSync(join(root, '.bench'), { recursive: true });
const bundle = join(root, '.bench/comm-bench-lib.mjs');
{
  const esbuild = await import('esbuild');
  await esbuild.build({
    stdin: {
      contents: "export { createLongMatcher, commStage } from './src/dhatu/comm.ts';\nexport { encode as plzEncode } from './src/codec/plz.ts';\n",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: bundle,
    logLevel: 'warning',
  });
}
const { createLongMatcher, commStage, plzEncode } = await import(bundle);

const MiB = 1 << 20;
const level = Number(values.level);
const usePlz = !values['no-plz'];

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => (relative(dir, a) < relative(dir, b) ? -1 : relative(dir, a) > relative(dir, b) ? 1 : 0));
}

function loadSet(name) {
  const c = values.corpus;
  if (name === 'versions' || name === 'mail') {
    const dir = name === 'versions' ? join(c, 'versions') : join(c, 'tree/mail-easy-ham-1');
    const files = listFiles(dir);
    const bufs = files.map((f) => readFileSync(f));
    return { name, files: files.length, data: Buffer.concat(bufs), dir };
  }
  const p = join(c, 'single', name);
  return { name, files: 1, data: readFileSync(p), file: p };
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function runComm(set, cfg) {
  const data = set.data;
  const m = createLongMatcher({ window: cfg.window, minMatch: cfg.minMatch, repMinMatch: cfg.repMin, sampleBits: cfg.sampleBits, tableBits: cfg.tableBits, minDistance: cfg.minDistance });
  let pos = 0;
  let records = 0;
  let copied = 0;
  let residueBytes = 0;
  let opsBytes = 0;
  let residueCoded = 0;
  let opsCoded = 0;
  let matchMs = 0;
  let plzMs = 0;
  let invMs = 0;
  let peakWasm = 0;
  while (pos < data.length) {
    const rec = data.subarray(pos, Math.min(data.length, pos + 64 * MiB));
    const t0 = cpuMs();
    const { result, length } = m.encodePrefix(rec, pos, 16 * MiB);
    matchMs += cpuMs() - t0;
    peakWasm = Math.max(peakWasm, m.memoryBytes);
    const record = data.subarray(pos, pos + length);
    const residue = result ? result.streams[0] : record;
    const params = result ? result.params : new Uint8Array(0);
    if (result) {
      const t2 = cpuMs();
      const [back] = commStage.inverse(result.params, result.streams, {
        recordOffset: pos,
        recordLength: length,
        maxBytes: 64 * MiB,
        where: `${set.name} record ${records}`,
        readOutput: (o, l) => {
          if (o < 0 || o + l > pos) throw new Error('readOutput out of range');
          return data.subarray(o, o + l);
        },
      });
      invMs += cpuMs() - t2;
      if (!Buffer.from(back.buffer, back.byteOffset, back.length).equals(record)) throw new Error(`round trip failed in record ${records}`);
      copied += result.handled;
    }
    residueBytes += residue.length;
    opsBytes += params.length;
    if (usePlz) {
      const t1 = cpuMs();
      for (let i = 0; i < residue.length; i += 16 * MiB) residueCoded += plzEncode(residue.subarray(i, i + 16 * MiB), level).length;
      if (params.length) opsCoded += plzEncode(params, level).length;
      plzMs += cpuMs() - t1;
    }
    pos += length;
    records++;
  }
  return { records, copied, residueBytes, opsBytes, residueCoded, opsCoded, total: residueCoded + opsCoded, matchMBs: data.length / 1e3 / matchMs, invMBs: data.length / 1e3 / invMs, plzMBs: residueBytes / 1e3 / plzMs, wasmMiB: peakWasm / MiB };
}

function runTool(set, tool) {
  const input = set.dir
    ? spawnSync('tar', ['--sort=name', '-cf', '-', '-C', set.dir, '.'], { maxBuffer: 1 << 30 }).stdout
    : set.data;
  const args = tool === 'zstd' ? ['-19', '--long=27', '-T1', '-c'] : ['-9e', '-T1', '-c'];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(tool, args, { input, maxBuffer: 1 << 30 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  return { bytes: r.stdout.length, inputBytes: input.length, wallS: s };
}

const configs = values.configs.split(',').map((s) => {
  const [mm, w, rep, sb, tb, md] = s.split(':').map(Number);
  const opt = (v) => (Number.isFinite(v) && v >= 0 ? v : undefined); // '-' or empty: the default
  return { minMatch: mm, window: w * MiB, repMin: opt(rep) || undefined, sampleBits: opt(sb), tableBits: opt(tb), minDistance: Number.isFinite(md) ? md * 1024 : undefined, label: s };
});
const tools = values.tools ? values.tools.split(',') : [];
console.log(`# COMM bench — ${cpus()[0]?.model ?? '?'} ×${cpus().length}, node ${process.versions.node}, load ${loadavg().map((v) => v.toFixed(2)).join(' ')}, plz level ${usePlz ? level : '-'}`);
console.log('| set | input B | minMatch:windowMiB[:rep[:sb[:tb[:mdKiB]]]] | records | copied B | residue B | ops B | residue plz | ops plz | total | match MB/s | inverse MB/s | plz MB/s | wasm MiB |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const name of values.sets.split(',')) {
  const set = loadSet(name);
  for (const cfg of configs) {
    const r = runComm(set, cfg);
    console.log(`| ${name} | ${set.data.length} | ${cfg.label} | ${r.records} | ${r.copied} | ${r.residueBytes} | ${r.opsBytes} | ${r.residueCoded} | ${r.opsCoded} | ${r.total} | ${r.matchMBs.toFixed(1)} | ${r.invMBs.toFixed(0)} | ${usePlz ? r.plzMBs.toFixed(2) : '-'} | ${r.wasmMiB.toFixed(0)} |`);
  }
  for (const tool of tools) {
    const t = runTool(set, tool);
    console.log(`| ${name} | ${t.inputBytes} | ${set.dir ? 'tar \\| ' : ''}${tool === 'zstd' ? 'zstd -19 --long=27' : 'xz -9e'} | | | | | | | ${t.bytes} | ${(t.inputBytes / 1e6 / t.wallS).toFixed(2)} (wall) | | | |`);
  }
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
