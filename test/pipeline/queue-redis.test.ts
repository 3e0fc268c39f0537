/**
 * RedisQueue: the queue contract against a real redis-server (started here on a free port, append-only file fsynced
 * on every write; the test fails when redis-server is missing: apt-get install redis-server), on the real clock with
 * short leases and backoffs; openQueue's redis:// locations; BullMQ's stalled check returning a dead worker's task.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue, RedisQueue } from '../../src/pipeline/index.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { code, expectCountsMatch, queueConformance, result, spec, taskList } from './queue-conformance.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

// backoffs long enough that "not handed out before its backoff" holds on a loaded machine
const retry = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 1000 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let n = 0;
const fresh = () => RedisQueue.open(`${server.url}?prefix=t${process.pid}-${n++}`, { retry, stalledIntervalMs: 200, lockMarginMs: 200 });

queueConformance('RedisQueue (BullMQ)', fresh, {
  advance: sleep,
  exactClock: false,
  reopen: async (q) => RedisQueue.open(q.location, { retry, stalledIntervalMs: 200, lockMarginMs: 200 }),
  retry,
  shortLeaseMs: 300,
  propertyRuns: 8,
});

describe('RedisQueue specifics', () => {
  it('openQueue: redis:// with ?prefix= opens a RedisQueue; prefixes keep queues apart; bad locations are OPTION', async () => {
    const a = await openQueue(`${server.url}?prefix=opena`);
    const b = await openQueue(`${server.url.replace('/0', '/1')}?prefix=opena`);
    try {
      expect(a).toBeInstanceOf(RedisQueue);
      expect((a as RedisQueue).prefix).toBe('opena');
      const id = await a.createJob(spec, taskList(2));
      await a.enqueue(id);
      expect(await b.job(id)).toBeUndefined(); // another database
      expect(await b.claim('w')).toEqual([]);
      expect((await a.claim('w', { max: 5 })).length).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
    for (const bad of ['redis://', 'redis://host:1/notadb', 'redis://host:1/0?prefix=a:b', 'redis://host:1/0?colour=red', 'http://host/0']) {
      const e = await openQueue(bad).then(
        () => undefined,
        (err: unknown) => err as { code: string; message: string },
      );
      expect(e?.code, bad).toBe('OPTION');
      expect(e!.message).toContain(bad);
    }
    expect(await code(RedisQueue.open(server.url, { lockMarginMs: -1 }))).toBe('OPTION');
  });

  it('a server that does not answer is STORE naming the location and the operation', async () => {
    const e = await RedisQueue.open('redis://127.0.0.1:1/0', { connectTimeoutMs: 500 }).then(
      () => undefined,
      (err: unknown) => err as { code: string; message: string },
    );
    expect(e?.code).toBe('STORE');
    expect(e!.message).toContain('redis://127.0.0.1:1/0');
    expect(e!.message).toContain('connect');
  });

  it("a dead worker's task comes back through BullMQ's stalled check and is verified once", async () => {
    const loc = `${server.url}?prefix=stall${process.pid}`;
    const dead = await RedisQueue.open(loc, { retry, stalledIntervalMs: 100, lockMarginMs: 100 });
    const id = await dead.createJob(spec, taskList(2));
    await dead.enqueue(id);
    const [lost] = await dead.claim('dead', { leaseMs: 200 });
    await dead.close(); // gone without a word: no complete, no fail
    // past the lease and BullMQ's lock (lease + margin): only BullMQ's stalled check can put the task back in wait
    await sleep(450);
    const live = await RedisQueue.open(loc, { retry, stalledIntervalMs: 100, lockMarginMs: 100 });
    try {
      const got: string[] = [];
      for (let i = 0; i < 60 && got.length < 2; i++) {
        for (const c of await live.claim('live', { max: 2 })) {
          got.push(c.taskKey);
          expect(await live.complete(c, result(c))).toBe(true);
        }
        if (got.length < 2) await sleep(50);
      }
      expect(got.sort()).toEqual(['000000', '000001']);
      const st = (await live.job(id))!;
      expect(st.counts.verified).toBe(2);
      expect(st.errors.map((e) => e.code)).toEqual(['LEASE_EXPIRED']);
      expect(await live.complete(lost!, result(lost!))).toBe(false);
      expect((await live.job(id))!.counts.verified).toBe(2);
      await expectCountsMatch(live, id);
    } finally {
      await live.close();
    }
  });

  it('without bullmq and ioredis installed, SQLite queues work and redis:// is UNSUPPORTED saying what to install', () => {
    const dir = join(process.cwd(), 'node_modules', '.cache', 'panini-test');
    const bundle = join(dir, `queue-open-${process.pid}.mjs`);
    buildSync({
      entryPoints: [join(process.cwd(), 'src', 'pipeline', 'index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['better-sqlite3', 'bullmq', 'ioredis'],
      outfile: bundle,
      logLevel: 'silent',
    });
    const tmp = mkdtempSync(join(tmpdir(), 'panini-queue-nosdk-'));
    const hook = `export async function resolve(spec, ctx, next) {
      if (spec === 'bullmq' || spec === 'ioredis') {
        const e = new Error("Cannot find package '" + spec + "'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e;
      }
      return next(spec, ctx);
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const script = `
      const { openQueue } = await import(${JSON.stringify(`file://${bundle}`)});
      const out = {};
      const q = await openQueue(${JSON.stringify(join(tmp, 'q.sqlite'))});
      out.sqlite = (await q.job(await q.createJob({ type: 'analyze', input: [], options: {}, store: 'memory:x' }))).state;
      await q.close();
      try { await openQueue('redis://127.0.0.1:1/0'); out.redis = 'opened'; } catch (e) { out.redis = e.code + ': ' + e.message; }
      process.stdout.write(JSON.stringify(out));
    `;
    try {
      const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, string>;
      expect(out.sqlite).toBe('pending');
      expect(out.redis).toMatch(/^UNSUPPORTED: .*install bullmq and ioredis/);
    } finally {
      rmSync(bundle, { force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
