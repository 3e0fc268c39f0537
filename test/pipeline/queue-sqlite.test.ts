/**
 * SqliteQueue: the queue contract on an injected clock, openQueue's locations, the durability settings, and
 * kill -9 of a worker process at random moments: the reopened file's counters always equal a recount, and no task a
 * worker saw committed is lost or counted twice.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { openQueue, SqliteQueue, type JobQueue } from '../../src/pipeline/index.js';
import { code, expectCountsMatch, queueConformance, spec, taskList } from './queue-conformance.js';

const tmp = mkdtempSync(join(tmpdir(), 'panini-queue-sqlite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** test/pipeline/queue-sqlite-child.ts bundled (esbuild) next to node_modules, so plain node runs it and finds better-sqlite3 */
function buildChild(): string {
  const childJs = join(process.cwd(), 'node_modules', '.cache', 'panini-test', `queue-sqlite-child-${process.pid}-${Math.random().toString(36).slice(2)}.mjs`);
  buildSync({
    entryPoints: [join(process.cwd(), 'test', 'pipeline', 'queue-sqlite-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3', 'bullmq', 'ioredis'],
    outfile: childJs,
    logLevel: 'silent',
  });
  return childJs;
}

let clock = 1_800_000_000_000;
const now = () => clock;
const retry = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 400 };
let n = 0;

queueConformance('SqliteQueue', async () => new SqliteQueue(join(tmp, `q${n++}.sqlite`), { now, retry }), {
  advance: async (ms) => {
    clock += ms;
  },
  exactClock: true,
  reopen: async (q) => new SqliteQueue(q.location, { now, retry }),
  retry,
  shortLeaseMs: 300,
  propertyRuns: 40,
});

describe('SqliteQueue specifics', () => {
  it('openQueue: sqlite:PATH and .sqlite/.db paths (parent folders created); anything else is OPTION naming it', async () => {
    const a = await openQueue(`sqlite:${join(tmp, 'deep', 'er', 'a.queue')}`);
    const b = await openQueue(join(tmp, 'x', 'b.db'));
    const c = await openQueue(join(tmp, 'y', 'c.sqlite'), { retry: { maxAttempts: 1 } });
    try {
      expect(a).toBeInstanceOf(SqliteQueue);
      expect(a.location).toBe(`sqlite:${join(tmp, 'deep', 'er', 'a.queue')}`);
      expect(existsSync(join(tmp, 'x', 'b.db'))).toBe(true);
      const id = await c.createJob(spec, taskList(1));
      await c.enqueue(id);
      const [cl] = await c.claim('w');
      await c.fail(cl!, { code: 'IO', message: 'once', retryable: true });
      expect((await c.job(id))!.counts.failed).toBe(1); // maxAttempts 1: no retry
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
    for (const bad of ['ftp://host/q', join(tmp, 'queue.txt'), '', 'sqlite:']) {
      const e = await openQueue(bad).then(
        () => undefined,
        (err: unknown) => err as { code: string; message: string },
      );
      expect(e?.code, bad).toBe('OPTION');
      if (bad) expect(e!.message).toContain(bad === 'sqlite:' ? 'sqlite:' : bad);
    }
    expect(await code(openQueue(join(tmp, 'opt.sqlite'), { bogus: 1 } as never))).toBe('OPTION');
    expect(() => new SqliteQueue(join(tmp, 'o.sqlite'), { leaseMs: 0 })).toThrow(/leaseMs/);
    expect(() => new SqliteQueue(join(tmp, 'o.sqlite'), { retry: { maxAttempts: 0 } })).toThrow(/retry.maxAttempts/);
    expect(() => new SqliteQueue(join(tmp, 'o.sqlite'), { bogus: 1 } as never)).toThrow(/bogus/);
  });

  it('a file that cannot be opened is STORE naming the path; the file is WAL with synchronous=FULL and its indexes', async () => {
    mkdirSync(join(tmp, 'dir.sqlite'));
    let err: { code?: string; message?: string } = {};
    try {
      new SqliteQueue(join(tmp, 'dir.sqlite'));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('STORE');
    expect(err.message).toContain(join(tmp, 'dir.sqlite'));
    expect(err.message).toContain('open');

    const path = join(tmp, 'pragmas.sqlite');
    const q = new SqliteQueue(path);
    const own = (q as unknown as { db: Database.Database }).db;
    expect(own.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(own.pragma('busy_timeout', { simple: true })).toBe(10_000);
    const other = new Database(path, { readonly: true });
    try {
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
      const idx = (other.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as { name: string; sql: string }[]).map((r) => r.sql);
      expect(idx.join('\n')).toMatch(/tasks \(state, available_at\)/);
      expect(idx.join('\n')).toMatch(/tasks \(job_id, state\)/);
      expect(idx.join('\n')).toMatch(/transitions \(job_id, seq\)/);
    } finally {
      other.close();
      await q.close();
    }
  });

  it('kill -9 of a worker process at random moments, 20 times: counters equal a recount, no committed task lost or counted twice', async () => {
    const childJs = buildChild();
    const path = join(tmp, 'chaos.sqlite');
    const retryLoose = { maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 5 };
    let q: JobQueue = new SqliteQueue(path, { retry: retryLoose });
    const id = await q.createJob(spec, taskList(2000));
    await q.enqueue(id);
    await q.close();
    const committed = new Set<string>();
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

    // each task takes at least 2 ms: a round killed within 150 ms does at most 75 of the 2000 tasks, so the job still
    // has work in every one of the 20 rounds however fast the machine is (and each of them can be a kill)
    const runChild = (killAfterMs: number | undefined) =>
      new Promise<{ signal: string | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [childJs, path, String(1 + Math.floor(rnd() * 1e9))], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PACE_MS: killAfterMs === undefined ? '0' : '2' } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (killAfterMs !== undefined && out.includes('ready\n') && !child.killed) {
            setTimeout(() => child.kill('SIGKILL'), killAfterMs);
            killAfterMs = undefined;
          }
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('error', reject);
        child.once('exit', (status, signal) => {
          if (signal === null && status !== 0) reject(new Error(`queue child exited with ${status}: ${err}`));
          else resolve({ signal, out });
        });
      });

    let kills = 0;
    for (let round = 0; round < 20; round++) {
      const { signal, out } = await runChild(10 + Math.floor(rnd() * 140));
      if (signal === 'SIGKILL') kills++;
      for (const line of out.split('\n')) if (line.startsWith('V ')) committed.add(line.split(' ')[2]!);
      q = new SqliteQueue(path, { retry: retryLoose });
      try {
        await expectCountsMatch(q, id);
        const tasks = await q.tasks(id);
        const verified = new Set(tasks.filter((t) => t.state === 'verified').map((t) => t.key));
        for (const k of committed) expect(verified.has(k), `task ${k} was reported committed`).toBe(true);
        const toVerified = new Map<string, number>();
        for (const e of await q.eventsSince(0, { jobId: id, limit: 1_000_000 })) if (e.to === 'verified' && e.taskKey) toVerified.set(e.taskKey, (toVerified.get(e.taskKey) ?? 0) + 1);
        for (const t of tasks) expect(toVerified.get(t.key) ?? 0, `transitions of ${t.key} to verified`).toBe(t.state === 'verified' ? 1 : 0);
        const st = (await q.job(id))!;
        expect(st.bytesIn).toBe(tasks.filter((t) => t.state === 'verified').reduce((s, t) => s + t.size, 0));
      } finally {
        await q.close();
      }
    }
    expect(kills).toBe(20);
    expect(committed.size).toBeGreaterThan(0);
    // a last worker finishes the job: every task verified exactly once
    const { out } = await runChild(undefined);
    expect(out.trim().endsWith('done')).toBe(true);
    q = new SqliteQueue(path, { retry: retryLoose });
    try {
      const st = (await q.job(id))!;
      expect(st).toMatchObject({ state: 'verified', total: 2000, counts: { verified: 2000 } });
      expect(st.bytesIn).toBe(taskList(2000).reduce((s, t) => s + t.size, 0));
      await expectCountsMatch(q, id);
    } finally {
      await q.close();
      rmSync(childJs, { force: true });
    }
  });

  it('four worker processes on one file: every task is verified exactly once', async () => {
    const childJs = buildChild();
    const path = join(tmp, 'four.sqlite');
    const retryLoose = { maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 5 };
    let q: JobQueue = new SqliteQueue(path, { retry: retryLoose });
    const id = await q.createJob(spec, taskList(500));
    await q.enqueue(id);
    await q.close();
    const goFile = join(tmp, 'four.go');
    let ready = 0;
    const outs = await Promise.all(
      [1, 2, 3, 4].map(
        (seed) =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, [childJs, path, String(seed), goFile], { stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            let err = '';
            child.stdout.on('data', (d: Buffer) => {
              const was = out.startsWith('ready\n');
              out += d.toString();
              if (!was && out.startsWith('ready\n') && ++ready === 4) writeFileSync(goFile, ''); // all four start together
            });
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.once('exit', (status) => (status === 0 ? resolve(out) : reject(new Error(`queue child exited with ${status}: ${err}`))));
          }),
      ),
    );
    const verifiedBy = new Map<string, number>();
    for (const out of outs) for (const line of out.split('\n')) if (line.startsWith('V ')) verifiedBy.set(line.split(' ')[2]!, (verifiedBy.get(line.split(' ')[2]!) ?? 0) + 1);
    expect(verifiedBy.size).toBe(500);
    expect([...verifiedBy.values()].every((n) => n === 1)).toBe(true);
    expect(outs.filter((o) => o.includes('V ')).length).toBeGreaterThan(1); // the work was shared
    q = new SqliteQueue(path, { retry: retryLoose });
    try {
      expect((await q.job(id))!.counts.verified).toBe(500);
      await expectCountsMatch(q, id);
    } finally {
      await q.close();
      rmSync(childJs, { force: true });
    }
  });

  it('closed queue is STATE for every operation; busyTimeoutMs is checked', async () => {
    const q = new SqliteQueue(join(tmp, 'closed.sqlite'));
    await q.close();
    expect(await code(q.enqueue('x'))).toBe('STATE');
    expect(await code(q.eventsSince(0))).toBe('STATE');
    expect(() => new SqliteQueue(join(tmp, 'bt.sqlite'), { busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
  });
});
