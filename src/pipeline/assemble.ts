/**
 * One `.pnz` container from a pipeline's stored results, without coding anything again: the records of each chunk's
 * result are copied in recipe order (their REF targets moved by the records before them), a chunk seen earlier becomes
 * REF records to its first copy while that copy is still in the dedup window, and the recipe's entries become the
 * container's manifest. COMM copies are distances back from the record (DHATU-COMM.md), so they stay valid wherever
 * the chunk lands. The result is what `panini-fs compress` of the same input would be had it cut the same chunks:
 * `decompress`, `verify`, `extract` and any second implementation of FORMAT.md read it.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PaniniError } from '../errors.js';
import { crc32 } from '../hash/crc32.js';
import {
  END_SIZE,
  FOOTER_SIZE,
  HEADER_SIZE,
  KIND_DATA,
  KIND_END,
  KIND_REF,
  RECORD_HEADER_SIZE,
  VERSION,
  readFooter,
  readFrame,
  readHeader,
  writeEnd,
  writeFooter,
  writeHeader,
  writeIndex,
  writeRecordHeader,
} from '../container/format.js';
import { encodeManifest, type ManifestEntry } from '../container/manifest.js';
import { hex } from '../container/format.js';
import { throwIfAborted } from '../container/options.js';
import type { Store } from '../store/types.js';
import { init } from '../wasm/core.js';
import { ioError } from '../node/io.js';
import { verifyFile } from '../node/container.js';
import { resultKey, type Recipe, type RecipeChunk } from './recipe.js';
import { readRecipe, readResult } from './validate.js';

export interface AssembleOptions {
  /** decode the written container once more, end to end, before it takes its name (default true) */
  verify?: boolean;
  /** replace an existing file at `out` (default false: EXISTS) */
  force?: boolean;
  signal?: AbortSignal;
}

export interface AssembleResult {
  recipe: string;
  /** the container's absolute path */
  output: string;
  /** input bytes it holds, files in its manifest */
  bytes: number;
  files: number;
  /** its size on disk */
  containerBytes: number;
  records: number;
  /** recipe chunks, those written as REF records to an earlier copy, those copied again (out of the window) */
  chunks: number;
  refChunks: number;
  recopied: number;
  sha256: string;
  verified: boolean;
}

interface Parsed {
  window: number;
  /** each record's header bytes (REF targets local to the chunk) and payload, in order */
  records: { kind: number; header: Uint8Array; payload: Uint8Array; originalLength: number; target: number; sha256: Uint8Array }[];
}

/** Checks a result container's framing (CRCs of headers and payloads, END, footer) and returns its records. */
function parseResult(b: Uint8Array, c: RecipeChunk, key: string): Parsed {
  const bad = (msg: string) => new PaniniError('FORMAT', `chunk ${c.index} (${key}): ${msg}`, { chunk: c.index, key });
  if (b.length < HEADER_SIZE + END_SIZE + FOOTER_SIZE) throw bad(`${b.length} bytes is too short for a container`);
  const header = readHeader(b.subarray(0, HEADER_SIZE));
  const footer = readFooter(b.subarray(b.length - FOOTER_SIZE), b.length);
  const records: Parsed['records'] = [];
  let at = HEADER_SIZE;
  let total = 0;
  for (;;) {
    if (at + RECORD_HEADER_SIZE > b.length - FOOTER_SIZE) throw bad(`record ${records.length} at byte ${at} runs past the footer`);
    const h = b.subarray(at, at + RECORD_HEADER_SIZE);
    const f = readFrame(h, at, records.length);
    if (f.kind === KIND_END) {
      if (at !== footer.endOffset || f.recordCount !== records.length || f.manifestLength !== 0) throw bad('its END frame does not match its records and footer (a result holds no manifest)');
      if (hex(f.sha256) !== c.sha256 || total !== c.size || footer.totalSize !== c.size) throw bad(`it holds ${total} bytes with SHA-256 ${hex(f.sha256)}, the recipe's chunk is ${c.size} bytes, ${c.sha256}`);
      break;
    }
    const payload = b.subarray(at + RECORD_HEADER_SIZE, at + RECORD_HEADER_SIZE + f.storedLength);
    if (payload.length !== f.storedLength) throw bad(`record ${records.length} at byte ${at} is truncated`);
    if (f.kind === KIND_DATA && (crc32(payload) >>> 0) !== f.payloadCrc) throw new PaniniError('CHECKSUM', `chunk ${c.index} (${key}): record ${records.length} payload CRC32 mismatch`, { chunk: c.index, key });
    if (f.kind === KIND_REF && records[f.target]?.kind !== KIND_DATA) throw bad(`REF record ${records.length} does not point at a DATA record`);
    records.push({ kind: f.kind, header: h, payload, originalLength: f.originalLength, target: f.target, sha256: f.sha256 });
    total += f.originalLength;
    at += RECORD_HEADER_SIZE + f.storedLength;
  }
  return { window: header.window, records };
}

function manifestOf(recipe: Recipe): ManifestEntry[] {
  return recipe.entries.map((e) => {
    const m: ManifestEntry = { path: e.path, type: e.type, mode: e.mode & 0o7777, mtime: Math.trunc(e.mtime), size: e.type === 'file' ? e.size : 0 };
    if (e.type === 'file') m.sha256 = Uint8Array.from(Buffer.from(e.sha256!, 'hex'));
    if (e.type === 'symlink') m.target = e.target!;
    return m;
  });
}

/**
 * Writes `out`, a container of recipe `id`'s input, from the results in `store`. Every result is checked (framing,
 * CRCs, size and SHA-256 against the recipe) as it is copied; with `verify` (the default) the written container is
 * decoded end to end, files and all, before it is renamed into place. A missing result is NOT_FOUND naming the chunk.
 */
export async function assembleContainer(store: Store, id: string, out: string, options: AssembleOptions = {}): Promise<AssembleResult> {
  const { signal } = options;
  const verify = options.verify ?? true;
  await init();
  const recipe = await readRecipe(store, id, signal);
  const target = resolve(out);
  if (!options.force && (await fsp.stat(target).then(() => true, () => false))) throw new PaniniError('EXISTS', `${target} exists (use force to replace it)`, { path: target });
  await fsp.mkdir(dirname(target), { recursive: true }).catch((e) => {
    throw ioError(e, 'create', dirname(target));
  });
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'wx').catch((e) => {
    throw ioError(e, 'create', tmp);
  });
  let pos = 0;
  const write = async (b: Uint8Array, at = pos): Promise<void> => {
    await fh.write(b, 0, b.length, at).catch((e) => {
      throw ioError(e, 'write', tmp);
    });
    if (at === pos) pos += b.length;
  };
  let done = false;
  try {
    await write(new Uint8Array(HEADER_SIZE)); // the header goes in last: its window is known at the end
    const frameOffsets: number[] = [];
    const originalOffsets: number[] = [];
    let outPos = 0;
    let window = -1;
    // the dedup window's FIFO of DATA records (FORMAT.md "Dedup window"), simulated as the decoder will run it
    const fifo: { index: number; length: number }[] = [];
    let head = 0;
    let inFifo = 0;
    const live = new Set<number>();
    const firstCopy = new Map<string, { index: number; length: number; sha256: Uint8Array }[]>(); // chunk → its DATA-resolved records
    let refChunks = 0;
    let recopied = 0;
    const emit = async (header: Uint8Array, payload: Uint8Array | undefined, length: number, isData: boolean): Promise<number> => {
      const index = frameOffsets.length;
      frameOffsets.push(pos);
      originalOffsets.push(outPos);
      await write(header);
      if (payload && payload.length) await write(payload);
      outPos += length;
      if (isData) {
        fifo.push({ index, length });
        live.add(index);
        inFifo += length;
        while (window !== 0 && inFifo > window && head < fifo.length) {
          const gone = fifo[head++]!;
          live.delete(gone.index);
          inFifo -= gone.length;
        }
      }
      return index;
    };
    for (const c of recipe.chunks) {
      throwIfAborted(signal);
      const prior = firstCopy.get(c.sha256);
      if (prior && prior.every((r) => live.has(r.index))) {
        for (const r of prior) await emit(writeRecordHeader({ kind: KIND_REF, codec: 0, params: 0, storedLength: 0, originalLength: r.length, target: r.index, sha256: r.sha256, payloadCrc: 0 }), undefined, r.length, false);
        refChunks++;
        continue;
      }
      if (prior) recopied++;
      const r = parseResult(await readResult(store, recipe, c, signal), c, resultKey(c.sha256, recipe.codec.level));
      // the window: each result's own (the level's); a larger one only allows more, and 0 (unlimited) allows all
      if (window === -1) window = r.window;
      else if (r.window !== window) window = window === 0 || r.window === 0 ? 0 : Math.max(window, r.window);
      const base = frameOffsets.length;
      const resolved: { index: number; length: number; sha256: Uint8Array }[] = [];
      for (const rec of r.records) {
        if (rec.kind === KIND_DATA) {
          resolved.push({ index: await emit(rec.header, rec.payload, rec.originalLength, true), length: rec.originalLength, sha256: rec.sha256 });
        } else {
          const t = base + rec.target;
          await emit(writeRecordHeader({ kind: KIND_REF, codec: 0, params: 0, storedLength: 0, originalLength: rec.originalLength, target: t, sha256: rec.sha256, payloadCrc: 0 }), undefined, rec.originalLength, false);
          resolved.push({ index: t, length: rec.originalLength, sha256: rec.sha256 });
        }
      }
      firstCopy.set(c.sha256, resolved);
    }
    if (outPos !== recipe.size) throw new PaniniError('FORMAT', `the results hold ${outPos} bytes, the recipe ${recipe.size}`);
    if (window === -1) window = 0;
    const manifest = encodeManifest({ version: 1, root: recipe.kind, entries: manifestOf(recipe) });
    const endOffset = pos;
    const sha256 = Uint8Array.from(Buffer.from(recipe.sha256, 'hex'));
    await write(writeEnd({ manifestLength: manifest.length, recordCount: frameOffsets.length, sha256, manifestCrc: manifest.length ? crc32(manifest) >>> 0 : 0 }));
    await write(manifest);
    const index = writeIndex({ frameOffsets, originalOffsets });
    await write(index);
    await write(writeFooter({ endOffset, totalSize: outPos, recordCount: frameOffsets.length, indexCrc: index.length ? crc32(index) >>> 0 : 0 }));
    await write(writeHeader({ version: VERSION, flags: 0, window }), 0);
    await fh.sync().catch((e) => {
      throw ioError(e, 'write', tmp);
    });
    await fh.close();
    let verified = false;
    if (verify) {
      const v = await verifyFile(tmp, { signal });
      if (!v.ok) throw new PaniniError(v.error?.code ?? 'FORMAT', `the assembled container does not verify: ${v.error?.message ?? 'unknown error'}`, { path: target });
      verified = true;
    }
    await fsp.rename(tmp, target).catch((e) => {
      throw ioError(e, 'write', target);
    });
    done = true;
    return {
      recipe: id,
      output: target,
      bytes: recipe.size,
      files: recipe.entries.filter((e) => e.type === 'file').length,
      containerBytes: pos,
      records: frameOffsets.length,
      chunks: recipe.chunks.length,
      refChunks,
      recopied,
      sha256: recipe.sha256,
      verified,
    };
  } finally {
    if (!done) {
      await fh.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
