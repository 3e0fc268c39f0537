/**
 * What a worker does with each kind of task (types.ts TASK_KINDS). Every task checks its input and its output:
 * a compress-chunk task verifies the chunk it read against the recipe's SHA-256 and CRC32, decodes the container it
 * made and compares that with the chunk before it writes the result, and only then reports it.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PaniniError } from '../errors.js';
import { crc32 } from '../hash/crc32.js';
import { sha256 } from '../hash/sha256.js';
import { detect, HEAD_LIMIT } from '../grammar/index.js';
import { compress, decompress, inspect } from '../container/api.js';
import { hex } from '../container/format.js';
import { DEFAULT_DHATU_LEVEL } from '../container/options.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { ContentClassifier } from '../model/classifier.js';
import { ioError, openFileSource } from '../node/io.js';
import { chunkKey, dhatuBytes, jobFileKey, resultKey } from './recipe.js';
import type { Claim, Json, TaskResult } from './types.js';
import { validatePipeline } from './validate.js';
import { assembleContainer } from './assemble.js';

export interface TaskContext {
  /** stores by location, opened once per worker */
  store(location: string): Promise<Store>;
  /** coder threads for one chunk (1: the calling thread) */
  threads: number;
  /** the content classifier on the worker's device, when a model and a runtime are available */
  classifier?: ContentClassifier;
  /** called after the chunk was compressed and before it is verified (the queue's `compressed` state) */
  compressed(): Promise<boolean>;
  signal: AbortSignal;
}

/** A failure that retrying cannot mend (missing or corrupt input, bad options): fail at once. */
export class PermanentTaskError extends PaniniError {}

function permanent(e: unknown): never {
  if (e instanceof PaniniError) throw new PermanentTaskError(e.code, e.message, e.where, { cause: e });
  throw e;
}

const str = (v: Json | undefined, name: string): string => {
  if (typeof v !== 'string') throw new PermanentTaskError('FORMAT', `task payload: ${name} is not a string`, { option: name });
  return v;
};
const int = (v: Json | undefined, name: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new PermanentTaskError('FORMAT', `task payload: ${name} is not a non-negative integer`, { option: name });
  return v;
};


async function compressChunk(claim: Claim, ctx: TaskContext): Promise<TaskResult> {
  const p = claim.payload;
  const digest = str(p.sha256, 'sha256');
  const size = int(p.size, 'size');
  const crc = int(p.crc32, 'crc32');
  const level = int(claim.options.level ?? DEFAULT_DHATU_LEVEL, 'level');
  const store = await ctx.store(claim.store);
  const key = chunkKey(digest);
  const data = await store.get(key, { signal: ctx.signal }).catch(permanent);
  if (data.length !== size || hex(sha256(data)) !== digest || crc32(data) >>> 0 !== crc) {
    throw new PermanentTaskError('CHECKSUM', `${store.location}: chunk ${key} does not match its recipe (${data.length} bytes, expected ${size})`, { key });
  }
  const container = await compress(data, { codec: 'dhatu', level, workers: ctx.threads, signal: ctx.signal });
  if (!(await ctx.compressed())) throw new PaniniError('STATE', 'the claim was lost while compressing');
  const back = await decompress(container, { maxOutputSize: size });
  if (back.length !== size || hex(sha256(back)) !== digest) {
    throw new PaniniError('CHECKSUM', `chunk ${digest}: the container decodes to other bytes than the chunk (${back.length} bytes)`, { key });
  }
  const info = await inspect(container);
  const out = resultKey(digest, level);
  if ((await store.stat(out, { signal: ctx.signal }))?.size !== container.length) await store.put(out, container, { signal: ctx.signal });
  const result: TaskResult = { bytesIn: size, bytesOut: container.length, object: out, dhatu: dhatuBytes(info.dhatu) };
  if (ctx.classifier) {
    const [c] = await ctx.classifier.classify([data]);
    result.data = { class: c!.class, confidence: Math.round(c!.confidence * 1000) / 1000, device: ctx.classifier.session.device };
  }
  return result;
}

/** Sample of an input for analysis: its first 4 MiB (a file) — the grammar and a trial coding run on it. */
const SAMPLE = 4 << 20;

async function analyze(claim: Claim, ctx: TaskContext): Promise<TaskResult> {
  const path = str(claim.payload.path, 'path');
  const level = int(claim.options.level ?? DEFAULT_DHATU_LEVEL, 'level');
  // a missing input or a directory will not be different on a retry: both fail the task for good
  const src = await openFileSource(path).catch(permanent);
  let sample: Uint8Array;
  try {
    sample = await src.read(0, Math.min(SAMPLE, src.size));
  } finally {
    await src.close();
  }
  const d = detect(sample.subarray(0, HEAD_LIMIT), src.size);
  const container = await compress(sample, { codec: 'dhatu', level, workers: ctx.threads, signal: ctx.signal });
  const info = await inspect(container);
  const dhatu = dhatuBytes(info.dhatu);
  const data: Json = {
    path,
    size: src.size,
    sampled: sample.length,
    format: d.format,
    confidence: d.confidence,
    predictedRatio: sample.length ? container.length / sample.length : 0,
    predictedBytes: sample.length ? Math.round((container.length / sample.length) * src.size) : 0,
    dhatu,
    stages: info.stages.map((s) => ({ name: s.name, dhatu: s.dhatu, bytes: s.bytes })),
  };
  if (ctx.classifier && sample.length) {
    const [c] = await ctx.classifier.classify([sample.subarray(0, 1 << 20)]);
    (data as { [k: string]: Json }).class = c!.class;
  }
  return { bytesIn: src.size, bytesOut: 0, dhatu, data };
}

/** The benchmark harness (bench/run.mjs, shipped in the package) beside the built package. */
function benchScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const f = join(dir, 'bench', 'run.mjs');
    if (existsSync(f)) return f;
    dir = dirname(dir);
  }
  throw new PermanentTaskError('NOT_FOUND', 'the benchmark harness (bench/run.mjs) is not installed beside panini-fs');
}

async function benchmark(claim: Claim, ctx: TaskContext): Promise<TaskResult> {
  const inputs = claim.payload.inputs;
  if (!Array.isArray(inputs) || inputs.some((x) => typeof x !== 'string')) throw new PermanentTaskError('FORMAT', 'task payload: inputs is not a list of paths');
  const sections = typeof claim.options.sections === 'string' ? claim.options.sections : 'single';
  const work = await fsp.mkdtemp(join(tmpdir(), 'panini-bench-'));
  try {
    // the harness reads a corpus folder: files under single/, directories under tree/ (hard links where the file
    // system allows, copies otherwise; the harness skips links)
    const corpus = join(work, 'corpus');
    await fsp.mkdir(join(corpus, 'single'), { recursive: true });
    await fsp.mkdir(join(corpus, 'tree'), { recursive: true });
    let bytes = 0;
    for (const [i, p] of (inputs as string[]).entries()) {
      const st = await fsp.stat(p).catch((e) => permanent(ioError(e, 'read', p)));
      const name = `${String(i).padStart(3, '0')}-${p.split('/').filter(Boolean).pop() ?? 'input'}`;
      if (st.isFile()) {
        bytes += st.size;
        const to = join(corpus, 'single', name);
        await fsp.link(p, to).catch(() => fsp.copyFile(p, to));
      } else if (st.isDirectory()) {
        await fsp.cp(p, join(corpus, 'tree', name), { recursive: true, verbatimSymlinks: true });
      } else throw new PermanentTaskError('IO', `${p} is neither a file nor a directory`, { path: p });
    }
    const out = join(work, 'out');
    const args = [benchScript(), '--corpus', corpus, '--out', out, '--sections', sections];
    if (claim.options.quick !== false) args.push('--quick');
    const log = await new Promise<string>((res, rej) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: ctx.signal });
      let text = '';
      child.stdout.on('data', (b: Buffer) => (text = (text + b.toString()).slice(-20000)));
      child.stderr.on('data', (b: Buffer) => (text = (text + b.toString()).slice(-20000)));
      child.on('error', (e) => rej(new PaniniError('IO', `benchmark harness: ${e.message}`)));
      child.on('close', (code) => (code === 0 ? res(text) : rej(new PaniniError('IO', `benchmark harness exited with ${code}: ${text.trim().split('\n').slice(-3).join(' | ')}`))));
    });
    const store = await ctx.store(claim.store);
    const files: Json[] = [];
    for (const [name, type] of [['results.json', 'application/json'], ['report.html', 'text/html'], ['report.md', 'text/markdown']] as const) {
      const f = join(out, name);
      if (!existsSync(f)) continue;
      const key = jobFileKey(claim.jobId, name);
      await store.put(key, await fsp.readFile(f), { signal: ctx.signal });
      files.push({ name, key, type });
    }
    if (files.length === 0) throw new PaniniError('IO', `benchmark harness wrote no results: ${log.trim().split('\n').slice(-3).join(' | ')}`);
    return { bytesIn: bytes, bytesOut: 0, data: { files, sections } };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

async function validate(claim: Claim, ctx: TaskContext): Promise<TaskResult> {
  const original = str(claim.payload.original, 'original');
  const recipe = str(claim.payload.recipe, 'recipe');
  const store = await ctx.store(str(claim.payload.store ?? claim.store, 'store'));
  const r = await validatePipeline(store, recipe, original, { signal: ctx.signal });
  if (!r.ok) throw new PermanentTaskError('CHECKSUM', `not bit-perfect: ${r.problems.slice(0, 3).join('; ')}`, { path: original });
  return { bytesIn: r.bytes, bytesOut: r.storedBytes, dhatu: r.dhatu, data: r as unknown as Json };
}

async function assemble(claim: Claim, ctx: TaskContext): Promise<TaskResult> {
  const output = str(claim.payload.output, 'output');
  const recipe = str(claim.payload.recipe, 'recipe');
  const store = await ctx.store(str(claim.payload.store ?? claim.store, 'store'));
  // a task redone after a lost lease finds its own container: the same results give the same bytes, so it is replaced
  const r = await assembleContainer(store, recipe, output, { signal: ctx.signal, force: claim.attempt > 1 }).catch((e: unknown) => {
    if (e instanceof PaniniError && (e.code === 'NOT_FOUND' || e.code === 'CHECKSUM' || e.code === 'FORMAT' || e.code === 'EXISTS')) permanent(e);
    throw e;
  });
  // within a compress job the chunks' tasks counted the bytes already: the job's totals and ratio stay theirs
  const within = claim.payload.within === true;
  return { bytesIn: within ? 0 : r.bytes, bytesOut: within ? 0 : r.containerBytes, data: r as unknown as Json };
}

export async function runTask(claim: Claim, ctx: TaskContext): Promise<TaskResult> {
  switch (claim.kind) {
    case 'compress-chunk':
      return compressChunk(claim, ctx);
    case 'analyze':
      return analyze(claim, ctx);
    case 'benchmark':
      return benchmark(claim, ctx);
    case 'validate':
      return validate(claim, ctx);
    case 'assemble':
      return assemble(claim, ctx);
    default:
      throw new PermanentTaskError('UNSUPPORTED', `task kind ${JSON.stringify(claim.kind)} is not known to this worker`);
  }
}

/** Stores by location for one worker. */
export function storeCache(): { get(location: string): Promise<Store>; close(): Promise<void> } {
  const open = new Map<string, Promise<Store>>();
  return {
    get(location) {
      let s = open.get(location);
      if (!s) {
        s = openStore(location);
        open.set(location, s);
        s.catch(() => open.delete(location));
      }
      return s;
    },
    async close() {
      for (const s of open.values()) await (await s.catch(() => undefined))?.close();
      open.clear();
    },
  };
}
