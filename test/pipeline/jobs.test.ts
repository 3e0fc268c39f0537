// Jobs as the server submits them: every request validated before anything is queued, inputs confined to the roots
// (links included), compress jobs chunked in the background and run by an in-process worker, analyze / validate / assemble /
// benchmark jobs, a preparation that fails marks the job failed, and a job a crash left pending is resumed.
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTree, isPaniniError } from '../../src/node.js';
import { jobResult, newRecipeId, openQueue, readJobFile, resumePending, startWorker, submitJob, validatePipeline, type JobQueue, type Pipeline } from '../../src/pipeline/index.js';
import { openStore } from '../../src/store/open.js';
import { runTask, storeCache } from '../../src/pipeline/tasks.js';
import { prngBytes } from '../helpers/prng.mjs';
import { tempDirs } from '../helpers/tmp.js';

const fresh = tempDirs();

const line = (i: number) => `record ${i % 300} of the corpus, field=${(i * 7) % 13} value=${i % 17}\n`;
const text = (n: number) => new TextEncoder().encode(Array.from({ length: n }, (_, i) => line(i)).join(''));

async function settle(q: JobQueue, id: string, ms = 60_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await q.job(id);
    if (s && ['verified', 'failed', 'cancelled'].includes(s.state)) return s.state;
    if (Date.now() > end) throw new Error(`job ${id} still ${s?.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function refused(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!isPaniniError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('not refused');
}

describe('jobs over a real SQLite queue', () => {
  let root: string;
  let outside: string;
  let p: Pipeline;
  beforeAll(async () => {
    root = fresh('panini-jobs-root-');
    outside = fresh('panini-jobs-outside-');
    mkdirSync(join(root, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(root, 'tree', 'a.txt'), text(60_000));
    writeFileSync(join(root, 'tree', 'sub', 'b.bin'), prngBytes(3, 200_000));
    writeFileSync(join(root, 'tree', 'sub', 'c.json'), JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ i }))));
    writeFileSync(join(outside, 'secret.txt'), 'not yours');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'escape'));
    const data = fresh('panini-jobs-data-');
    p = { queue: await openQueue(`sqlite:${join(data, 'queue.sqlite')}`), data, roots: [root], store: join(data, 'store') };
  });
  afterAll(async () => {
    await p?.queue.close();
  });

  it('refuses bad requests with typed errors and queues nothing', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ type: 'explode', input: [join(root, 'tree')] }, 'OPTION', /type/],
      [{ type: 'compress', input: [] }, 'OPTION', /input/],
      [{ type: 'compress', input: [join(root, 'tree')], options: { levle: 3 } }, 'OPTION', /unknown option "levle"/],
      [{ type: 'compress', input: [join(root, 'tree')], options: { level: 12 } }, 'OPTION', /level/],
      [{ type: 'compress', input: [join(root, 'tree')], options: { strategy: 'zip' } }, 'OPTION', /strategy/],
      [{ type: 'compress', input: [outside] }, 'PATH', /outside the allowed roots/],
      [{ type: 'compress', input: [join(root, '..', 'x')] }, 'NOT_FOUND', /does not exist/],
      [{ type: 'compress', input: [join(root, 'escape')] }, 'PATH', /outside/],
      [{ type: 'compress', input: [join(root, 'tree')], options: { output: join(outside, 'store') } }, 'PATH', /output/],
      [{ type: 'compress', input: [join(root, 'tree')], extra: 1 }, 'OPTION', /unknown job field "extra"/],
      [{ type: 'validate', input: [join(root, 'tree')] }, 'OPTION', /options.job/],
      [{ type: 'benchmark', input: [join(root, 'tree')], options: { sections: 'all' } }, 'OPTION', /sections/],
      [{ type: 'compress', input: ['s3://bucket/corpus'] }, 'PATH', /outside the allowed roots.*store root/],
      [{ type: 'analyze', input: ['s3://bucket/corpus'] }, 'NOT_FOUND', /does not exist/],
      ['not an object', 'OPTION', /object/],
    ];
    for (const [req, code, message] of cases) {
      const e = await refused(submitJob(p, req as never));
      expect(e.code, JSON.stringify(req)).toBe(code);
      expect(e.message, JSON.stringify(req)).toMatch(message);
    }
    expect(await p.queue.jobs()).toEqual([]);
  });

  it('compresses a tree in the background with an in-process worker (2 at once), then validates it as a job', async () => {
    const { id, ready } = await submitJob(p, { type: 'compress', input: [join(root, 'tree')], options: { level: 1, blockSize: 1 << 20 }, label: 'tree' });
    expect((await p.queue.job(id))?.label).toBe('tree');
    await ready;
    const w = await startWorker({ queue: p.queue, concurrency: 2, device: 'cpu', exitWhenIdle: true, idleMs: 50 });
    await w.done;
    expect(await settle(p.queue, id)).toBe('verified');
    expect(w.stats.verified).toBeGreaterThan(0);
    const r = await jobResult(p, id);
    const summary = r.summary as { recipes: { id: string; bytes: number; files: number }[]; ratio: number };
    expect(summary.recipes).toHaveLength(1);
    expect(summary.recipes[0]!.files).toBe(3);
    expect(summary.ratio).toBeGreaterThan(0);
    expect(summary.ratio).toBeLessThan(1);
    const store = await openStore(r.status.store);
    expect((await validatePipeline(store, summary.recipes[0]!.id, join(root, 'tree'))).ok).toBe(true);
    await store.close();
    // the same proof as a job of its own, run by a worker
    const v = await submitJob(p, { type: 'validate', input: [join(root, 'tree')], options: { job: id } });
    const w2 = await startWorker({ queue: p.queue, device: 'cpu', exitWhenIdle: true, idleMs: 50 });
    await w2.done;
    expect(await settle(p.queue, v.id)).toBe('verified');
    const vr = (await jobResult(p, v.id)).summary as { ok: boolean; bytes: number };
    expect(vr.ok).toBe(true);
    expect(vr.bytes).toBe(summary.recipes[0]!.bytes);
    // and one container of it, assembled from the results by a worker: decompressed by the product, equal to the tree
    const out = join(root, 'out', 'tree.pnz');
    const refusedAsm: [unknown, string, RegExp][] = [
      [{ type: 'assemble', input: [join(root, 'tree')], options: { job: id, output: out } }, 'OPTION', /no input/],
      [{ type: 'assemble', options: { job: id, output: join(root, 'out', 'tree.zip') } }, 'OPTION', /\.pnz/],
      [{ type: 'assemble', options: { job: id, output: join(outside, 'x.pnz') } }, 'PATH', /output/],
      [{ type: 'assemble', options: { job: id, output: join(root, 'tree', 'a.txt') } }, 'OPTION', /\.pnz/],
      [{ type: 'assemble', options: { job: v.id, output: out } }, 'OPTION', /not a compress job/],
      [{ type: 'assemble', options: { output: out } }, 'OPTION', /options.job/],
    ];
    for (const [req, code, message] of refusedAsm) {
      const e = await refused(submitJob(p, req as never));
      expect(e.code, JSON.stringify(req)).toBe(code);
      expect(e.message, JSON.stringify(req)).toMatch(message);
    }
    const a = await submitJob(p, { type: 'assemble', options: { job: id, output: out } });
    const w3 = await startWorker({ queue: p.queue, device: 'cpu', exitWhenIdle: true, idleMs: 50 });
    await w3.done;
    expect(await settle(p.queue, a.id)).toBe('verified');
    const ar = (await jobResult(p, a.id)).summary as { output: string; bytes: number; verified: boolean; files: number };
    expect(ar).toMatchObject({ output: out, bytes: summary.recipes[0]!.bytes, verified: true, files: 3 });
    const x = join(fresh('panini-jobs-x-'), 'x');
    await extractTree(out, x);
    for (const f of ['a.txt', 'sub/b.bin', 'sub/c.json']) expect(readFileSync(join(x, f)).equals(readFileSync(join(root, 'tree', f))), f).toBe(true);
    expect((await refused(submitJob(p, { type: 'assemble', options: { job: id, output: out } }))).code).toBe('EXISTS');
  });

  it('a compress job with a .pnz output ends in that container: assembled once its chunks are verified, even after a crash', async () => {
    const out = join(root, 'out', 'job.pnz');
    const { id, ready } = await submitJob(p, { type: 'compress', input: [join(root, 'tree')], options: { level: 1, blockSize: 1 << 20, output: out } });
    await ready;
    const chunks = (await p.queue.job(id))!.total;
    const w = await startWorker({ queue: p.queue, concurrency: 2, device: 'cpu', exitWhenIdle: true, idleMs: 200 });
    await w.done;
    expect(await settle(p.queue, id)).toBe('verified');
    const st = (await p.queue.job(id))!;
    expect(st.total).toBe(chunks + 1); // the chunks and one assemble task
    expect(st.bytesIn).toBe(st.bytesTotal); // the assembly adds no bytes of its own to the job's totals
    const r = await jobResult(p, id);
    expect((r.summary as { container: unknown }).container).toEqual({ path: out, written: true, bytes: statSync(out).size });
    const x = join(fresh('panini-jobs-cx-'), 'x');
    await extractTree(out, x);
    for (const f of ['a.txt', 'sub/b.bin', 'sub/c.json']) expect(readFileSync(join(x, f)).equals(readFileSync(join(root, 'tree', f))), f).toBe(true);
    await expect(submitJob(p, { type: 'compress', input: [join(root, 'tree')], options: { output: out } })).rejects.toMatchObject({ code: 'EXISTS' });
    await expect(submitJob(p, { type: 'compress', input: [join(root, 'tree'), join(root, 'tree', 'a.txt')], options: { output: join(root, 'out', 'two.pnz') } })).rejects.toMatchObject({ code: 'OPTION' });

    // a worker that died between its last chunk and queueing the assembly: the next worker's start queues it
    const out2 = join(root, 'out', 'crash.pnz');
    const j2 = await submitJob(p, { type: 'compress', input: [join(root, 'tree')], options: { level: 1, blockSize: 1 << 20, output: out2 } });
    await j2.ready;
    const stores = storeCache();
    for (;;) {
      const got = await p.queue.claim('dead-worker', { max: 10 });
      if (got.length === 0) break;
      for (const c of got) expect(await p.queue.complete(c, await runTask(c, { store: (l) => stores.get(l), threads: 1, compressed: async () => true, signal: new AbortController().signal }))).toBe(true);
    }
    await stores.close();
    expect((await p.queue.job(j2.id))!.state).toBe('verified');
    expect(existsSync(out2)).toBe(false);
    const w2 = await startWorker({ queue: p.queue, device: 'cpu', exitWhenIdle: true, idleMs: 200 });
    await w2.done;
    expect(await settle(p.queue, j2.id)).toBe('verified');
    expect(statSync(out2).size).toBe(statSync(out).size); // the same input, level and cuts: the same container
    expect(readFileSync(out2).equals(readFileSync(out))).toBe(true);
  });

  it('analyzes files without storing them: format, predicted ratio, dhātu distribution', async () => {
    const { id } = await submitJob(p, { type: 'analyze', input: [join(root, 'tree', 'a.txt'), join(root, 'tree', 'sub', 'b.bin')] });
    const w = await startWorker({ queue: p.queue, device: 'cpu', exitWhenIdle: true, idleMs: 50 });
    await w.done;
    expect(await settle(p.queue, id)).toBe('verified');
    const { inputs } = (await jobResult(p, id)).summary as { inputs: { path: string; format: string; predictedRatio: number }[] };
    const byPath = new Map(inputs.map((x) => [x.path.split('/').pop(), x]));
    expect(byPath.get('a.txt')!.predictedRatio).toBeLessThan(0.2);
    expect(byPath.get('b.bin')!.predictedRatio).toBeGreaterThan(0.95);
    expect(['text', 'csv']).toContain(byPath.get('a.txt')!.format); // comma-separated lines
    expect(byPath.get('b.bin')!.format).not.toBe(byPath.get('a.txt')!.format);
  });

  it('runs the benchmark harness as a job and keeps results.json and report.html', async () => {
    const { id } = await submitJob(p, { type: 'benchmark', input: [join(root, 'tree', 'sub', 'c.json')], options: { sections: 'single', quick: true } });
    const w = await startWorker({ queue: p.queue, device: 'cpu', exitWhenIdle: true, idleMs: 50 });
    await w.done;
    expect(await settle(p.queue, id, 300_000)).toBe('verified');
    const r = await jobResult(p, id);
    expect(r.files.map((f) => f.name).sort()).toEqual(['report.html', 'report.md', 'results.json']);
    const results = JSON.parse(new TextDecoder().decode(await readJobFile(p, id, 'results.json')));
    const rows = results.rows as { tool: string; file?: string; verified?: boolean }[];
    expect(rows.some((x) => x.tool === 'panini-fs')).toBe(true);
    expect(new TextDecoder().decode(await readJobFile(p, id, 'report.html'))).toMatch(/<html/i);
    expect((await refused(readJobFile(p, id, 'nope.txt'))).code).toBe('NOT_FOUND');
  }, 300_000);

  it('a worker that exits when idle stays while a task waits out its retry backoff, and finishes the job', async () => {
    const data = fresh('panini-jobs-retry-');
    const q = await openQueue(`sqlite:${join(data, 'queue.sqlite')}`, { retry: { baseDelayMs: 600 } });
    try {
      const pr: Pipeline = { queue: q, data, roots: [root], store: join(data, 'store') };
      const { id, ready } = await submitJob(pr, { type: 'compress', input: [join(root, 'tree')], options: { level: 1, blockSize: 1 << 20 } });
      await ready;
      // a worker claims every task and dies: their leases run out, the next claim moves them to retrying (600 ms)
      const held = await q.claim('dead-worker', { max: 100, leaseMs: 100 });
      expect(held.length).toBe((await q.job(id))!.total);
      await new Promise((r) => setTimeout(r, 150));
      const w = await startWorker({ queue: q, device: 'cpu', exitWhenIdle: true, idleMs: 50 });
      await w.done;
      const s = (await q.job(id))!;
      expect(s.state).toBe('verified');
      expect(w.stats.verified).toBe(s.total);
      const events = await q.eventsSince(0, { jobId: id, limit: 10_000 });
      expect(events.filter((e) => e.code === 'LEASE_EXPIRED').length).toBe(held.length);
    } finally {
      await q.close();
    }
  });

  it('marks a job failed when its preparation fails, with the reason', async () => {
    const gone = join(root, 'gone');
    mkdirSync(gone);
    writeFileSync(join(gone, 'x.txt'), 'x');
    // the output store cannot be written: a file stands where its folder must be
    writeFileSync(join(root, 'blocked'), 'a file, not a folder');
    const { id, ready } = await submitJob(p, { type: 'compress', input: [gone], options: { output: join(root, 'blocked', 'store') } });
    const e = await ready.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isPaniniError(e)).toBe(true);
    const s = (await p.queue.job(id))!;
    expect(s.state).toBe('failed');
    expect(s.errors.at(-1)?.message).toMatch(/preparing the job/);
  });

  it('resumes a compress job that a crash left pending: its recipe is made and its tasks queued once', async () => {
    const rid = newRecipeId();
    const id = await p.queue.createJob({ type: 'compress', input: [join(root, 'tree')], options: { strategy: 'cdc', blockSize: 1 << 20, level: 1, recipes: [rid] }, store: p.store }, []);
    expect((await p.queue.job(id))!.state).toBe('pending');
    expect(await resumePending(p)).toContain(id);
    const s = (await p.queue.job(id))!;
    expect(s.state).toBe('queued');
    expect(s.total).toBeGreaterThan(0);
    expect(await resumePending(p)).not.toContain(id);
    await p.queue.cancelJob(id);
  });
});
