#!/usr/bin/env node
// REFLATE benchmark: on files holding deflate streams (default: the dev corpus's JAR and PNG), how many streams the
// forward pass finds and reproduces, the raw bytes it exposes, its time, the inverse's speed (re-deflate), and the
// size of the expanded record coded with plz level 9 (≤ 16 MiB blocks, + the recipe params) next to xz -9e,
// brotli -q 11 and zstd -19 of the ORIGINAL file, all in the same run.
//
//   node bench/reflate.mjs [--corpus DIR] [--files zip-closure.jar,png-emoji-apple-32.png] [--tools xz,zstd,brotli]
//                          [--no-foreign] [--budget-ms N] [--json FILE]
//
// It bundles src/ with esbuild (no build step needed). The foreign hook (src/dhatu/reflate/foreign.ts) is used when
// that module exists and exports analyzeForeign / reconstructForeign. Times are wall clock on a possibly shared
// machine (CPU time is printed next to it for the forward pass and plz).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { defaultCorpusDir } from './lib/util.mjs';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: defaultCorpusDir() },
    files: { type: 'string', default: 'zip-closure.jar,png-emoji-apple-32.png' },
    tools: { type: 'string', default: 'xz,zstd,brotli' },
    'no-foreign': { type: 'boolean', default: false },
    'budget-ms': { type: 'string', default: '300000' },
    json: { type: 'string' },
  },
});

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'reflate-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const preflatePath = join(root, 'src/dhatu/reflate/foreign.ts');
const withForeign = !values['no-foreign'] && existsSync(preflatePath);
const entry = [
  `export { reflateForward, reflateInverse, setForeignReconstructor } from ${JSON.stringify(join(root, 'src/dhatu/reflate/index.ts'))};`,
  `export { encode as plzEncode, decode as plzDecode } from ${JSON.stringify(join(root, 'src/codec/plz.ts'))};`,
  withForeign ? `export * as preflate from ${JSON.stringify(preflatePath)};` : 'export const preflate = null;',
].join('\n');
const outfile = join(work, 'bundle.mjs');
await build({ stdin: { contents: entry, resolveDir: root, loader: 'ts' }, bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'error' });
const lib = await import(pathToFileURL(outfile).href);
const foreign = lib.preflate && typeof lib.preflate.analyzeForeign === 'function' ? lib.preflate : undefined;
if (foreign) lib.setForeignReconstructor(foreign.reconstructForeign);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const MB = (n) => (n / 1e6).toFixed(2);

function cli(tool, file) {
  const args = { xz: ['xz', '-9e', '-T1', '-c', file], zstd: ['zstd', '-19', '-c', '-q', file], brotli: ['brotli', '-q', '11', '-c', file] }[tool];
  const t = performance.now();
  const r = spawnSync('nice', ['-n', '10', ...args], { maxBuffer: 1 << 30 });
  if (r.status !== 0) return null;
  return { bytes: r.stdout.length, s: (performance.now() - t) / 1000 };
}

const rows = [];
for (const name of values.files.split(',')) {
  const path = [join(values.corpus, 'single', name), join(values.corpus, name)].find((p) => existsSync(p));
  if (!path) {
    console.error(`missing ${name} under ${values.corpus}`);
    continue;
  }
  const data = new Uint8Array(readFileSync(path));
  // forward
  let t = performance.now();
  let c = cpuMs();
  const { result, report } = lib.reflateForward(data, { foreign, budgetMs: Number(values['budget-ms']) });
  const fwdS = (performance.now() - t) / 1000;
  const fwdCpu = (cpuMs() - c) / 1000;
  const expanded = result ? result.streams[0] : data;
  const params = result ? result.params : new Uint8Array(0);
  // inverse
  let invS = 0;
  let invCpu = 0;
  if (result) {
    t = performance.now();
    c = cpuMs();
    const back = lib.reflateInverse(result.params, result.streams, { where: name, maxBytes: 1 << 30, recordLength: data.length, recordOffset: 0 })[0];
    invS = (performance.now() - t) / 1000;
    invCpu = (cpuMs() - c) / 1000;
    if (Buffer.compare(Buffer.from(back), Buffer.from(data)) !== 0) throw new Error(`${name}: inverse differs from the original`);
  }
  // plz level 9 of the expanded record (and of the original, for reference), 16 MiB blocks
  const plz = (buf) => {
    let n = 0;
    for (let o = 0; o < buf.length; o += 1 << 24) n += lib.plzEncode(buf.subarray(o, Math.min(buf.length, o + (1 << 24))), 9).length;
    return n;
  };
  t = performance.now();
  c = cpuMs();
  const plzExpanded = plz(expanded) + params.length;
  const plzS = (performance.now() - t) / 1000;
  const plzCpu = (cpuMs() - c) / 1000;
  const plzOriginal = plz(data);
  const base = {};
  for (const tool of values.tools.split(',').filter(Boolean)) base[tool] = cli(tool, path);
  // the expanded record through xz too, to separate REFLATE's gain from the coder's
  const expFile = join(work, 'expanded.bin');
  writeFileSync(expFile, expanded);
  const xzExpanded = values.tools.includes('xz') ? cli('xz', expFile) : null;
  const best = Math.min(...Object.values(base).filter(Boolean).map((b) => b.bytes));
  const row = {
    file: name,
    bytes: data.length,
    streams: report.found,
    reproduced: report.reproduced,
    foreign: report.foreign,
    kept: report.kept,
    keptReasons: [...new Set(report.streams.filter((s) => s.method === 'kept').map((s) => s.reason))].slice(0, 5),
    rawBytes: report.rawBytes,
    expandedBytes: expanded.length,
    paramsBytes: params.length,
    forwardS: +fwdS.toFixed(2),
    forwardCpuS: +fwdCpu.toFixed(2),
    inverseS: +invS.toFixed(2),
    inverseCpuS: +invCpu.toFixed(2),
    inverseRecordMBps: invS ? +(data.length / 1e6 / invS).toFixed(1) : null,
    inverseRawMBps: invS ? +(report.rawBytes / 1e6 / invS).toFixed(1) : null,
    inverseRawMBpsCpu: invCpu ? +(report.rawBytes / 1e6 / invCpu).toFixed(1) : null,
    plz9Expanded: plzExpanded,
    plz9S: +plzS.toFixed(1),
    plz9CpuS: +plzCpu.toFixed(1),
    plz9Original: plzOriginal,
    xzExpanded: xzExpanded?.bytes ?? null,
    baselines: Object.fromEntries(Object.entries(base).map(([k, v]) => [k, v?.bytes ?? null])),
    bestBaseline: best,
    ratioToBest: +(plzExpanded / best).toFixed(3),
  };
  rows.push(row);
  console.log(JSON.stringify(row, null, 1));
}

console.log('\n| file | streams | reproduced | foreign | kept | raw MB | forward s (cpu) | inverse raw MB/s (wall / cpu) | plz-9 expanded+params | plz-9 original | xz -9e | brotli -q 11 | zstd -19 | ratio to best |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.file} | ${r.streams} | ${r.reproduced} | ${r.foreign} | ${r.kept} | ${MB(r.rawBytes)} | ${r.forwardS} (${r.forwardCpuS}) | ${r.inverseRawMBps ?? '-'} / ${r.inverseRawMBpsCpu ?? '-'} | ${r.plz9Expanded} | ${r.plz9Original} | ${r.baselines.xz ?? '-'} | ${r.baselines.brotli ?? '-'} | ${r.baselines.zstd ?? '-'} | ${r.ratioToBest} |`,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify({ foreignHook: !!foreign, rows }, null, 1));
