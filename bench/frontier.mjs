#!/usr/bin/env node
// The speed/size frontier of the default codec: dhātu levels 1–3 next to zstd -1/-3/-9/-19, brotli -q 5, gzip -9 and
// xz -9e on the corpus's single files and trees (the mail tree and the version series), in one run; the last lines
// check one level (--check, default 2) against zstd -3 and gzip -9 on every input. Speeds are MB/s (10^6 bytes of original) of CPU time: this
// process's user+system time for panini-fs (one thread), the child's for the CLIs — so a loaded machine slows both
// alike. Each level first codes a 2 MiB slice of every input kind once (so V8's tier-up is not charged to the first
// input), and with --reps N every cell is the least CPU time of N runs (default 1). Needs `npm run build`.
// Usage: node bench/frontier.mjs [--levels 1,2,3] [--check 2] [--files a,b] [--reps N] [--no-slow] (no zstd -19, xz -9e)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compress, compressTree, decompress, init } from '../dist/node.js';
import { defaultCorpusDir } from './lib/util.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const levels = arg('--levels', '1,2,3').split(',').map(Number);
const slow = !argv.includes('--no-slow');
const corpus = defaultCorpusDir();
const only = arg('--files', '');
const reps = Math.max(1, Number(arg('--reps', '1')));
await init();

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
function tool(cmd, args, input) {
  let best;
  for (let k = 0; k < reps; k++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { input, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    const [u, s] = r.stderr.toString().trim().split('\n').pop().split(' ').map(Number);
    if (!best || u + s < best.s) best = { size: r.stdout.length, s: u + s };
  }
  return best;
}
function tarOf(dir) {
  const r = spawnSync('tar', ['-C', dir, '--sort=name', '-cf', '-', '.'], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  return r.stdout;
}

const inputs = [];
for (const f of readdirSync(join(corpus, 'single')).sort()) inputs.push({ name: f, kind: 'file', path: join(corpus, 'single', f) });
for (const d of readdirSync(join(corpus, 'tree')).sort()) inputs.push({ name: `${d}/`, kind: 'tree', path: join(corpus, 'tree', d) });
inputs.push({ name: 'versions/', kind: 'tree', path: join(corpus, 'versions') });
const rows = [];
const tmp = mkdtempSync(join(tmpdir(), 'panini-frontier-'));
const chosen = inputs.filter((x) => !only || only.split(',').includes(x.name));
for (const inp of chosen.filter((x) => x.kind === 'file')) {
  const slice = readFileSync(inp.path).subarray(0, 2 << 20);
  for (const level of levels) await compress(slice, { codec: 'dhatu', level });
}
for (const inp of chosen) {
  const bytes = inp.kind === 'file' ? readFileSync(inp.path) : tarOf(inp.path);
  const row = { name: inp.name, bytes: bytes.length, cells: {} };
  for (const level of levels) {
    for (let k = 0; k < reps; k++) {
      const t = cpu();
      let cell;
      if (inp.kind === 'file') {
        const c = await compress(bytes, { codec: 'dhatu', level });
        cell = { size: c.length, s: cpu() - t };
        const back = await decompress(c);
        if (Buffer.compare(back, bytes) !== 0) throw new Error(`${inp.name} L${level}: round trip differs`);
      } else {
        const out = join(tmp, 'tree.pnz');
        const r = await compressTree(inp.path, out, { codec: 'dhatu', level, force: true });
        cell = { size: r.outputBytes, s: cpu() - t };
      }
      const prev = row.cells[`L${level}`];
      if (!prev || cell.s < prev.s) row.cells[`L${level}`] = cell;
    }
  }
  for (const [name, cmd, args] of [
    ['zstd -1', 'zstd', ['-1', '-c']],
    ['zstd -3', 'zstd', ['-3', '-c']],
    ['zstd -9', 'zstd', ['-9', '-c']],
    ...(slow ? [['zstd -19', 'zstd', ['-19', '-T1', '-c']]] : []),
    ['brotli -q 5', 'brotli', ['-q', '5', '-c']],
    ['gzip -9', 'gzip', ['-9', '-c']],
    ...(slow ? [['xz -9e', 'xz', ['-9e', '-T1', '-c']]] : []),
  ]) {
    row.cells[name] = tool(cmd, args, bytes);
  }
  rows.push(row);
  process.stderr.write(`${inp.name}: ${Object.entries(row.cells).map(([k, v]) => `${k} ${v.size}`).join(', ')}\n`);
}
rmSync(tmp, { recursive: true, force: true });

const cols = Object.keys(rows[0].cells);
const MB = 1e6;
console.log(`| input | MB | ${cols.join(' | ')} |`);
console.log(`|---|---:|${cols.map(() => '---:').join('|')}|`);
for (const r of rows) {
  console.log(`| ${r.name} | ${(r.bytes / MB).toFixed(1)} | ${cols.map((c) => `${r.cells[c].size} (${(r.bytes / MB / Math.max(r.cells[c].s, 1e-3)).toFixed(1)})`).join(' | ')} |`);
}
console.log('\ncells: output bytes (MB/s of CPU time). Trees are coded as trees by panini-fs and as a tar by the others.');
const d = `L${arg('--check', '2')}`;
if (rows[0].cells[d]) {
  console.log(`\n${d}: ÷ zstd -3 and ÷ gzip -9 per input`);
  for (const r of rows) console.log(`  ${r.name.padEnd(28)} ${(r.cells[d].size / r.cells['zstd -3'].size).toFixed(3)}  ${(r.cells[d].size / r.cells['gzip -9'].size).toFixed(3)}`);
}
