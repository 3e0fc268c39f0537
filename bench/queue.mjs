#!/usr/bin/env node
// Job queue throughput (the built Node entry; `npm run build` first): a job of --tasks tasks (default 100 000) is
// created and enqueued, then workers claim (max 1 or max 32 per call) and complete tasks until the job is done or
// --seconds (default 30) have passed; tasks/s = tasks verified / wall time; job() ms is one status read of the
// 100 000-task job (per-job counters, so it does not grow with the job). 1 worker, and 4 concurrent workers:
// 4 processes for SQLite (one file, WAL, synchronous=FULL), 4 connections (4 RedisQueue instances) for Redis.
// Redis is a redis-server started here (append-only file, appendfsync always, like the tests).
//   node bench/queue.mjs [--tasks N] [--seconds S] [--only sqlite,redis] [--json FILE]
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { RedisQueue, SqliteQueue } from '../dist/node.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '30' },
    only: { type: 'string', default: 'sqlite,redis' },
    json: { type: 'string' },
    child: { type: 'string' }, // internal: a SQLite worker process
    max: { type: 'string' },
    until: { type: 'string' },
  },
});

const spec = { type: 'compress', input: ['/bench'], options: {}, store: 'memory:bench' };
const tasks = (n) => Array.from({ length: n }, (_, i) => ({ key: String(i).padStart(7, '0'), kind: 'compress-chunk', size: 65536, payload: { chunk: i } }));
const result = (c) => ({ bytesIn: c.size, bytesOut: c.size >> 1, dhatu: { literal: c.size } });

/** One worker: claim + complete until nothing is left or the deadline passes; returns tasks verified. */
async function work(q, workerId, max, until) {
  let done = 0;
  while (Date.now() < until) {
    const got = await q.claim(workerId, { max });
    if (got.length === 0) break;
    for (const c of got) if (await q.complete(c, result(c))) done++;
  }
  return done;
}

if (values.child) {
  const q = new SqliteQueue(values.child);
  const done = await work(q, `bench-${process.pid}`, Number(values.max), Number(values.until));
  await q.close();
  process.send({ done });
  process.exit(0);
}

const N = Number(values.tasks);
const seconds = Number(values.seconds);
const only = values.only.split(',');
if (!Number.isSafeInteger(N) || N < 1 || !(seconds > 0)) {
  console.error('usage: node bench/queue.mjs [--tasks N] [--seconds S] [--only sqlite,redis] [--json FILE]');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'panini-bench-queue-'));
const rows = [];
const log = (s) => process.stderr.write(`${s}\n`);

async function timed(f) {
  const t = performance.now();
  const v = await f();
  return [v, (performance.now() - t) / 1000];
}

// every run gets a fresh store (`fresh()` → { open, stop }): a new SQLite file, a new redis-server, so no run pays for
// the data of the one before (Redis would otherwise rewrite its growing append-only file in the middle of a run)
async function scenario(backend, fresh, runWorkers) {
  for (const workers of [1, 4]) {
    for (const max of [1, 32]) {
      const env = await fresh();
      const q = await env.open();
      const all = tasks(N);
      const [id, createS] = await timed(() => q.createJob(spec, all));
      const [, enqueueS] = await timed(() => q.enqueue(id));
      // job() reads per-job counters: its cost must not grow with the task count
      const [, jobS] = await timed(async () => {
        for (let i = 0; i < 200; i++) await q.job(id);
      });
      const t = performance.now();
      const done = await runWorkers(q, workers, max, Date.now() + seconds * 1000);
      const wallS = (performance.now() - t) / 1000;
      const st = await q.job(id);
      if (st.counts.verified !== done) throw new Error(`${backend}: workers report ${done} verified, the job counts ${st.counts.verified}`);
      const row = { backend, workers, max, tasks: N, createS, enqueueS, jobMs: (jobS / 200) * 1000, verified: done, finished: done === N, wallS, tasksPerS: done / wallS };
      rows.push(row);
      log(JSON.stringify(row));
      await q.close();
      await env.stop();
    }
  }
}

if (only.includes('sqlite')) {
  let n = 0;
  const self = fileURLToPath(import.meta.url);
  await scenario(
    'sqlite',
    async () => {
      const path = join(tmp, `bench-${n++}.sqlite`);
      return { open: async () => new SqliteQueue(path), stop: async () => rmSync(path, { force: true }) };
    },
    async (q, workers, max, until) => {
      if (workers === 1) return work(q, 'bench-main', max, until);
      const path = q.path;
      const counts = await Promise.all(
        Array.from(
          { length: workers },
          () =>
            new Promise((resolve, reject) => {
              const child = fork(self, ['--child', path, '--max', String(max), '--until', String(until)], { stdio: 'inherit' });
              let got;
              child.on('message', (m) => (got = m.done));
              child.on('error', reject);
              child.on('exit', (code) => (code === 0 && got !== undefined ? resolve(got) : reject(new Error(`bench worker exited with ${code}`))));
            }),
        ),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
  );
}

async function startRedis() {
  const bin = ['/usr/bin/redis-server', ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'redis-server'))].find((p) => existsSync(p));
  if (!bin) throw new Error('redis-server is not installed: apt-get install redis-server');
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmp, 'redis-'));
  const child = spawn(bin, ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('error', () => resolve(false));
      c.once('connect', () => c.write('PING\r\n'));
      c.once('data', (d) => (c.destroy(), resolve(d.toString().startsWith('+PONG'))));
    });
    if (ok) {
      return {
        url: `redis://127.0.0.1:${port}/0`,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

if (only.includes('redis')) {
  await scenario(
    'redis',
    async () => {
      const server = await startRedis();
      return { open: () => RedisQueue.open(`${server.url}?prefix=bench`), stop: () => server.stop() };
    },
    async (q, workers, max, until) => {
      if (workers === 1) return work(q, 'bench-main', max, until);
      const handles = await Promise.all(Array.from({ length: workers }, () => RedisQueue.open(q.location)));
      try {
        const counts = await Promise.all(handles.map((h, i) => work(h, `bench-${i}`, max, until)));
        return counts.reduce((a, b) => a + b, 0);
      } finally {
        for (const h of handles) await h.close();
      }
    },
  );
}

rmSync(tmp, { recursive: true, force: true });
const meta = { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, tasks: N, seconds };
console.log(`panini-fs job queue benchmark: a job of ${N} tasks, claim + complete for at most ${seconds} s per run`);
console.log(`${meta.cpu} (${meta.cores} cores), Node ${meta.node}\n`);
const pad = (s, n) => String(s).padStart(n);
console.log(`${'backend'.padEnd(8)} ${pad('workers', 7)} ${pad('max', 4)} ${pad('create s', 9)} ${pad('enqueue s', 9)} ${pad('job() ms', 8)} ${pad('verified', 9)} ${pad('tasks/s', 9)}`);
for (const r of rows) {
  console.log(
    `${r.backend.padEnd(8)} ${pad(r.workers, 7)} ${pad(r.max, 4)} ${pad(r.createS.toFixed(2), 9)} ${pad(r.enqueueS.toFixed(2), 9)} ${pad(r.jobMs.toFixed(3), 8)} ${pad(r.verified + (r.finished ? '' : '*'), 9)} ${pad(Math.round(r.tasksPerS), 9)}`,
  );
}
if (rows.some((r) => !r.finished)) console.log(`\n* stopped after ${seconds} s before the job was done; tasks/s is over the tasks verified`);
if (values.json) {
  writeFileSync(values.json, JSON.stringify({ meta, rows }, null, 2) + '\n');
  console.log(`\nwrote ${values.json}`);
}
