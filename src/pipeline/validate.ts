/**
 * Reconstruction from stored results alone: every chunk's container is decoded (which checks its own CRC32s and
 * SHA-256s), compared with the recipe's SHA-256 and CRC32 for the chunk, cut into the files the recipe names, and each
 * file's SHA-256 and the whole stream's are checked. `validatePipeline` also compares every byte with the original
 * input and reports the first difference; `reconstruct` writes the files out.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PaniniError } from '../errors.js';
import { crc32 } from '../hash/crc32.js';
import { createSha256, type Hasher } from '../hash/sha256.js';
import { decompress, inspect } from '../container/api.js';
import { checkPath } from '../container/manifest.js';
import { hex } from '../container/format.js';
import { throwIfAborted } from '../container/options.js';
import type { Store } from '../store/types.js';
import { init } from '../wasm/core.js';
import { ioError } from '../node/io.js';
import { listTree } from '../node/container.js';
import { dhatuBytes, parseRecipe, type Recipe, type RecipeChunk, type RecipeEntry, recipeKey, resultKey } from './recipe.js';

export async function readRecipe(store: Store, id: string, signal?: AbortSignal): Promise<Recipe> {
  const key = recipeKey(id);
  return parseRecipe(await store.get(key, { signal }), `${store.location}/${key}`);
}

/** Recipe ids in a store, oldest first (ids sort by creation time). */
export async function listRecipes(store: Store, signal?: AbortSignal): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of store.list('recipes/', { signal })) {
    const m = /^recipes\/([a-z0-9-]+)\.json$/.exec(o.key);
    if (m) ids.push(m[1]!);
  }
  return ids;
}

/** The stored result of one recipe chunk; a missing one is NOT_FOUND naming the chunk ("not compressed yet"). */
export async function readResult(store: Store, recipe: Recipe, c: RecipeChunk, signal?: AbortSignal): Promise<Uint8Array> {
  const key = resultKey(c.sha256, recipe.codec.level);
  try {
    return await store.get(key, { signal });
  } catch (e) {
    if (e instanceof PaniniError && e.code === 'NOT_FOUND') throw new PaniniError('NOT_FOUND', `chunk ${c.index} (offset ${c.offset}): no stored result ${key} — not compressed yet`, { chunk: c.index, key, offset: c.offset });
    throw e;
  }
}

interface Segment {
  entry: RecipeEntry;
  /** offset in the file */
  at: number;
  bytes: Uint8Array;
}

/**
 * Decodes the recipe's chunks in order and hands out each file's bytes as segments, checking every chunk and, at the
 * end of each file, its SHA-256. Throws CHECKSUM / NOT_FOUND / FORMAT naming the chunk or file.
 */
async function replay(
  store: Store,
  recipe: Recipe,
  on: { segment(s: Segment): Promise<void>; fileDone?(e: RecipeEntry): Promise<void>; chunk?(size: number, stored: number, dhatu: { [p: string]: number }, first: boolean): void },
  signal?: AbortSignal,
): Promise<void> {
  await init();
  const files = recipe.entries.filter((e) => e.type === 'file');
  let fi = 0;
  let hasher: Hasher | undefined;
  const whole = createSha256();
  let wholeCrc = 0;
  const finishFiles = async (upTo: number): Promise<void> => {
    // files that end at or before stream offset upTo (empty files included) are complete
    while (fi < files.length && files[fi]!.offset! + files[fi]!.size <= upTo) {
      const f = files[fi]!;
      const got = hex((hasher ?? createSha256()).digest());
      hasher = undefined;
      if (got !== f.sha256) throw new PaniniError('CHECKSUM', `${f.path}: reconstructed SHA-256 ${got} differs from the recipe's ${f.sha256}`, { path: f.path });
      await on.fileDone?.(f);
      fi++;
    }
  };
  const seen = new Set<string>();
  await finishFiles(0);
  for (const c of recipe.chunks) {
    throwIfAborted(signal);
    const key = resultKey(c.sha256, recipe.codec.level);
    const container = await readResult(store, recipe, c, signal);
    let data: Uint8Array;
    try {
      data = await decompress(container, { maxOutputSize: c.size });
    } catch (e) {
      if (e instanceof PaniniError) throw new PaniniError(e.code, `chunk ${c.index} (${key}): ${e.message}`, { chunk: c.index, key, offset: c.offset }, { cause: e });
      throw e;
    }
    const got = hex(createSha256().update(data).digest());
    if (data.length !== c.size || got !== c.sha256 || crc32(data) >>> 0 !== c.crc32) {
      throw new PaniniError('CHECKSUM', `chunk ${c.index} (offset ${c.offset}): its result decodes to ${data.length} bytes with SHA-256 ${got}, the recipe has ${c.size} bytes, ${c.sha256}`, { chunk: c.index, offset: c.offset });
    }
    const first = !seen.has(c.sha256);
    seen.add(c.sha256);
    if (on.chunk) on.chunk(c.size, container.length, first ? dhatuBytes((await inspect(container)).dhatu) : {}, first);
    whole.update(data);
    wholeCrc = crc32(data, wholeCrc);
    // cut the chunk into the files it covers
    let pos = c.offset;
    const end = c.offset + c.size;
    while (pos < end) {
      await finishFiles(pos);
      const f = files[fi];
      if (!f || f.offset! > pos) throw new PaniniError('FORMAT', `stream offset ${pos} belongs to no file of the recipe`, { offset: pos });
      const stop = Math.min(end, f.offset! + f.size);
      const bytes = data.subarray(pos - c.offset, stop - c.offset);
      (hasher ??= createSha256()).update(bytes);
      await on.segment({ entry: f, at: pos - f.offset!, bytes });
      pos = stop;
    }
  }
  await finishFiles(recipe.size);
  if (fi !== files.length) throw new PaniniError('FORMAT', `the recipe's chunks end before file ${files[fi]!.path}`, { path: files[fi]!.path });
  const digest = hex(whole.digest());
  if (digest !== recipe.sha256 || wholeCrc >>> 0 !== recipe.crc32) throw new PaniniError('CHECKSUM', `the reconstructed stream's SHA-256 ${digest} differs from the recipe's ${recipe.sha256}`);
}

export interface PipelineValidation {
  ok: boolean;
  recipe: string;
  original: string;
  files: number;
  bytes: number;
  chunks: number;
  uniqueChunks: number;
  /** bytes of the stored results, each distinct chunk once */
  storedBytes: number;
  /** storedBytes / bytes */
  ratio: number;
  /** bytes each dhātu primitive handled, over the distinct chunks */
  dhatu: { [primitive: string]: number };
  sha256: string;
  /** what did not match, one line each (empty when ok) */
  problems: string[];
  firstDifference?: { path: string; offset: number };
}

/** Proves `original` (a file or a tree) bit-perfect from the results in `store` for recipe `id`. */
export async function validatePipeline(store: Store, id: string, original: string, options: { signal?: AbortSignal } = {}): Promise<PipelineValidation> {
  const recipe = await readRecipe(store, id, options.signal);
  const root = resolve(original);
  const report: PipelineValidation = {
    ok: false,
    recipe: id,
    original: root,
    files: recipe.entries.filter((e) => e.type === 'file').length,
    bytes: recipe.size,
    chunks: recipe.chunks.length,
    uniqueChunks: 0,
    storedBytes: 0,
    ratio: 0,
    dhatu: {},
    sha256: recipe.sha256,
    problems: [],
  };
  const st = await fsp.stat(root).catch((e) => {
    throw ioError(e, 'read', root);
  });
  const pathOf = (e: RecipeEntry) => (recipe.kind === 'file' ? root : join(root, e.path));
  if (recipe.kind === 'file' && !st.isFile()) report.problems.push(`${root} is not a file, the recipe holds one file`);
  if (recipe.kind === 'tree') {
    if (!st.isDirectory()) report.problems.push(`${root} is not a directory, the recipe holds a tree`);
    else {
      const skipped: string[] = [];
      const have = new Map((await listTree(root, skipped)).map((e) => [e.rel, e]));
      for (const e of recipe.entries) {
        const o = have.get(e.path);
        if (!o) report.problems.push(`${e.path}: in the recipe, missing from the original`);
        else if (o.type !== e.type) report.problems.push(`${e.path}: a ${e.type} in the recipe, a ${o.type} in the original`);
        else if (e.type === 'file' && o.size !== e.size) report.problems.push(`${e.path}: ${e.size} bytes in the recipe, ${o.size} in the original`);
        else if (e.type === 'symlink' && o.target !== e.target) report.problems.push(`${e.path}: link target differs`);
        have.delete(e.path);
      }
      for (const p of have.keys()) report.problems.push(`${p}: in the original, not in the recipe`);
    }
  }
  const open = new Map<string, fsp.FileHandle>();
  try {
    await replay(
      store,
      recipe,
      {
        async segment(s) {
          if (report.firstDifference) return;
          let fh = open.get(s.entry.path);
          if (!fh) {
            for (const [p, h] of open) {
              await h.close();
              open.delete(p);
            }
            fh = await fsp.open(pathOf(s.entry), 'r').catch((e) => {
              throw ioError(e, 'read', pathOf(s.entry));
            });
            open.set(s.entry.path, fh);
          }
          const buf = new Uint8Array(s.bytes.length);
          const r = await fh.read(buf, 0, buf.length, s.at);
          for (let i = 0; i < s.bytes.length; i++) {
            if (i >= r.bytesRead || buf[i] !== s.bytes[i]) {
              report.firstDifference = { path: s.entry.path, offset: s.at + i };
              report.problems.push(`${s.entry.path}: first difference at byte ${s.at + i}`);
              return;
            }
          }
        },
        chunk(size, stored, dhatu, first) {
          if (!first) return;
          report.uniqueChunks++;
          report.storedBytes += stored;
          for (const [k, v] of Object.entries(dhatu)) report.dhatu[k] = (report.dhatu[k] ?? 0) + v;
        },
      },
      options.signal,
    );
  } catch (e) {
    if (!(e instanceof PaniniError) || e.code === 'ABORTED' || e.code === 'IO') throw e;
    report.problems.push(e.message);
  } finally {
    for (const h of open.values()) await h.close();
  }
  report.ratio = report.bytes ? report.storedBytes / report.bytes : 0;
  report.ok = report.problems.length === 0;
  return report;
}

/** Writes the recipe's files (and directories, links) under `out` from the stored results; paths checked first. */
export async function reconstruct(store: Store, id: string, out: string, options: { signal?: AbortSignal } = {}): Promise<{ files: number; bytes: number }> {
  const recipe = await readRecipe(store, id, options.signal);
  const root = resolve(out);
  for (const e of recipe.entries) checkPath(e.path, 'recipe path');
  const target = (e: RecipeEntry) => (recipe.kind === 'file' ? root : join(root, e.path));
  if (recipe.kind === 'tree') await fsp.mkdir(root, { recursive: true });
  for (const e of recipe.entries) if (e.type === 'dir') await fsp.mkdir(target(e), { recursive: true });
  let current: { path: string; fh: fsp.FileHandle } | undefined;
  const openFile = async (e: RecipeEntry) => {
    const p = target(e);
    await fsp.mkdir(dirname(p), { recursive: true });
    return fsp.open(p, 'wx', e.mode & 0o777).catch((err) => {
      throw ioError(err, 'create', p);
    });
  };
  let bytes = 0;
  try {
    await replay(
      store,
      recipe,
      {
        async segment(s) {
          if (current?.path !== s.entry.path) {
            await current?.fh.close();
            current = { path: s.entry.path, fh: await openFile(s.entry) };
          }
          await current.fh.write(s.bytes);
          bytes += s.bytes.length;
        },
        async fileDone(e) {
          if (current?.path === e.path) {
            await current.fh.close();
            current = undefined;
          } else await (await openFile(e)).close(); // empty file
          await fsp.utimes(target(e), e.mtime / 1000, e.mtime / 1000);
        },
      },
      options.signal,
    );
  } finally {
    await current?.fh.close();
  }
  for (const e of recipe.entries) if (e.type === 'symlink') await fsp.symlink(e.target!, target(e));
  return { files: recipe.entries.filter((e) => e.type === 'file').length, bytes };
}
