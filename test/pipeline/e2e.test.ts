// The pipeline as a user runs it, with real processes: `panini-fs chunk --queue`, two `panini-fs worker` processes,
// `panini-fs validate-reconstruction` of the store — on the embedded SQLite queue and on Redis (a real redis-server).
// Then the crash test: workers killed with SIGKILL at random moments (seeded) and restarted until the job is done;
// nothing committed may be lost and nothing counted twice, and the reconstruction must be bit-perfect.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node.js';
import { EXIT_STATUS } from '../../src/errors.js';
import { openQueue } from '../../src/pipeline/queue.js';
import type { JobQueue, TaskState } from '../../src/pipeline/types.js';
import { mulberry32, prngBytes } from '../helpers/prng.mjs';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDirs } from '../helpers/tmp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const fresh = tempDirs();

function cli(argv: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, PANINI_DATA: fresh('panini-pl-data-') } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function text(seed: number, n: number): Uint8Array {
  const r = prngBytes(seed, n);
  const vocab = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'chunk', 'queue', 'worker', 'lease', 'commit', '\n'];
  const out = new Uint8Array(n);
  let k = 0;
  for (let i = 0; k < n; i++) {
    const w = vocab[r[i % n]! % vocab.length]! + ' ';
    for (let j = 0; j < w.length && k < n; j++) out[k++] = w.charCodeAt(j);
  }
  return out;
}

/** A tree of about `mb` MiB: text, JSON, random bytes, a duplicate, many small files. */
function makeTree(mb: number, seed: number): string {
  const root = fresh('panini-pl-e2e-');
  mkdirSync(join(root, 'small'));
  const big = text(seed, (mb * (1 << 20)) / 3);
  writeFileSync(join(root, 'big.txt'), big);
  writeFileSync(join(root, 'big-copy.txt'), big);
  writeFileSync(join(root, 'noise.bin'), prngBytes(seed + 1, 300_000));
  writeFileSync(join(root, 'rows.json'), JSON.stringify(Array.from({ length: 4000 }, (_, i) => ({ i, v: `value-${i % 97}` }))));
  for (let i = 0; i < 60; i++) writeFileSync(join(root, 'small', `f${i}.txt`), text(seed + 10 + i, 2000 + i * 50));
  return root;
}

function worker(queue: string, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, [CLI, 'worker', '--queue', queue, '--device', 'cpu', '--exit-when-idle', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
}
const exited = (c: ChildProcess) => new Promise<number | null>((res) => (c.exitCode !== null || c.signalCode !== null ? res(c.exitCode) : c.once('close', (code) => res(code))));

async function waitState(q: JobQueue, job: string, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await q.job(job);
    if (s && ['verified', 'failed', 'cancelled'].includes(s.state)) return s.state;
    if (Date.now() > end) throw new Error(`job ${job} still ${s?.state} after ${timeoutMs} ms: ${JSON.stringify(s?.counts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let redis: RedisServer;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: npm test builds it first (npm run build)');
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backends: [string, () => string][] = [
  ['SQLite', () => `sqlite:${join(fresh('panini-pl-q-'), 'queue.sqlite')}`],
  ['Redis', () => `${redis.url}?prefix=e2e${Math.random().toString(36).slice(2, 8)}`],
];

describe.each(backends)('pipeline end to end on %s', (_name, location) => {
  it('chunk --queue, two worker processes, validate-reconstruction: bit-perfect with the dhātu distribution', async () => {
    const tree = makeTree(4, 1);
    const store = join(fresh('panini-pl-store-'), 'run');
    const queue = location();
    const c = cli(['chunk', tree, '--output', store, '--queue', queue, '--block-size', '1M', '--level', '1', '--json']);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const chunked = JSON.parse(c.stdout);
    expect(chunked.chunks).toBeGreaterThanOrEqual(4);
    expect(chunked.unique).toBeLessThan(chunked.chunks); // the duplicate file
    const q = await openQueue(queue);
    try {
      const before = await q.job(chunked.job);
      expect(before?.state).toBe('queued');
      expect(before?.total).toBe(chunked.unique);
      const ws = [worker(queue), worker(queue)];
      expect(await Promise.all(ws.map(exited))).toEqual([0, 0]);
      const job = (await q.job(chunked.job))!;
      expect(job.state).toBe('verified');
      expect(job.counts.verified).toBe(job.total);
      expect(job.bytesIn).toBe(job.bytesTotal);
      expect(job.ratio).toBeGreaterThan(0);
      expect(job.ratio).toBeLessThan(0.7);
      expect(Object.keys(job.dhatu).length).toBeGreaterThan(0);
      // every task went queued → running → compressed → verified, in that order
      const events = await q.eventsSince(0, { jobId: chunked.job, limit: 100_000 });
      const byTask = new Map<string, string[]>();
      for (const e of events) if (e.taskKey) byTask.set(e.taskKey, [...(byTask.get(e.taskKey) ?? []), e.to]);
      expect(byTask.size).toBe(job.total);
      for (const seq of byTask.values()) expect(seq.slice(-3)).toEqual(['running', 'compressed', 'verified']);
      const workersSeen = new Set(events.filter((e) => e.to === 'verified').map((e) => e.workerId));
      expect(workersSeen.size).toBeGreaterThanOrEqual(1);
    } finally {
      await q.close();
    }
    const v = cli(['validate-reconstruction', '--original', tree, '--compressed', store]);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^BIT-PERFECT/);
    expect(v.stdout).toMatch(/dhātu distribution/);
    const out = join(fresh('panini-pl-re-'), 'tree');
    expect(cli(['reconstruct', store, '-o', out]).status).toBe(0);
    expect(cli(['validate-reconstruction', '--original', out, '--compressed', store]).status).toBe(0);
    // the results as one container: the CLI's own decompress restores the tree, validate-reconstruction proves it
    const pnz = join(fresh('panini-pl-asm-'), 'tree.pnz');
    const a = cli(['assemble', store, '-o', pnz, '--json']);
    expect(a.stderr).toBe('');
    expect(JSON.parse(a.stdout)).toMatchObject({ verified: true, refChunks: chunked.chunks - chunked.unique });
    expect(cli(['validate-reconstruction', '--original', tree, '--compressed', pnz]).status).toBe(0);
    expect(cli(['assemble', store, '-o', pnz]).status).toBe(EXIT_STATUS.EXISTS);
    // a changed original is caught, with exit status 1
    writeFileSync(join(out, 'small', 'f3.txt'), 'changed');
    const bad = cli(['validate-reconstruction', '--original', out, '--compressed', store, '--json']);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout).ok).toBe(false);
  });

  it('survives SIGKILL of workers at random moments: nothing lost, nothing counted twice', async () => {
    // 16 distinct files of 1.5 MiB: about 24 tasks, each long enough for kills to land in running and compressed
    const tree = fresh('panini-pl-kill-');
    for (let i = 0; i < 16; i++) writeFileSync(join(tree, `part-${i}.txt`), text(100 + i, 3 << 19));
    const store = join(fresh('panini-pl-store-'), 'run');
    const queue = location();
    const c = cli(['chunk', tree, '--output', store, '--queue', queue, '--attempts', '20', '--block-size', '1M', '--level', '3', '--json']);
    expect(c.status).toBe(0);
    const { job: jobId } = JSON.parse(c.stdout);
    const q = await openQueue(queue);
    const next = mulberry32(20261202);
    const rnd = () => next() / 2 ** 32;
    const kills: { state: TaskState[] }[] = [];
    try {
      const live = new Set<ChildProcess>();
      const startOne = () => {
        const w = worker(queue, ['--lease', '1', '--attempts', '20']);
        live.add(w);
        w.once('close', () => live.delete(w));
      };
      startOne();
      startOne();
      // each round: wait until some task is being worked on (so the machine's speed does not decide whether kills
      // land on work), then a seeded random pause of 0–600 ms, then SIGKILL one of the two workers and start another
      const end = Date.now() + 100_000; // inside the test's 120 s
      const busy = async () => (await q.tasks(jobId, { limit: 10_000 })).some((t) => t.state === 'running' || t.state === 'compressed');
      while (Date.now() < end) {
        const s = await q.job(jobId);
        if (s?.state === 'verified' || s?.state === 'failed') break;
        if (kills.length < 15) {
          while (!(await busy()) && Date.now() < end && (await q.job(jobId))?.state !== 'verified') {
            while (live.size < 2) startOne(); // a worker that found nothing to claim has exited
            await new Promise((r) => setTimeout(r, 25));
          }
          await new Promise((r) => setTimeout(r, Math.floor(rnd() * 600)));
          const victims = [...live];
          if (victims.length > 0) {
            const v = victims[Math.floor(rnd() * victims.length)]!;
            const held = (await q.tasks(jobId, { limit: 10_000 })).filter((t) => t.workerId?.includes(`-${v.pid}-`) && (t.state === 'running' || t.state === 'compressed'));
            v.kill('SIGKILL');
            await exited(v);
            kills.push({ state: held.map((t) => t.state) });
          }
        } else await new Promise((r) => setTimeout(r, 200));
        while (live.size < 2) startOne();
      }
      for (const w of live) w.kill('SIGTERM');
      await Promise.all([...live].map(exited));
      const job = (await q.job(jobId))!;
      expect(job.state).toBe('verified');
      expect(kills.length).toBeGreaterThanOrEqual(3);
      // a kill landed while a task was being worked on at least once
      expect(kills.some((k) => k.state.length > 0)).toBe(true);
      // exactly once: each task has one verified transition, counters equal a recount
      const events = await q.eventsSince(0, { jobId, limit: 100_000 });
      const verified = new Map<string, number>();
      for (const e of events) if (e.to === 'verified' && e.taskKey) verified.set(e.taskKey, (verified.get(e.taskKey) ?? 0) + 1);
      expect(verified.size).toBe(job.total);
      expect([...verified.values()].every((n) => n === 1)).toBe(true);
      const tasks = await q.tasks(jobId, { limit: 10_000 });
      expect(tasks.every((t) => t.state === 'verified')).toBe(true);
      expect(job.bytesIn).toBe(tasks.reduce((s, t) => s + t.size, 0));
      expect(job.bytesOut).toBe(tasks.reduce((s, t) => s + (t.result?.bytesOut ?? 0), 0));
      console.log(`kill -9 test (${_name}): ${kills.length} kills; tasks held at each kill: ${kills.map((k) => k.state.join('+') || 'none').join(', ')}; ${job.total} tasks verified once each, 0 lost, 0 duplicated`);
    } finally {
      await q.close();
    }
    const v = cli(['validate-reconstruction', '--original', tree, '--compressed', store]);
    expect(v.stdout).toMatch(/^BIT-PERFECT/);
    expect(v.status).toBe(0);
  });
});
