// Worker pools (src/workers/pool.ts, pool-node.ts, pool-web.ts): the output never depends on the worker
// count, decoding in workers verifies like the inline path, failures of a worker become PaniniErrors, abort works,
// and nothing keeps a process alive. The Node pool runs dist/worker.cjs, so this file needs `npm run build` (which
// `npm test` does first); the browser pool is checked in Chromium when it is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, compressStream, decompress, init, isPaniniError, PaniniError, verify } from '../../src/node.js';
import { setCoderFactory } from '../../src/container/api.js';
import { codeChunkSync } from '../../src/container/coder.js';
import { createNodeWorkerPool, nodeCoderFactory, nodeWorkerCache, nodeWorkerScript } from '../../src/workers/pool-node.js';
import { WorkerCache, WorkerPool } from '../../src/workers/pool.js';
import { ROOT, withPage } from '../helpers/browser.js';
import { prngBytes } from '../helpers/prng.mjs';
import { CORPUS_DIR, corpusBytes } from '../helpers/corpus.js';

const CORPUS = join(CORPUS_DIR, 'single');
const SLICE = 2 << 20;

/** Real files: the first 2 MiB of each (a test failure naming the corpus when it is missing). */
function inputs(): { name: string; data: Uint8Array }[] {
  const names = ['text-brown-all.txt', 'png-emoji-apple-32.png', 'elf-esbuild', 'json-bcd.json'];
  const real = names.map((name) => ({ name, data: corpusBytes(join('single', name), SLICE) }));
  return real;
}

function textLike(n: number, seed: number): Uint8Array {
  const r = prngBytes(seed, n);
  const words = ['the ', 'of ', 'and ', 'panini ', 'grammar ', 'rule ', 'sutra ', 'dhatu ', 'root ', 'stem ', '\n'];
  const out = new Uint8Array(n);
  let k = 0;
  for (let i = 0; k < n; i++) {
    const w = words[r[i % n]! % words.length]!;
    for (let j = 0; j < w.length && k < n; j++) out[k++] = w.charCodeAt(j);
  }
  return out;
}

/** text, random and repeated blocks, so dedup (REF records), store and deflate all occur */
function mixed(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  const block = 128 << 10;
  for (let at = 0, b = 0; at < n; at += block, b++) {
    const len = Math.min(block, n - at);
    const kind = b % 4;
    const src = kind === 1 ? prngBytes(seed * 100 + b, len) : kind === 3 && at >= 2 * block ? out.slice(at - 2 * block, at - 2 * block + len) : textLike(len, seed * 100 + b);
    out.set(src, at);
  }
  return out;
}

let tmp: string;
beforeAll(async () => {
  await init();
  tmp = mkdtempSync(join(tmpdir(), 'panini-workers-'));
});
afterAll(() => {
  setCoderFactory(nodeCoderFactory);
  rmSync(tmp, { recursive: true, force: true });
});

/** Installs a factory that records the pools it makes (restored by the caller). */
function recordPools(make: (n: number) => WorkerPool = (n) => createNodeWorkerPool(n, nodeWorkerScript()!)): WorkerPool[] {
  const pools: WorkerPool[] = [];
  setCoderFactory((n) => {
    const p = make(n);
    pools.push(p);
    return p;
  });
  return pools;
}

function fixtureWorker(name: string, body: string): string {
  const f = join(tmp, name);
  writeFileSync(f, `const { parentPort } = require('node:worker_threads');\n${body}\n`);
  return f;
}

describe('Node worker pool', () => {
  it('finds the built worker script (dist/worker.cjs)', () => {
    expect(nodeWorkerScript(), 'dist/worker.cjs is missing: run `npm run build`').toBe(join(ROOT, 'dist', 'worker.cjs'));
  });

  it('gives the same bytes with 1, 2 and 3 workers, for every strategy, and round-trips with workers', async () => {
    const pools = recordPools();
    try {
      const all = inputs();
      for (const { name, data } of all) {
        // the default options on every input, the other strategies and levels on the first
        const D = { codec: 'deflate' as const };
        const variants = name === all[0]!.name ? [{}, D, { ...D, strategy: 'fixed' as const }, { ...D, strategy: 'adaptive' as const, level: 9 }, { level: 0 }] : [{}, D];
        for (const options of variants) {
          const ref = await compress(data, options);
          for (const workers of [2, 3]) {
            const got = await compress(data, { ...options, workers });
            expect(Buffer.compare(got, ref), `${name} ${JSON.stringify(options)} workers ${workers}`).toBe(0);
          }
          const back = await decompress(ref, { workers: 2 });
          expect(Buffer.compare(back, data), `${name} ${JSON.stringify(options)} decompress with workers`).toBe(0);
        }
      }
    } finally {
      setCoderFactory(nodeCoderFactory);
    }
    // the pools were really used: workers started, and all of them stopped
    expect(pools.length).toBeGreaterThan(0);
    expect(pools.some((p) => p.started === 3)).toBe(true);
  });

  it('compressStream with workers gives the bytes of compress()', async () => {
    const data = mixed(2 << 20, 3);
    const ref = await compress(data);
    const parts: Uint8Array[] = [];
    const rs = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < data.length; at += 100_000) c.enqueue(data.subarray(at, at + 100_000));
        c.close();
      },
    });
    await rs.pipeThrough(compressStream({ workers: 2 })).pipeTo(new WritableStream({ write: (b) => void parts.push(b) }));
    expect(Buffer.compare(Buffer.concat(parts), ref)).toBe(0);
  });

  it('never detaches or changes the caller\'s bytes (Node Buffers included)', async () => {
    const buf = Buffer.from(textLike(1 << 20, 5));
    const copy = Buffer.from(buf);
    const c = await compress(buf, { workers: 2 });
    expect(buf.byteLength).toBe(copy.byteLength);
    expect(Buffer.compare(buf, copy)).toBe(0);
    const back = await decompress(Buffer.from(c), { workers: 2 });
    expect(Buffer.compare(back, copy)).toBe(0);
  });

  it('lends the idle workers of a closed pool to the next one, and stops them once unused', async () => {
    const script = nodeWorkerScript()!;
    const cache = nodeWorkerCache(script);
    cache.clear();
    const data = textLike(1 << 20, 21);
    const a = createNodeWorkerPool(2, script);
    await Promise.all([0, 1, 2, 3].map((k) => a.code(data.subarray(k << 18, (k + 1) << 18), { level: 6, adaptive: false })));
    expect(a.started).toBe(2);
    await a.close();
    expect(cache.size).toBe(2);
    const b = createNodeWorkerPool(3, script);
    const got = await Promise.all([0, 1, 2, 3].map((k) => b.code(data.subarray(k << 18, (k + 1) << 18), { level: 6, adaptive: false })));
    expect(cache.size).toBe(0); // both borrowed (and a third started)
    expect(Buffer.compare(got[1]!.stored, codeChunkSync(data.subarray(1 << 18, 2 << 18), { level: 6, adaptive: false }).stored)).toBe(0);
    await b.close();
    expect(cache.size).toBe(3);
    cache.clear();
    expect(cache.size).toBe(0);
    // a short idle time: the timer stops them
    let stopped = 0;
    const quick = new WorkerCache(() => ({ post: () => undefined, terminate: () => void stopped++ }), 20);
    quick.give(quick.take());
    quick.give(quick.take()); // the same worker again
    expect([quick.size, stopped]).toEqual([1, 0]);
    await new Promise((r) => setTimeout(r, 80));
    expect([quick.size, stopped]).toEqual([0, 1]);
  });

  it('codes a chunk exactly like the inline coder', async () => {
    const pool = createNodeWorkerPool(2, nodeWorkerScript()!);
    try {
      for (const data of [textLike(200_000, 1), prngBytes(2, 70_000), new Uint8Array(100)]) {
        for (const job of [{ level: 6, adaptive: false }, { level: 1, adaptive: true }, { level: 0, adaptive: false }]) {
          const got = await pool.code(data, job);
          const want = codeChunkSync(data, job);
          expect({ ...got, stored: Buffer.from(got.stored).toString('base64') }).toEqual({ ...want, stored: Buffer.from(want.stored).toString('base64') });
        }
      }
    } finally {
      await pool.close();
    }
    await expect(pool.code(new Uint8Array(10), { level: 6, adaptive: false })).rejects.toMatchObject({ name: 'PaniniError', code: 'STATE' });
  });

  it('decodes dhātu records in workers: those that read no earlier output there, the others in order here', async () => {
    const pools = recordPools();
    try {
      // 6 MiB in 4 MiB blocks at level 1 (records without sources); then the same text twice, so that the second
      // copy's records copy from the first (COMM sources: decoded in this thread)
      const text = textLike(6 << 20, 21);
      const twice = new Uint8Array(2 * text.length);
      twice.set(text);
      twice.set(text, text.length);
      for (const [data, level] of [[text, 1], [twice, 6]] as const) {
        const c = await compress(data, { codec: 'dhatu', level });
        const back = await decompress(c, { workers: 2 });
        expect(Buffer.compare(back, data), `level ${level}`).toBe(0);
        const bad = c.slice();
        bad[c.length >> 1]! ^= 0x10;
        const inline = await decompress(bad).catch((e: unknown) => e);
        const pooled = await decompress(bad, { workers: 2 }).catch((e: unknown) => e);
        expect(isPaniniError(pooled), String(pooled)).toBe(true);
        expect((pooled as PaniniError).code).toBe((inline as PaniniError).code);
        expect((pooled as PaniniError).message).toBe((inline as PaniniError).message);
      }
    } finally {
      setCoderFactory(nodeCoderFactory);
    }
    expect(pools.some((p) => p.started > 0)).toBe(true);
  });

  it('reports a corrupt record decoded in a worker exactly as the inline decoder does', async () => {
    const data = textLike(1 << 20, 11);
    const c = await compress(data);
    const bad = c.slice();
    bad[5000]! ^= 0x40; // inside a payload
    const inline = await decompress(bad).catch((e: unknown) => e);
    const pooled = await decompress(bad, { workers: 2 }).catch((e: unknown) => e);
    expect(isPaniniError(inline)).toBe(true);
    expect(isPaniniError(pooled)).toBe(true);
    expect((pooled as PaniniError).code).toBe((inline as PaniniError).code);
    expect((pooled as PaniniError).message).toBe((inline as PaniniError).message);
    expect((pooled as PaniniError).where).toEqual((inline as PaniniError).where);
    // the damaged record is named by its index (where.record) and its frame's byte offset
    expect((inline as PaniniError).where).toMatchObject({ record: expect.any(Number), offset: expect.any(Number) });
    expect((inline as PaniniError).message).toContain(`record ${(inline as PaniniError).where!.record}`);
    expect((await verify(c)).ok).toBe(true);
  });

  describe('a failing worker gives a PaniniError', () => {
    const cases: [string, string, RegExp][] = [
      ['throws while starting', `throw new Error('boom at start');`, /worker thread [12] of 2 threw: boom at start/],
      ['throws on a job', `parentPort.on('message', () => { throw new Error('boom on job'); });`, /threw: boom on job/],
      ['exits on a job', `parentPort.on('message', () => process.exit(3));`, /exited \(code 3\)/],
      ['answers nonsense', `parentPort.on('message', () => parentPort.postMessage({ id: 12345 }));`, /unexpected message/],
    ];
    for (const [what, body, message] of cases) {
      it(`when it ${what}`, async () => {
        const script = fixtureWorker(`${what.replace(/\W+/g, '-')}.cjs`, body);
        const pool = createNodeWorkerPool(2, script);
        const jobs = [1, 2, 3, 4, 5].map(() => pool.code(textLike(10_000, 1), { level: 6, adaptive: false }));
        for (const j of jobs) await expect(j).rejects.toSatisfy((e: unknown) => isPaniniError(e) && e.code === 'STATE' && message.test(e.message));
        // the pool stays failed: later jobs reject at once
        await expect(pool.code(new Uint8Array(1), { level: 6, adaptive: false })).rejects.toBeInstanceOf(PaniniError);
        await pool.close();
      });
    }

    it('when its script does not exist, or a worker cannot be created at all', async () => {
      const missing = createNodeWorkerPool(2, join(tmp, 'no-such-worker.cjs'));
      await expect(missing.code(textLike(1000, 1), { level: 6, adaptive: false })).rejects.toSatisfy((e: unknown) => isPaniniError(e) && e.code === 'STATE');
      await missing.close();
      const cannot = new WorkerPool(2, () => {
        throw new Error('no threads here');
      });
      const jobs = [1, 2, 3].map(() => cannot.code(textLike(1000, 1), { level: 6, adaptive: false }));
      for (const j of jobs) await expect(j).rejects.toSatisfy((e: unknown) => isPaniniError(e) && /could not start \(no threads here\)/.test(e.message));
      await cannot.close();
    });

    it('through compress() and compressStream(), with no unhandled rejection', async () => {
      const script = fixtureWorker('crash-later.cjs', `let n = 0; parentPort.on('message', (m) => { if (++n === 3) throw new Error('third job'); parentPort.postMessage({ id: m.id, ok: true, coded: { codec: 0, params: 0, stored: m.data, storedCrc: 0, skipped: false } }); });`);
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown) => void unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      const pools = recordPools((n) => createNodeWorkerPool(n, script));
      try {
        const data = prngBytes(3, 4 << 20);
        await expect(compress(data, { codec: 'deflate', workers: 2 })).rejects.toSatisfy((e: unknown) => isPaniniError(e) && /third job/.test(e.message));
        const rs = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(data);
            c.close();
          },
        });
        await expect(rs.pipeThrough(compressStream({ codec: 'deflate', workers: 2 })).pipeTo(new WritableStream())).rejects.toSatisfy((e: unknown) => isPaniniError(e) && /third job/.test(e.message));
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        setCoderFactory(nodeCoderFactory);
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
      expect(pools.length).toBe(2);
    });
  });

  it('abort stops a compression with workers (ABORTED) and stops the workers', async () => {
    const pools = recordPools();
    const ac = new AbortController();
    try {
      const data = textLike(8 << 20, 4);
      const p = compress(data, {
        workers: 2,
        signal: ac.signal,
        onProgress: (x) => {
          if (x.bytesIn > 1 << 20) ac.abort();
        },
      });
      await expect(p).rejects.toMatchObject({ name: 'PaniniError', code: 'ABORTED' });
    } finally {
      setCoderFactory(nodeCoderFactory);
    }
    expect(pools[0]!.started).toBeGreaterThan(0);
    await expect(pools[0]!.code(new Uint8Array(1), { level: 1, adaptive: false })).rejects.toMatchObject({ code: 'STATE' });
  });

  describe('processes exit (no handle left open)', () => {
    const run = (code: string, type: 'module' | 'commonjs') => {
      const r = spawnSync(process.execPath, ['--input-type', type, '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, signal: r.signal, out: r.stdout.trim(), err: r.stderr };
    };
    it('ESM build: compress/decompress with workers, then exit', () => {
      const r = run(
        `import * as p from './dist/node.js';
         await p.init();
         const data = new TextEncoder().encode('panini '.repeat(600000));
         const c = await p.compress(data, { workers: 3 });
         const d = await p.decompress(c, { workers: 3 });
         console.log(p.nodeWorkerScript() !== undefined, d.length === data.length, (await p.compress(data)).length === c.length);`,
        'module',
      );
      expect(r, r.err).toMatchObject({ status: 0, signal: null, out: 'true true true' });
    });
    it('CJS build finds the worker through __dirname', () => {
      const r = run(
        `const p = require('./dist/node.cjs');
         p.initSync();
         const data = new TextEncoder().encode('dhatu '.repeat(600000));
         p.compress(data, { workers: 2 }).then(async (c) => {
           console.log(p.nodeWorkerScript(), (await p.compress(data)).length === c.length);
         });`,
        'commonjs',
      );
      expect(r, r.err).toMatchObject({ status: 0, signal: null, out: `${join(ROOT, 'dist', 'worker.cjs')} true` });
    });
    it('a pool that is never closed does not keep the process alive once idle', () => {
      const r = run(
        `import * as p from './dist/node.js';
         await p.init();
         // a stream abandoned after a few records: its coder is never closed
         const ts = p.compressStream({ codec: 'deflate', workers: 2 });
         const w = ts.writable.getWriter();
         const r = ts.readable.getReader();
         void w.write(new TextEncoder().encode('sutra '.repeat(400000)));
         for (let i = 0; i < 6; i++) await r.read();
         console.log('abandoned');`,
        'module',
      );
      expect(r, r.err).toMatchObject({ status: 0, signal: null, out: 'abandoned' });
    });
  });
});

describe('Web Worker pool in Chromium', () => {
  it('is installed, gives the bytes of the inline coder and decodes with workers', async () => {
    const r = await withPage(async (page) =>
      page.evaluate(async () => {
        const { panini, prng } = window as unknown as {
          panini: typeof import('../../src/index.js');
          prng: { prngBytes(seed: number, n: number): Uint8Array };
        };
        const text = new TextEncoder().encode('the grammar of panini: sutra, dhatu, pratyaya. '.repeat(60000));
        const data = new Uint8Array(text.length + (1 << 20));
        data.set(text);
        data.set(prng.prngBytes(5, 1 << 20), text.length);
        const hex = async (b: Uint8Array) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>)), (x) => x.toString(16).padStart(2, '0')).join('');
        const one = await panini.compress(data);
        const two = await panini.compress(data, { workers: 2 });
        const three = await panini.compress(data, { workers: 3, strategy: 'fixed' });
        const back = await panini.decompress(two, { workers: 2 });
        const bad = two.slice();
        bad[4000]! ^= 1;
        const err = await panini.decompress(bad, { workers: 2 }).then(
          () => 'no error',
          (e: { code?: string }) => e.code,
        );
        return {
          available: panini.webWorkersAvailable(),
          same: (await hex(one)) === (await hex(two)),
          fixed: (await hex(three)) === (await hex(await panini.compress(data, { strategy: 'fixed' }))),
          back: (await hex(back)) === (await hex(data)),
          err,
        };
      }),
    );
    expect(r).toMatchObject({ available: true, same: true, fixed: true, back: true, err: 'CHECKSUM' });
  });
});
