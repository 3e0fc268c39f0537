// The pipeline's data path without a queue: chunk a real tree into a store, run the compress-chunk task on every
// distinct chunk, validate and reconstruct from the stored results alone — checked against node:crypto and the
// original files, and broken on purpose (corrupt result, missing result, changed original, hostile recipe).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalStore, compress, extractFile, extractTree, isPaniniError } from '../../src/node.js';
import {
  assembleContainer,
  chunkInput,
  openQueue,
  startWorker,
  submitJob,
  type Pipeline,
  chunkKey,
  chunkTasks,
  parseRecipe,
  patternOf,
  reconstruct,
  recipeKey,
  resultKey,
  validatePipeline,
  type Claim,
  type Recipe,
} from '../../src/pipeline/index.js';
import { runTask, storeCache } from '../../src/pipeline/tasks.js';
import { prngBytes } from '../helpers/prng.mjs';
import { decodePnz } from '../reference/pnz-decode.js';
import { tempDirs } from '../helpers/tmp.js';
import { startS3rver } from '../store/servers.js';
import { openStore } from '../../src/store/open.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fresh = tempDirs();

function words(seed: number, n: number): Uint8Array {
  const vocab = ['alpha', 'beta', 'gamma', 'delta', 'chunk', 'record', 'store', 'queue', 'worker', 'verified', '\n'];
  const r = prngBytes(seed, n);
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const w = vocab[r[i % n]! % vocab.length]!;
    parts.push(w);
    len += w.length + 1;
  }
  return new TextEncoder().encode(parts.join(' ').slice(0, n));
}

/** A tree with text, JSON, a duplicated 3 MiB file, gzip, random bytes, an empty file, a link and a directory. */
function makeTree(): string {
  const root = fresh('panini-pl-tree-');
  mkdirSync(join(root, 'docs', 'empty-dir'), { recursive: true });
  mkdirSync(join(root, 'data'));
  const big = words(1, 3 << 20);
  writeFileSync(join(root, 'data', 'a.txt'), big);
  writeFileSync(join(root, 'data', 'copy-of-a.txt'), big);
  writeFileSync(join(root, 'docs', 'notes.md'), words(2, 200_000));
  writeFileSync(join(root, 'docs', 'rows.json'), JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 3 === 0 }))));
  writeFileSync(join(root, 'data', 'log.gz'), gzipSync(words(3, 400_000)));
  writeFileSync(join(root, 'data', 'noise.bin'), prngBytes(4, 700_000));
  writeFileSync(join(root, 'docs', 'empty'), new Uint8Array(0));
  symlinkSync('notes.md', join(root, 'docs', 'link-to-notes'));
  return root;
}

async function compressAll(store: { location: string; root?: string }, recipe: Recipe): Promise<void> {
  const stores = storeCache();
  for (const t of chunkTasks([recipe])) {
    const claim: Claim = { jobId: 'j', taskKey: t.key, kind: t.kind, size: t.size, payload: t.payload, options: { level: recipe.codec.level }, store: store.root ?? store.location, attempt: 1, workerId: 'w', token: 't', leaseUntil: Date.now() + 60_000 };
    let compressed = 0;
    const r = await runTask(claim, { store: (l) => stores.get(l), threads: 1, compressed: async () => (compressed++, true), signal: new AbortController().signal });
    expect(compressed).toBe(1);
    expect(r.bytesIn).toBe(t.size);
    expect(r.object).toBe(resultKey(t.payload.sha256 as string, recipe.codec.level));
    if (store.root) expect(r.bytesOut).toBe(statSync(join(store.root, ...r.object!.split('/'))).size);
  }
  await stores.close();
}

describe('pipeline: chunk → compress tasks → validate / reconstruct', () => {
  let tree: string;
  let storeDir: string;
  let store: LocalStore;
  let recipe: Recipe;
  beforeAll(async () => {
    tree = makeTree();
    storeDir = fresh('panini-pl-store-');
    store = new LocalStore(storeDir);
    recipe = await chunkInput(tree, store, { blockSize: 1 << 20, level: 3 });
    await compressAll(store, recipe);
  });

  it('writes a recipe whose chunks are the files in order, each chunk stored once under its SHA-256', async () => {
    const stored = parseRecipe(readFileSync(join(storeDir, 'recipes', `${recipe.id}.json`)), 'test');
    expect(stored).toEqual(recipe);
    const files = recipe.entries.filter((e) => e.type === 'file');
    expect(files.map((f) => f.path)).toEqual(['data/a.txt', 'data/copy-of-a.txt', 'data/log.gz', 'data/noise.bin', 'docs/empty', 'docs/notes.md', 'docs/rows.json']);
    // the stream is the files one after the other: oracle hashes from node:crypto
    const stream = Buffer.concat(files.map((f) => readFileSync(join(tree, f.path))));
    expect(recipe.size).toBe(stream.length);
    expect(recipe.sha256).toBe(sha(stream));
    for (const f of files) expect(f.sha256).toBe(sha(readFileSync(join(tree, f.path))));
    for (const c of recipe.chunks) {
      const bytes = stream.subarray(c.offset, c.offset + c.size);
      expect(c.sha256).toBe(sha(bytes));
      expect(sha(readFileSync(join(storeDir, ...chunkKey(c.sha256).split('/'))))).toBe(c.sha256);
      expect(c.size).toBeLessThanOrEqual(64 << 20);
    }
    // the duplicated 3 MiB file starts on a cut: its chunks repeat and name the first copy
    const dups = recipe.chunks.filter((c) => c.pattern === 'duplicate');
    expect(dups.length).toBeGreaterThanOrEqual(2);
    for (const d of dups) expect(recipe.chunks[d.dependencies[0]!]!.sha256).toBe(d.sha256);
    expect(chunkTasks([recipe]).length).toBe(new Set(recipe.chunks.map((c) => c.sha256)).size);
    expect(recipe.entries.find((e) => e.path === 'docs/link-to-notes')).toMatchObject({ type: 'symlink', target: 'notes.md' });
    expect(recipe.entries.find((e) => e.path === 'docs/empty-dir')).toMatchObject({ type: 'dir' });
  });

  it('validates bit-perfect from the stored results, with a dhātu distribution and a ratio', async () => {
    const r = await validatePipeline(store, recipe.id, tree);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.bytes).toBe(recipe.size);
    expect(r.uniqueChunks).toBe(chunkTasks([recipe]).length);
    expect(r.ratio).toBeGreaterThan(0);
    expect(r.ratio).toBeLessThan(0.6);
    expect(Object.keys(r.dhatu).length).toBeGreaterThan(0);
  });

  it('reconstructs every file, directory and link', async () => {
    const out = join(fresh('panini-pl-out-'), 'tree');
    const r = await reconstruct(store, recipe.id, out);
    expect(r.bytes).toBe(recipe.size);
    for (const e of recipe.entries) {
      if (e.type === 'file') {
        expect(sha(readFileSync(join(out, e.path)))).toBe(sha(readFileSync(join(tree, e.path))));
        expect(Math.floor(statSync(join(out, e.path)).mtimeMs / 1000)).toBe(Math.floor(e.mtime / 1000));
      } else if (e.type === 'dir') expect(statSync(join(out, e.path)).isDirectory()).toBe(true);
      else expect(readlinkSync(join(out, e.path))).toBe(e.target);
    }
  });

  it('reports a changed original with its path and first differing byte, and extra or missing files', async () => {
    const copy = fresh('panini-pl-orig-');
    const out = join(copy, 't');
    await reconstruct(store, recipe.id, out);
    const f = join(out, 'docs', 'notes.md');
    const b = readFileSync(f);
    b[12345] = b[12345]! ^ 1;
    writeFileSync(f, b);
    writeFileSync(join(out, 'extra.txt'), 'x');
    rmSync(join(out, 'docs', 'rows.json'));
    const r = await validatePipeline(store, recipe.id, out);
    expect(r.ok).toBe(false);
    expect(r.firstDifference).toEqual({ path: 'docs/notes.md', offset: 12345 });
    expect(r.problems.some((p) => p.includes('extra.txt'))).toBe(true);
    expect(r.problems.some((p) => p.includes('docs/rows.json') && p.includes('missing'))).toBe(true);
  });

  it('refuses a corrupted or missing result, naming the chunk', async () => {
    const s2dir = fresh('panini-pl-bad-');
    const s2 = new LocalStore(s2dir);
    const small = join(fresh('panini-pl-small-'), 'one.txt');
    writeFileSync(small, words(9, 2_500_000));
    const r = await chunkInput(small, s2, { blockSize: 1 << 20, level: 1 });
    expect(r.kind).toBe('file');
    expect(r.chunks.length).toBeGreaterThanOrEqual(2);
    await compressAll(s2, r);
    expect((await validatePipeline(s2, r.id, small)).ok).toBe(true);
    const victim = r.chunks[1]!;
    const key = join(s2dir, ...resultKey(victim.sha256, 1).split('/'));
    const good = readFileSync(key);
    const bad = Buffer.from(good);
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0x40;
    writeFileSync(key, bad);
    let v = await validatePipeline(s2, r.id, small);
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/chunk 1\b/);
    rmSync(key);
    v = await validatePipeline(s2, r.id, small);
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/chunk 1 .*not compressed yet/);
    writeFileSync(key, good);
    expect((await validatePipeline(s2, r.id, small)).ok).toBe(true);
    // a chunk object that does not match its recipe fails the task for good (retrying cannot mend it)
    const ck = join(s2dir, ...chunkKey(victim.sha256).split('/'));
    appendFileSync(ck, 'x');
    const t = chunkTasks([r]).find((x) => x.key === victim.sha256)!;
    const stores = storeCache();
    await expect(
      runTask({ jobId: 'j', taskKey: t.key, kind: t.kind, size: t.size, payload: t.payload, options: { level: 1 }, store: s2dir, attempt: 1, workerId: 'w', token: 't', leaseUntil: 0 }, { store: (l) => stores.get(l), threads: 1, compressed: async () => true, signal: new AbortController().signal }),
    ).rejects.toMatchObject({ code: 'CHECKSUM', name: 'PaniniError' });
    await stores.close();
  });

  it('assembles one container from the results: the reference decoder and extract give back every file, duplicates are REFs', async () => {
    const out = join(fresh('panini-pl-asm-'), 'tree.pnz');
    const a = await assembleContainer(store, recipe.id, out);
    expect(a).toMatchObject({ recipe: recipe.id, bytes: recipe.size, verified: true, chunks: recipe.chunks.length, recopied: 0, sha256: recipe.sha256 });
    expect(a.refChunks).toBe(recipe.chunks.filter((c) => c.pattern === 'duplicate').length);
    const bytes = readFileSync(out);
    expect(a.containerBytes).toBe(bytes.length);
    // no coding happened: the container is the results' records plus framing, manifest and index
    let results = 0;
    for (const sha256 of new Set(recipe.chunks.map((c) => c.sha256))) results += statSync(join(storeDir, ...resultKey(sha256, recipe.codec.level).split('/'))).size;
    expect(bytes.length).toBeLessThan(results + 4096 + 72 * a.records);
    // the independent decoder (test/reference) from FORMAT.md alone: the stream, the manifest, each file by node:crypto
    const ref = decodePnz(new Uint8Array(bytes));
    const files = recipe.entries.filter((e) => e.type === 'file');
    const stream = Buffer.concat(files.map((f) => readFileSync(join(tree, f.path))));
    expect(sha(ref.output)).toBe(sha(stream));
    expect(ref.refRecords).toBeGreaterThan(0);
    expect(ref.manifest!.root).toBe('tree');
    expect(ref.manifest!.entries.map((e) => [e.path, e.type])).toEqual(recipe.entries.map((e) => [e.path, e.type]));
    for (const f of ref.files) expect(sha(f.data), f.path).toBe(sha(readFileSync(join(tree, f.path))));
    expect(ref.manifest!.entries.find((e) => e.path === 'docs/link-to-notes')).toMatchObject({ type: 'symlink', target: 'notes.md' });
    // the product's own readers: random access to one file, and a whole-tree extract with modes and links
    const one = await extractFile(out, 'docs/rows.json');
    expect(sha(one.data)).toBe(sha(readFileSync(join(tree, 'docs', 'rows.json'))));
    const dir = join(fresh('panini-pl-asm-x-'), 'x');
    await extractTree(out, dir);
    for (const e of files) expect(sha(readFileSync(join(dir, e.path))), e.path).toBe(sha(readFileSync(join(tree, e.path))));
    expect(readlinkSync(join(dir, 'docs', 'link-to-notes'))).toBe('notes.md');
    // a single file's recipe becomes a file container; an existing output is EXISTS unless forced
    await expect(assembleContainer(store, recipe.id, out)).rejects.toMatchObject({ code: 'EXISTS' });
    expect((await assembleContainer(store, recipe.id, out, { force: true, verify: false })).verified).toBe(false);
    expect(sha(readFileSync(out))).toBe(sha(bytes)); // deterministic: the same results give the same container
  });

  it('assembling keeps the dedup window: a repeat whose first copy has left the window is copied again, not a REF', async () => {
    // results coded with a 1 MiB window (a level's window may be that small): the 3 MiB file's copy repeats chunks
    // that are 3 MiB back, out of reach, so their records are written again; the reference decoder enforces the window
    const s3dir = fresh('panini-pl-asm-win-');
    const s3 = new LocalStore(s3dir);
    const r = await chunkInput(tree, s3, { blockSize: 1 << 20, level: 1 });
    for (const c of r.chunks) {
      const data = readFileSync(join(s3dir, ...chunkKey(c.sha256).split('/')));
      await s3.put(resultKey(c.sha256, 1), await compress(data, { codec: 'dhatu', level: 1, dedupWindow: 1 << 20 }));
    }
    const out = join(fresh('panini-pl-asm-wout-'), 'w.pnz');
    const a = await assembleContainer(s3, r.id, out);
    expect(a.recopied).toBeGreaterThan(0);
    const ref = decodePnz(new Uint8Array(readFileSync(out)));
    expect(ref.window).toBe(1 << 20);
    expect(sha(ref.output)).toBe(r.sha256);
  });

  it('assembling refuses a missing or damaged result, naming the chunk, and leaves no file behind', async () => {
    const s2dir = fresh('panini-pl-asm-bad-');
    const s2 = new LocalStore(s2dir);
    const small = join(fresh('panini-pl-asm-small-'), 'one.txt');
    writeFileSync(small, words(11, 2_500_000));
    const r = await chunkInput(small, s2, { blockSize: 1 << 20, level: 1 });
    await compressAll(s2, r);
    const outDir = fresh('panini-pl-asm-out-');
    const out = join(outDir, 'one.pnz');
    const good = await assembleContainer(s2, r.id, out);
    expect(decodePnz(new Uint8Array(readFileSync(out))).manifest).toMatchObject({ root: 'file', entries: [{ path: 'one.txt', type: 'file' }] });
    expect(sha((await extractFile(out, 'one.txt')).data)).toBe(sha(readFileSync(small)));
    expect(good.files).toBe(1);
    rmSync(out);
    const key = join(s2dir, ...resultKey(r.chunks[1]!.sha256, 1).split('/'));
    const result = readFileSync(key);
    const flips = [40, 60, result.length >> 1, result.length - 10];
    for (const at of flips) {
      const bad = Buffer.from(result);
      bad[at] = bad[at]! ^ 0x10;
      writeFileSync(key, bad);
      const e = await assembleContainer(s2, r.id, out).then(() => undefined, (x: unknown) => x);
      expect(isPaniniError(e), `flip at ${at}`).toBe(true);
      expect((e as { code: string }).code).toMatch(/CHECKSUM|FORMAT|TRUNCATED/);
      expect(String((e as Error).message)).toMatch(/chunk 1|record|byte|container/);
      expect(readdirSync(outDir)).toEqual([]);
    }
    rmSync(key);
    await expect(assembleContainer(s2, r.id, out)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/chunk 1 .*not compressed yet/) });
    expect(readdirSync(outDir)).toEqual([]);
    writeFileSync(key, result);
  });

  it('never reads its own store when the store lies inside the tree', async () => {
    const root = fresh('panini-pl-self-');
    writeFileSync(join(root, 'a.txt'), words(5, 100_000));
    const s = new LocalStore(join(root, 'out'));
    const r1 = await chunkInput(root, s, {});
    const r2 = await chunkInput(root, s, {});
    expect(r2.sha256).toBe(r1.sha256);
    expect(r2.entries.map((e) => e.path)).toEqual(['a.txt']);
    expect(r2.skipped.some((x) => x.includes('output store'))).toBe(true);
  });

  it('parses only well-formed recipes: any damage is FORMAT (or UNSUPPORTED), never a crash', async () => {
    const good = readFileSync(join(storeDir, ...recipeKey(recipe.id).split('/')));
    const obj = JSON.parse(good.toString());
    const cases: [string, (o: any) => void][] = [
      ['chunk gap', (o) => (o.chunks[1].offset += 1)],
      ['size', (o) => (o.size += 1)],
      ['unsafe path', (o) => (o.entries[0].path = '../etc/passwd')],
      ['absolute path', (o) => (o.entries[0].path = '/etc/passwd')],
      ['forward dependency', (o) => (o.chunks[0].dependencies = [3])],
      ['bad sha', (o) => (o.chunks[0].sha256 = 'zz')],
      ['file overlap', (o) => (o.entries.find((e: any) => e.type === 'file').offset = 5)],
      ['duplicate path', (o) => o.entries.push({ ...o.entries[0] })],
    ];
    for (const [name, mutate] of cases) {
      const o = structuredClone(obj);
      mutate(o);
      let e: unknown;
      try {
        parseRecipe(new TextEncoder().encode(JSON.stringify(o)), name);
      } catch (x) {
        e = x;
      }
      expect(isPaniniError(e), name).toBe(true);
      expect(['FORMAT', 'PATH'], name).toContain((e as { code: string }).code);
    }
    const v2 = structuredClone(obj);
    v2.version = 2;
    expect(() => parseRecipe(new TextEncoder().encode(JSON.stringify(v2)), 'v2')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    let damaged = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const b = Uint8Array.from(good);
        b[at] = b[at]! ^ x;
        try {
          parseRecipe(b, 'fuzz');
        } catch (e) {
          if (!isPaniniError(e)) throw e;
          damaged++;
        }
      }),
      { seed: 7, numRuns: 300 },
    );
    expect(damaged).toBeGreaterThan(150);
  });

  it('classifies chunk patterns from byte statistics', () => {
    expect(patternOf(new Uint8Array(5000).fill(7))).toBe('runs');
    expect(patternOf(prngBytes(11, 100_000))).toBe('high-entropy');
    expect(patternOf(words(12, 100_000))).toBe('text');
    const bin = new Uint8Array(100_000);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 7) % 64;
    expect(patternOf(bin)).toBe('binary');
  });

  it('works the same on an S3 store (s3rver): chunks, results and recipe in a bucket, found through the AWS environment', async () => {
    const server = await startS3rver('pipeline');
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_S3: server.url, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    try {
      const location = 's3://pipeline/run1';
      const s3 = await openStore(location);
      const r = await chunkInput(tree, s3, { blockSize: 1 << 20, level: 1 });
      await compressAll(s3, r);
      const v = await validatePipeline(s3, r.id, tree);
      expect(v.problems).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.sha256).toBe(recipe.sha256); // the same input stream as the local run
      // the input itself in a bucket: every object under a prefix is a file of the tree, the one object a key names
      // is a file; chunked into a local store, assembled, and each file compared with the one on disk
      const files = recipe.entries.filter((e) => e.type === 'file');
      const src = await openStore('s3://pipeline/corpus');
      for (const f of files) await src.put(f.path, readFileSync(join(tree, f.path)));
      await src.close();
      const local = new LocalStore(fresh('panini-pl-from-s3-'));
      const fromS3 = await chunkInput('s3://pipeline/corpus', local, { blockSize: 1 << 20, level: 1 });
      expect(fromS3.source).toBe('s3://pipeline/corpus');
      expect(fromS3.kind).toBe('tree');
      expect(fromS3.entries.filter((e) => e.type === 'file').map((e) => e.path)).toEqual(files.map((f) => f.path));
      expect(fromS3.entries.filter((e) => e.type === 'dir').map((e) => e.path)).toEqual(['data', 'docs']);
      expect(fromS3.sha256).toBe(recipe.sha256);
      await compressAll(local, fromS3);
      const out = join(fresh('panini-pl-from-s3-out-'), 's3.pnz');
      await assembleContainer(local, fromS3.id, out);
      for (const f of decodePnz(new Uint8Array(readFileSync(out))).files) expect(sha(f.data), f.path).toBe(sha(readFileSync(join(tree, f.path))));
      const one = await chunkInput('s3://pipeline/corpus/docs/notes.md', local, { level: 1 });
      expect(one).toMatchObject({ kind: 'file', size: statSync(join(tree, 'docs', 'notes.md')).size, sha256: sha(readFileSync(join(tree, 'docs', 'notes.md'))) });
      expect(one.entries).toMatchObject([{ path: 'notes.md', type: 'file', mode: 0o644 }]);
      await expect(chunkInput('s3://pipeline/nothing-here', local)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // as a job: a compress job reads the bucket when the server has it as a root, and nothing outside it
      const data = fresh('panini-pl-s3-job-');
      const p: Pipeline = { queue: await openQueue(`sqlite:${join(data, 'q.sqlite')}`), data, roots: ['s3://pipeline/corpus'], store: join(data, 'store') };
      try {
        for (const bad of ['s3://other/corpus', 's3://pipeline/corpus-2', 's3://pipeline/corpus/../run1', 's3://pipeline/corpus//x']) {
          await expect(submitJob(p, { type: 'compress', input: [bad] }), bad).rejects.toMatchObject({ code: 'PATH' });
        }
        const { id, ready } = await submitJob(p, { type: 'compress', input: ['s3://pipeline/corpus/'], options: { level: 1, blockSize: 1 << 20 } });
        await ready;
        const w = await startWorker({ queue: p.queue, device: 'cpu', exitWhenIdle: true, idleMs: 50 });
        await w.done;
        const st = (await p.queue.job(id))!;
        expect(st).toMatchObject({ state: 'verified', bytesIn: chunkTasks([fromS3]).reduce((n, t) => n + t.size, 0), input: ['s3://pipeline/corpus'] });
      } finally {
        await p.queue.close();
      }
      await s3.close();
    } finally {
      process.env = saved;
      await server.stop();
    }
  });
});
