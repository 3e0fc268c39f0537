/**
 * `chunk`: cuts a file or a tree into pending chunks in a store, with the recipe that puts them back together
 * (src/pipeline/recipe.ts). Streams: memory holds one chunk and one read, whatever the input's size.
 *
 * The cuts are the dhātu codec's own records: the chosen strategy (semantic / adaptive / CDC / fixed) finds the
 * boundaries, and pieces are grouped into chunks of about `blockSize` bytes, so a chunk compressed alone by a worker
 * codes exactly as that record would inside one `panini-fs compress` container. Files are one stream in tree order;
 * a file of at least a block starts and ends on a chunk boundary, so identical large files dedup wherever they are.
 */
import { promises as fsp } from 'node:fs';
import { basename, resolve, sep } from 'node:path';
import { PaniniError } from '../errors.js';
import { crc32 } from '../hash/crc32.js';
import { createSha256, sha256 } from '../hash/sha256.js';
import { detect, HEAD_LIMIT } from '../grammar/index.js';
import { makeBlockAssembler } from '../container/api.js';
import { hex } from '../container/format.js';
import { DEFAULT_DHATU_LEVEL, resolveCompressOptions, throwIfAborted } from '../container/options.js';
import { locationScheme, openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { checkPath } from '../container/manifest.js';
import { assertInt, assertOneOf, assertOptions } from '../validate.js';
import { init } from '../wasm/core.js';
import { ioError } from '../node/io.js';
import { listTree, readPieces } from '../node/container.js';
import {
  chunkKey,
  encodeRecipe,
  newRecipeId,
  type Pattern,
  type PipelineStrategy,
  type Recipe,
  RECIPE_FORMAT,
  RECIPE_VERSION,
  type RecipeChunk,
  type RecipeEntry,
  recipeKey,
  STRATEGIES,
} from './recipe.js';

export interface ChunkInputOptions {
  /** how cut points are found (default 'adaptive': the grammar's cuts where it knows the format, FastCDC elsewhere) */
  strategy?: PipelineStrategy;
  /** target chunk size, 1–64 MiB (default 4 MiB) */
  blockSize?: number;
  /** the dhātu level workers will code with, 0–9 (default: the library's dhātu default, 2); recorded in the recipe */
  level?: number;
  /** recipe id (default: a fresh one) */
  id?: string;
  signal?: AbortSignal;
  onProgress?: (p: { bytes: number; total: number; chunks: number }) => void;
}

export const CHUNK_INPUT_KEYS = ['strategy', 'blockSize', 'level', 'id', 'signal', 'onProgress'] as const;
export const DEFAULT_BLOCK = 4 << 20;

export interface ResolvedChunkInput {
  strategy: PipelineStrategy;
  blockSize: number;
  level: number;
}

export function resolveChunkInput(options: unknown, what = 'chunk'): ResolvedChunkInput & Pick<ChunkInputOptions, 'id' | 'signal' | 'onProgress'> {
  const o = assertOptions<ChunkInputOptions>(what, options, CHUNK_INPUT_KEYS);
  return {
    strategy: o.strategy === undefined ? 'adaptive' : assertOneOf('strategy', o.strategy, STRATEGIES),
    blockSize: o.blockSize === undefined ? DEFAULT_BLOCK : assertInt('blockSize', o.blockSize, 1 << 20, 64 << 20),
    level: o.level === undefined ? DEFAULT_DHATU_LEVEL : assertInt('level', o.level, 0, 9),
    id: o.id,
    signal: o.signal,
    onProgress: o.onProgress,
  };
}

/** Order-0 statistics of a chunk → its pattern (recipe.ts PATTERNS). */
export function patternOf(data: Uint8Array): Exclude<Pattern, 'duplicate'> {
  const counts = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]!]!++;
  let h = 0;
  let printable = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b]!;
    if (c === 0) continue;
    const p = c / data.length;
    h -= p * Math.log2(p);
    if ((b >= 0x20 && b < 0x7f) || b === 9 || b === 10 || b === 13 || b >= 0x80) printable += c;
  }
  if (h < 2) return 'runs';
  if (h > 7.5) return 'high-entropy';
  // UTF-8 text counts its multi-byte sequences as printable; raw binary rarely stays under 5 % control bytes
  if (printable >= 0.95 * data.length && counts[0]! === 0) return 'text';
  return 'binary';
}

interface Input {
  kind: 'file' | 'tree';
  /** `abs`: a file on disk; `read`: the pieces of a store object */
  entries: (RecipeEntry & { abs?: string; read?: () => AsyncIterable<Uint8Array> })[];
  total: number;
  skipped: string[];
  close?: () => Promise<void>;
}

/** Whether a job input or `chunk` argument names a store (s3://…, azure://…) rather than a path on this machine. */
export function isStoreInput(input: string): boolean {
  const scheme = locationScheme(input);
  return scheme !== undefined && scheme !== 'file';
}

const STORE_READ = 4 << 20;

async function* readObject(store: Store, key: string, size: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < size; at += STORE_READ) {
    throwIfAborted(signal);
    yield await store.getRange(key, at, Math.min(STORE_READ, size - at), { signal });
  }
}

/**
 * A store location as input: every object under it is a file of a tree (its key, relative to the location, is its
 * path; the directories its keys imply come first; mode 0644/0755, mtime 0, since stores keep neither), or, when
 * nothing lies under it, the one object it names is a file. Objects are read in 4 MiB ranges.
 */
async function listStoreInput(location: string, signal?: AbortSignal): Promise<Input> {
  const store = await openStore(location.replace(/\/+$/, ''));
  const objects: { key: string; size: number }[] = [];
  try {
    for await (const o of store.list('', { signal })) objects.push(o);
  } catch (e) {
    await store.close();
    throw e;
  }
  if (objects.length > 0) {
    const entries: Input['entries'] = [];
    const dirs = new Set<string>();
    const skipped: string[] = [];
    let total = 0;
    for (const o of objects) {
      try {
        checkPath(o.key);
      } catch {
        skipped.push(`${o.key} (not usable as a path)`);
        continue;
      }
      const parts = o.key.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (dirs.has(d)) continue;
        dirs.add(d);
        entries.push({ path: d, type: 'dir', mode: 0o755, mtime: 0, size: 0 });
      }
      if (dirs.has(o.key)) {
        skipped.push(`${o.key} (also a folder of other objects)`);
        continue;
      }
      entries.push({ path: o.key, type: 'file', mode: 0o644, mtime: 0, size: o.size, read: () => readObject(store, o.key, o.size, signal) });
      total += o.size;
    }
    return { kind: 'tree', entries, total, skipped, close: () => store.close() };
  }
  await store.close();
  // nothing under it: the location's last segment names one object of its parent
  const m = /^(.*[^/])\/([^/]+)$/.exec(location.replace(/\/+$/, ''));
  const parent = m && /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]+/.test(m[1]!) ? m[1]! : undefined;
  const ps = parent ? await openStore(parent).catch(() => undefined) : undefined;
  if (ps) {
    const info = await ps.stat(m![2]!, { signal }).catch(async (e) => {
      await ps.close();
      throw e;
    });
    if (info) return { kind: 'file', entries: [{ path: m![2]!, type: 'file', mode: 0o644, mtime: 0, size: info.size, read: () => readObject(ps, m![2]!, info.size, signal) }], total: info.size, skipped: [], close: () => ps.close() };
    await ps.close();
  }
  throw new PaniniError('NOT_FOUND', `${location}: no object there, and none under it`, { store: location });
}

async function listInput(path: string): Promise<Input> {
  const st = await fsp.stat(path).catch((e) => {
    throw ioError(e, 'read', path);
  });
  if (st.isFile()) {
    return { kind: 'file', entries: [{ path: basename(path), abs: path, type: 'file', mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs), size: st.size }], total: st.size, skipped: [] };
  }
  if (!st.isDirectory()) throw new PaniniError('IO', `${path} is neither a file nor a directory`, { path });
  const skipped: string[] = [];
  const list = await listTree(path, skipped);
  const entries = list.map((e) => ({ path: e.rel, abs: e.abs, type: e.type, mode: e.mode, mtime: e.mtime, size: e.type === 'file' ? e.size : 0, ...(e.target !== undefined ? { target: e.target } : {}) }));
  return { kind: 'tree', entries, total: list.reduce((s, e) => s + (e.type === 'file' ? e.size : 0), 0), skipped };
}

/**
 * Chunks `path` (a file or a directory) into `store`: each new chunk's bytes under chunks/ (chunks the store already
 * holds are not written again), then the recipe under recipes/<id>.json, last — a recipe names only stored chunks.
 */
export async function chunkInput(path: string, store: Store, options?: ChunkInputOptions): Promise<Recipe> {
  const o = resolveChunkInput(options);
  await init();
  const fromStore = isStoreInput(path);
  const source = fromStore ? path : resolve(path);
  const input = fromStore ? await listStoreInput(path, o.signal) : await listInput(source);
  try {
    return await chunkListed(source, input, store, o);
  } finally {
    await input.close?.();
  }
}

async function chunkListed(source: string, input: Input, store: Store, o: ReturnType<typeof resolveChunkInput>): Promise<Recipe> {
  // never read the store being written (a local store inside the tree)
  if (store.location.startsWith('local:')) {
    const own = resolve(store.location.slice('local:'.length));
    const inside = (abs: string) => abs === own || abs.startsWith(own + sep);
    const kept = input.entries.filter((e) => !(e.abs !== undefined && inside(e.abs)));
    if (kept.length !== input.entries.length) {
      input.skipped.push(`${own.slice(source.length + 1) || own} (the output store)`);
      input.entries = kept;
      input.total = kept.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0);
    }
  }
  const co = resolveCompressOptions({ codec: 'dhatu', level: o.level, strategy: o.strategy, blockSize: o.blockSize });
  const asm = makeBlockAssembler(co);
  const id = o.id ?? newRecipeId();
  const chunks: RecipeChunk[] = [];
  const first = new Map<string, number>();
  const whole = createSha256();
  let wholeCrc = 0;
  let streamPos = 0; // bytes pushed
  let emitted = 0; // bytes in emitted chunks
  // format of the file each stream range starts with: [offset, format] in increasing offset order
  const formats: [number, string][] = [];
  const formatAt = (offset: number): string => {
    let f = 'binary';
    for (let i = formats.length - 1; i >= 0; i--) {
      if (formats[i]![0] <= offset) {
        f = formats[i]![1];
        break;
      }
    }
    while (formats.length > 1 && formats[1]![0] <= offset) formats.shift();
    return f;
  };
  const emit = async (cs: Uint8Array[]): Promise<void> => {
    for (const c of cs) {
      if (c.length === 0) continue;
      throwIfAborted(o.signal);
      const digest = hex(sha256(c));
      const dup = first.get(digest);
      const chunk: RecipeChunk = {
        index: chunks.length,
        offset: emitted,
        size: c.length,
        sha256: digest,
        crc32: crc32(c),
        format: formatAt(emitted),
        pattern: dup === undefined ? patternOf(c) : 'duplicate',
        dependencies: dup === undefined ? [] : [dup],
      };
      if (dup === undefined) {
        first.set(digest, chunk.index);
        const key = chunkKey(digest);
        if ((await store.stat(key, { signal: o.signal }))?.size !== c.length) await store.put(key, c, { signal: o.signal });
      }
      chunks.push(chunk);
      emitted += c.length;
      o.onProgress?.({ bytes: emitted, total: input.total, chunks: chunks.length });
    }
  };
  const entries: RecipeEntry[] = [];
  const big = co.strategy === 'fixed' ? co.chunkSize : co.avgSize;
  for (const e of input.entries) {
    const { abs, read, ...entry } = e;
    if (e.type !== 'file') {
      entries.push(entry);
      continue;
    }
    // a file of a block or more gets blocks of its own (identical big files dedup as whole chunks); a smaller one
    // restarts the piece chunker only and shares its block with its neighbours (small files code better together)
    const boundary = () => (e.size >= o.blockSize ? asm.end() : e.size >= big ? asm.cut() : []);
    await emit(boundary());
    const h = createSha256();
    const offset = streamPos;
    let size = 0;
    let head = true;
    for await (const piece of read ? read() : readPieces(abs!, o.signal, e.size)) {
      if (head) {
        formats.push([offset, detect(piece.subarray(0, HEAD_LIMIT), e.size).format]);
        head = false;
      }
      h.update(piece);
      whole.update(piece);
      wholeCrc = crc32(piece, wholeCrc);
      size += piece.length;
      streamPos += piece.length;
      await emit(asm.push(piece));
    }
    await emit(boundary());
    // a file that changed size while it was read is recorded as read: the recipe matches the chunks
    entries.push({ ...entry, size, offset, sha256: hex(h.digest()) });
  }
  await emit(asm.flush());
  if (emitted !== streamPos) throw new PaniniError('STATE', `chunking ${source}: ${emitted} bytes cut of ${streamPos} read`, { path: source });
  const recipe: Recipe = {
    format: RECIPE_FORMAT,
    version: RECIPE_VERSION,
    id,
    createdAt: Date.now(),
    source,
    kind: input.kind,
    strategy: o.strategy,
    blockSize: o.blockSize,
    codec: { codec: 'dhatu', level: o.level },
    size: streamPos,
    sha256: hex(whole.digest()),
    crc32: wholeCrc >>> 0,
    chunks,
    entries,
    skipped: input.skipped,
  };
  await store.put(recipeKey(id), encodeRecipe(recipe), { signal: o.signal });
  return recipe;
}
