#!/usr/bin/env node
// The asynchronous pipeline end to end on a corpus tree: chunk + queue, N worker processes (`panini-fs worker
// --exit-when-idle`), validate-reconstruction from the stored results — with the embedded SQLite queue and with Redis
// (a redis-server started here) — against one `panini-fs compress --codec dhatu` of the same tree in the same run.
// Needs `npm run build`. Times are wall clock on this machine; compare the rows with each other, not across runs.
// Usage: node bench/pipeline.mjs [--input DIR] [--workers 1,2] [--queues sqlite,redis] [--level 6] [--block-size 4M]
//        (default input: $PANINI_CORPUS_DIR/tree, else the shared corpus default folder)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, lstatSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ROOT, 'dist', 'cli.js');
const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const corpus = process.env.PANINI_CORPUS_DIR ?? join(homedir(), '.cache', 'panini-fs', 'corpus', 'dev');
const input = opt('--input', join(corpus, 'tree'));
const workerCounts = opt('--workers', '1,2').split(',').map(Number);
const queues = opt('--queues', 'sqlite,redis').split(',');
const level = opt('--level', '6');
const block = opt('--block-size', '4M');
if (!existsSync(CLI)) throw new Error('run `npm run build` first');
if (!existsSync(input)) throw new Error(`no input ${input} (set PANINI_CORPUS_DIR or pass --input)`);
const tmp = mkdtempSync(join(tmpdir(), 'panini-bench-pipeline-'));
const log = (s) => process.stderr.write(`${s}\n`);

function du(p) {
  const st = lstatSync(p);
  if (st.isDirectory()) return readdirSync(p).reduce((n, x) => n + du(join(p, x)), 0);
  return st.isFile() ? st.size : 0;
}
const bytes = du(input);

function cli(argv, env = {}) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...argv], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`panini-fs ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { s: (performance.now() - t) / 1000, out: r.stdout };
}

function workers(n, queue) {
  const t = performance.now();
  return Promise.all(
    Array.from({ length: n }, () =>
      new Promise((res, rej) => {
        const c = spawn(process.execPath, [CLI, 'worker', '--queue', queue, '--device', 'cpu', '--exit-when-idle'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        c.stderr.on('data', (b) => (err += b));
        c.on('close', (code) => (code === 0 ? res() : rej(new Error(`worker exited ${code}: ${err}`))));
      }),
    ),
  ).then(() => (performance.now() - t) / 1000);
}

async function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server not found: apt-get install redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmp, 'redis-'));
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') return { url: `redis://127.0.0.1:${port}/0`, stop: () => p.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 100));
  }
  p.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

const MB = 1e6;
const rows = [];
log(`input ${input}: ${(bytes / MB).toFixed(1)} MB, level ${level}, blocks ${block}, ${cpus().length} CPUs`);

// baseline: one compress of the same tree, same codec and level
{
  const out = join(tmp, 'baseline.pnz');
  const r = cli(['compress', input, '-o', out, '--codec', 'dhatu', '--level', level, '--json']);
  const size = statSync(out).size;
  rows.push({ name: 'panini-fs compress (one process)', queue: '-', workers: '-', chunkS: 0, compressS: r.s, validateS: 0, totalS: r.s, stored: size, ratio: size / bytes, MBs: bytes / MB / r.s });
  log(`baseline compress: ${r.s.toFixed(1)} s, ${size} bytes`);
}

for (const q of queues) {
  const redis = q === 'redis' ? await startRedis() : undefined;
  try {
    for (const n of workerCounts) {
      const dir = mkdtempSync(join(tmp, `${q}-${n}-`));
      const queue = redis ? `${redis.url}?prefix=bench${n}` : `sqlite:${join(dir, 'queue.sqlite')}`;
      const store = join(dir, 'store');
      const c = cli(['chunk', input, '--output', store, '--queue', queue, '--level', level, '--block-size', block, '--json']);
      const report = JSON.parse(c.out);
      const w = await workers(n, queue);
      const v = cli(['validate-reconstruction', '--original', input, '--compressed', store, '--json']);
      const val = JSON.parse(v.out);
      if (!val.ok) throw new Error(`not bit-perfect: ${val.problems.join('; ')}`);
      const total = c.s + w + v.s;
      rows.push({ name: `pipeline, ${n} worker${n > 1 ? 's' : ''}`, queue: q, workers: n, chunkS: c.s, compressS: w, validateS: v.s, totalS: total, stored: val.storedBytes, ratio: val.ratio, MBs: bytes / MB / (c.s + w), chunks: report.chunks });
      log(`${q} ×${n}: chunk ${c.s.toFixed(1)} s, workers ${w.toFixed(1)} s, validate ${v.s.toFixed(1)} s, ${val.storedBytes} bytes, bit-perfect`);
    }
  } finally {
    redis?.stop();
  }
}

const base = rows[0];
console.log(`\n| run | queue | chunk s | workers s | validate s | stored bytes | ratio | MB/s (chunk+compress) | vs one compress |`);
console.log(`|---|---|---:|---:|---:|---:|---:|---:|---:|`);
for (const r of rows) {
  console.log(`| ${r.name} | ${r.queue} | ${r.chunkS.toFixed(1)} | ${r.compressS.toFixed(1)} | ${r.validateS.toFixed(1)} | ${r.stored} | ${r.ratio.toFixed(4)} | ${r.MBs.toFixed(2)} | ${(base.totalS / (r.chunkS + r.compressS)).toFixed(2)}× |`);
}
rmSync(tmp, { recursive: true, force: true });
