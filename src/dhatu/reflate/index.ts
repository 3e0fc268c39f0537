// REFLATE (stage id 64, dhātu REFLATE): bit-exact recompression of deflate streams made by zlib (docs/REFLATE.md).
//
// Forward: find the deflate streams in a record (ZIP/JAR/DOCX entries through the central directory, gzip members,
// the PNG zlib stream across its IDAT chunks, PDF FlateDecode streams, a bare zlib stream; nested containers inside
// them), inflate each, find the zlib parameters that re-create its exact bytes (or, through the optional `foreign`
// hook, correction data for other encoders), and emit ONE stream: the record with every reproduced stream replaced by
// its raw data. The params (recipe.ts) say where the streams were and how to re-deflate them. Streams that cannot be
// reproduced, or exceed the size cap / time budget, stay as they are.
//
// Inverse: re-deflate with pako (pure JS: Node and browsers) and rebuild the record: zlib headers and Adler-32
// trailers, PNG IDAT framing and CRCs, all validated and bounded by the declared sizes (≤ ctx.maxBytes).
import { concatBytes, equalBytes } from '../../bytes.js';
import { PaniniError } from '../../errors.js';
import { gzipHeaderLength, isGzipAt } from '../../deflate/gzip.js';
import { isPdf, isZlibHeader, pdfZlibStreams } from '../../deflate/pdf.js';
import { isPng, pngIdat } from '../../deflate/png.js';
import { isZip, zipEntries, findEocd } from '../../deflate/zip.js';
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import {
  MAX_NEST,
  WRAP_PNG,
  WRAP_RAW,
  WRAP_ZLIB,
  readRecipe,
  uniformChunks,
  writeRecipe,
  type RecipeItem,
  type RecipeRegion,
} from './recipe.js';
import { reconstructForeign } from './foreign.js';
import { adler32, crc32Of, deflateTo, inflateRawAt, matchDeflate, paramsLabel, type ZParams } from '../../deflate/zlib.js';

export { type ZParams } from '../../deflate/zlib.js';

export const REFLATE_STAGE_ID = 64;

/** The correction-data codec for streams no zlib parameters reproduce (src/dhatu/reflate/foreign.ts). */
export interface ForeignCodec {
  analyzeForeign(deflate: Uint8Array, raw: Uint8Array, opts: { budgetMs: number }): Uint8Array | null;
  reconstructForeign(raw: Uint8Array, corrections: Uint8Array, expectedLength: number): Uint8Array;
}

let foreignDecoder: ForeignCodec['reconstructForeign'] | null = reconstructForeign;

/**
 * Replaces the decoder of foreign streams used by the stage's inverse (default: preflate's reconstructForeign; tests
 * install others). With null, a recipe holding a foreign stream decodes to PaniniError UNSUPPORTED.
 */
export function setForeignReconstructor(fn: ForeignCodec['reconstructForeign'] | null): void {
  foreignDecoder = fn;
}

export interface ReflateOptions {
  /** wall-clock budget for the whole forward pass in ms (default 30000); streams left when it runs out are kept */
  budgetMs?: number;
  /** largest raw (inflated) size of one stream, and of all of them together × 4 (default 64 MiB) */
  maxStreamBytes?: number;
  /** correction codec for streams made by other encoders */
  foreign?: ForeignCodec;
  /** nested containers: how deep to look (0 = none; default 2, at most 4) */
  maxDepth?: number;
  /** parameter sets tried per stream at most (default 40) */
  maxTries?: number;
  /**
   * input bytes the parameter search may deflate for the whole record (default 8 × record length + 128 MiB; then only
   * the last working set and two more are tried per stream). Deterministic, unlike budgetMs.
   */
  maxSearchBytes?: number;
}

export type StreamKind = 'zip' | 'gzip' | 'png' | 'pdf' | 'zlib';

export interface StreamReport {
  /** offset of the compressed stream in the record (for nested streams: in the enclosing raw data) */
  offset: number;
  kind: StreamKind;
  /** nesting depth: 0 = in the record itself */
  depth: number;
  /** entry name (zip) */
  name?: string;
  /** compressed bytes (deflate stream; for PNG the IDAT chunks with their framing) */
  size: number;
  /** raw (inflated) bytes, -1 when it could not be inflated */
  rawSize: number;
  method: 'zlib' | 'foreign' | 'kept';
  /** for 'zlib': the params; for 'foreign': the correction bytes */
  params?: string;
  /** why it was kept */
  reason?: string;
  /** parameter sets tried */
  tries: number;
}

export interface ReflateReport {
  streams: StreamReport[];
  found: number;
  reproduced: number;
  foreign: number;
  kept: number;
  /** raw bytes that replaced compressed ones (reproduced + foreign, top level) */
  rawBytes: number;
  /** compressed bytes replaced (top level, with their wrappers) */
  replacedBytes: number;
  inputBytes: number;
  outputBytes: number;
  paramsBytes: number;
  ms: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Sniffing and discovery

/** Cheap sniff: whether the record looks like a container REFLATE handles (ZIP, gzip, PNG, PDF, zlib). */
export function hasDeflateStreams(record: Uint8Array): boolean {
  if (record.length < 8) return false;
  if (isZip(record) || isGzipAt(record, 0) || isPng(record) || isPdf(record)) return true;
  if (isZlibHeader(record, 0)) return true;
  // an archive with a prefix (self-extractor) or trailing ZIP (e.g. a JAR appended to a script)
  return record.length <= (1 << 30) && findEocd(record) >= 0;
}

interface Cand {
  kind: StreamKind;
  wrap: number;
  /** start of the bytes the item replaces */
  offset: number;
  /** where the deflate stream starts */
  deflateOffset: number;
  /** known deflate length, -1 to find by inflating */
  deflateLen: number;
  /** declared raw size or -1 */
  rawHint: number;
  /** nesting depth (stored containers inside containers count) */
  depth: number;
  name?: string;
  /** PNG: IDAT chunk data offsets and lengths */
  png?: { end: number; chunks: { dataOffset: number; length: number }[]; zlibLength: number };
}

function findCands(data: Uint8Array, depth: number, maxDepth: number, out: Cand[], base: number): void {
  if (isZip(data) || (data.length > 22 && findEocd(data) >= 0)) {
    for (const e of zipEntries(data)) {
      if (e.method === 8) {
        out.push({ kind: 'zip', wrap: WRAP_RAW, offset: base + e.dataOffset, deflateOffset: base + e.dataOffset, deflateLen: e.compSize, rawHint: e.rawSize, depth, name: e.name });
      } else if (e.method === 0 && e.compSize > 0 && depth < maxDepth) {
        // a stored entry that is itself a container: its streams are streams of this record
        const inner = data.subarray(e.dataOffset, e.dataOffset + e.compSize);
        if (isZip(inner) || isGzipAt(inner, 0) || isPng(inner)) findCands(inner, depth + 1, maxDepth, out, base + e.dataOffset);
      }
    }
    return;
  }
  if (isGzipAt(data, 0)) {
    const h = gzipHeaderLength(data, 0);
    if (h > 0) out.push({ kind: 'gzip', wrap: WRAP_RAW, offset: base + h, deflateOffset: base + h, deflateLen: -1, rawHint: -1, depth });
    return;
  }
  if (isPng(data)) {
    const idat = pngIdat(data);
    if (idat && idat.crcOk && idat.zlibLength >= 8) {
      out.push({
        kind: 'png', wrap: WRAP_PNG, offset: base + idat.start, deflateOffset: -1, deflateLen: -1, rawHint: -1, depth,
        png: { end: base + idat.end, chunks: idat.chunks.map((c) => ({ dataOffset: base + c.dataOffset, length: c.length })), zlibLength: idat.zlibLength },
      });
    }
    return;
  }
  if (isPdf(data)) {
    for (const p of pdfZlibStreams(data)) out.push({ kind: 'pdf', wrap: WRAP_ZLIB, offset: base + p, deflateOffset: base + p + 2, deflateLen: -1, rawHint: -1, depth });
    return;
  }
  if (isZlibHeader(data, 0)) out.push({ kind: 'zlib', wrap: WRAP_ZLIB, offset: base, deflateOffset: base + 2, deflateLen: -1, rawHint: -1, depth });
}

// ---------------------------------------------------------------------------------------------------------------
// Parameter search

const LEVEL_ORDER = [6, 9, 1, 5, 4, 7, 8, 2, 3];

/** zlib header FLEVEL → the levels zlib would have written it for (strategy default/filtered/fixed). */
function levelsFor(flevel: number): number[] {
  return flevel === 0 ? [1] : flevel === 1 ? [5, 4, 2, 3] : flevel === 2 ? [6] : flevel === 3 ? [9, 7, 8] : LEVEL_ORDER;
}

/**
 * Candidate parameter sets, most likely first. `zhdr` (zlib/PNG) gives the level class and window; `prev` is the
 * last set that worked in this record. Raw streams shorter than a window make every larger window equivalent, so
 * smaller windows are only tried for longer streams.
 */
function candidates(rawLen: number, zhdr: number, prev: ZParams | null, max: number): ZParams[] {
  const out: ZParams[] = [];
  const seen = new Set<number>();
  const add = (level: number, memLevel: number, windowBits: number, strategy: number, hash: number): void => {
    const code = level | (memLevel << 4) | ((windowBits - 8) << 8) | (strategy << 11) | (hash << 14);
    if (out.length >= max || seen.has(code)) return;
    seen.add(code);
    out.push({ level, memLevel, windowBits, strategy, hash });
  };
  if (prev) add(prev.level, prev.memLevel, prev.windowBits, prev.strategy, prev.hash);
  const flevel = zhdr ? (zhdr >> 6) & 3 : -1;
  const hinted = flevel >= 0 ? levelsFor(flevel) : LEVEL_ORDER;
  const rest = LEVEL_ORDER.filter((l) => !hinted.includes(l));
  const wins: number[] = [15];
  if (zhdr) {
    const wb = (zhdr >> 12) + 8;
    if (wb >= 9 && wb < 15) wins.unshift(wb);
  }
  for (let wb = 14; wb >= 9; wb--) if (rawLen > (1 << wb) - 262 && !wins.includes(wb)) wins.push(wb);
  const w0 = wins[0]!;
  // 1. classic zlib, default memLevel and strategy, the hinted levels, then the Chromium hash (node:zlib)
  for (const l of hinted) add(l, 8, w0, 0, 0);
  if (flevel === 0) for (const s of [3, 2]) add(6, 8, w0, s, 0); // rle / huffman-only write FLEVEL 0
  add(9, 9, w0, 0, 0); // GNU gzip -9 and Info-ZIP zip -9 coincide with zlib level 9, memLevel 9
  for (const l of hinted) add(l, 8, w0, 0, 1);
  // 2. libpng and friends: filtered strategy (levels 4–9 only: below, it equals default), memLevel 9
  for (const l of hinted) if (l >= 4) add(l, 8, w0, 1, 0);
  for (const l of hinted) add(l, 9, w0, 0, 0);
  for (const l of hinted) if (l >= 4) add(l, 9, w0, 1, 0);
  // 3. other windows
  for (const wb of wins.slice(1)) for (const l of hinted) add(l, 8, wb, 0, 0);
  // 4. unhinted levels (a header written by another tool than the deflater)
  for (const l of rest) add(l, 8, w0, 0, 0);
  for (const l of rest) add(l, 8, w0, 0, 1);
  // 5. other memLevels, rle / huffman / fixed
  for (const m of [7, 6, 5, 4, 3, 2, 1]) for (const l of hinted) add(l, m, w0, 0, 0);
  for (const s of [3, 2]) for (const m of [8, 9, 1]) add(6, m, w0, s, 0);
  for (const l of hinted) add(l, 8, w0, 4, 0);
  for (const l of [9, 6, 1]) add(l, 9, w0, 0, 1);
  add(0, 8, w0, 0, 0);
  // 6. everything else (reached only with a large maxTries), skipping sets that cannot differ from one already listed:
  // filtered = default below level 4, huffman-only and rle ignore the level, windows above the data are equivalent
  for (const hash of [0, 1]) for (const wb of wins) for (const m of [8, 9, 7, 6, 5, 4, 3, 2, 1]) for (const st of [0, 1, 4, 3, 2]) {
    for (const l of st >= 2 && st <= 3 ? [6] : [...hinted, ...rest]) if (!(st === 1 && l < 4)) add(l, m, wb, st, hash);
  }
  return out;
}

interface SearchState {
  prev: ZParams | null;
  /** consecutive streams no zlib params reproduced (a foreign archive: stop searching wide) */
  misses: number;
  work: { bytes: number };
  workCap: number;
}

function search(raw: Uint8Array, comp: Uint8Array, zhdr: number, st: SearchState, maxTries: number, deadline: number): { params: ZParams | null; tries: number } {
  const wide = st.misses < 8 && st.work.bytes < st.workCap;
  const cands = candidates(raw.length, zhdr, st.prev, wide ? maxTries : 3);
  let tries = 0;
  for (const p of cands) {
    if (tries > 0 && performanceNow() > deadline) break;
    tries++;
    if (matchDeflate(raw, p, comp, st.work) === comp.length) {
      st.prev = p;
      st.misses = 0;
      return { params: p, tries };
    }
  }
  st.misses++;
  return { params: null, tries };
}

function performanceNow(): number {
  return typeof performance !== 'undefined' ? performance.now() : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Forward

interface Built {
  region: RecipeRegion;
  /** expanded bytes: the region's content with raw data in place of the reproduced streams */
  parts: Uint8Array[];
  expandedLength: number;
}

interface FwdCtx {
  opts: Required<Omit<ReflateOptions, 'foreign'>> & { foreign: ForeignCodec | undefined };
  st: SearchState;
  deadline: number;
  reports: StreamReport[];
  /** raw bytes so far (all depths): bounded by 4 × maxStreamBytes */
  rawTotal: number;
  /** every replaced stream's raw and compressed bytes, in the order the inverse re-deflates them (post-order) */
  proofs: { raw: Uint8Array; comp: Uint8Array }[];
}

function u32be(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

function mimeOf(raw: Uint8Array): boolean {
  return isZip(raw) || isGzipAt(raw, 0) || isPng(raw) || isPdf(raw);
}

/** Builds the recipe region and the expanded bytes for `data` (a record, or a stream's raw data when nested). */
function build(data: Uint8Array, depth: number, fc: FwdCtx): Built {
  const cands: Cand[] = [];
  try {
    findCands(data, depth, fc.opts.maxDepth, cands, 0);
  } catch {
    /* a parser bug on hostile input must not fail the forward pass: find nothing */
  }
  cands.sort((a, b) => a.offset - b.offset);
  const items: RecipeItem[] = [];
  const parts: Uint8Array[] = [];
  let expanded = 0;
  let pos = 0; // end of the last replaced range in data
  for (let ci = 0; ci < cands.length; ci++) {
    const c = cands[ci]!;
    if (c.offset < pos) continue;
    const rep: StreamReport = { offset: c.offset, kind: c.kind, depth: c.depth, size: c.deflateLen, rawSize: -1, method: 'kept', tries: 0 };
    if (c.name !== undefined) rep.name = c.name;
    fc.reports.push(rep);
    const done = process(data, c, c.depth, fc, rep);
    if (c.kind === 'gzip') {
      // the next member, if any, starts after this one's deflate stream and 8-byte trailer
      const end = done ? done.deflateEnd : -1;
      if (end > 0 && isGzipAt(data, end + 8)) {
        const h = gzipHeaderLength(data, end + 8);
        if (h > 0) cands.splice(ci + 1, 0, { kind: 'gzip', wrap: WRAP_RAW, offset: end + 8 + h, deflateOffset: end + 8 + h, deflateLen: -1, rawHint: -1, depth });
      }
    }
    if (!done || !done.item) continue;
    const gap = c.offset - pos;
    done.item.gap = gap;
    items.push(done.item);
    if (gap > 0) parts.push(data.subarray(pos, c.offset));
    for (const p of done.parts) parts.push(p);
    expanded += gap + done.expandedLength;
    pos = done.end;
  }
  const tail = data.length - pos;
  if (tail > 0) parts.push(data.subarray(pos));
  return { region: { items, tail }, parts, expandedLength: expanded + tail };
}

interface Processed {
  /** null when the stream is kept */
  item: RecipeItem | null;
  parts: Uint8Array[];
  expandedLength: number;
  /** end of the replaced range */
  end: number;
  /** end of the deflate stream (gzip: where the trailer starts) */
  deflateEnd: number;
}

function kept(rep: StreamReport, reason: string, deflateEnd = -1): Processed {
  rep.method = 'kept';
  rep.reason = reason;
  return { item: null, parts: [], expandedLength: 0, end: -1, deflateEnd };
}

function process(data: Uint8Array, c: Cand, depth: number, fc: FwdCtx, rep: StreamReport): Processed {
  const { maxStreamBytes } = fc.opts;
  let src = data;
  let dOff = c.deflateOffset;
  let zhdr = 0;
  if (c.wrap === WRAP_PNG) {
    // the zlib stream, gathered from the IDAT chunks
    const png = c.png!;
    src = new Uint8Array(png.zlibLength);
    let o = 0;
    for (const ch of png.chunks) {
      src.set(data.subarray(ch.dataOffset, ch.dataOffset + ch.length), o);
      o += ch.length;
    }
    rep.size = png.end - c.offset;
    if (!isZlibHeader(src, 0)) return kept(rep, 'IDAT data does not start with a zlib header');
    zhdr = (src[0]! << 8) | src[1]!;
    dOff = 2;
  } else if (c.wrap === WRAP_ZLIB) {
    zhdr = (data[c.offset]! << 8) | data[c.offset + 1]!;
  }
  if (performanceNow() > fc.deadline) return kept(rep, 'time budget spent');
  const limit = c.deflateLen >= 0 ? dOff + c.deflateLen : src.length;
  const cap = Math.min(maxStreamBytes, 4 * maxStreamBytes - fc.rawTotal);
  if (c.rawHint > cap) return kept(rep, `raw size ${c.rawHint} over the cap ${cap}`);
  const inf = cap > 0 ? inflateRawAt(src, dOff, limit, cap, c.rawHint) : null;
  if (!inf) return kept(rep, c.rawHint < 0 && cap > 0 ? 'not a valid deflate stream (or over the size cap)' : cap <= 0 ? 'size cap reached' : 'not a valid deflate stream');
  const raw = inf.raw;
  const comp = src.subarray(dOff, dOff + inf.consumed);
  rep.size = c.wrap === WRAP_PNG ? rep.size : inf.consumed;
  rep.rawSize = raw.length;
  const deflateEnd = c.wrap === WRAP_PNG ? -1 : dOff + inf.consumed;
  // wrapper checks: a zlib stream must end with the Adler-32 of the raw data (PNG: and fill its IDAT chunks exactly)
  let wrap = c.wrap;
  let offset = c.offset;
  let end = deflateEnd;
  if (wrap === WRAP_ZLIB || wrap === WRAP_PNG) {
    const a = dOff + inf.consumed;
    const okAdler = a + 4 <= src.length && u32be(src, a) === adler32(raw);
    if (wrap === WRAP_PNG) {
      if (!okAdler || a + 4 !== src.length) return kept(rep, okAdler ? 'bytes after the zlib stream in IDAT' : 'Adler-32 mismatch', deflateEnd);
      end = c.png!.end;
    } else if (okAdler) {
      end = a + 4;
    } else {
      // keep the header and whatever follows as verbatim bytes; reproduce only the deflate stream
      wrap = WRAP_RAW;
      offset = dOff;
    }
  }
  fc.rawTotal += raw.length;
  const { params, tries } = search(raw, comp, wrap === WRAP_RAW ? 0 : zhdr, fc.st, fc.opts.maxTries, fc.deadline);
  rep.tries = tries;
  let corrections: Uint8Array | null = null;
  if (!params) {
    const f = fc.opts.foreign;
    const left = fc.deadline - performanceNow();
    if (!f) return kept(rep, `no zlib params reproduce it (${tries} tried)`, deflateEnd);
    if (left <= 0) return kept(rep, `no zlib params reproduce it (${tries} tried); no time left for the foreign codec`, deflateEnd);
    try {
      corrections = f.analyzeForeign(comp, raw, { budgetMs: Math.max(1, Math.floor(left / 2)) });
      if (corrections) {
        const back = f.reconstructForeign(raw, corrections, comp.length);
        if (!equalBytes(back, comp)) corrections = null;
      }
    } catch {
      corrections = null;
    }
    if (!corrections) return kept(rep, `no zlib params reproduce it (${tries} tried); the foreign codec failed`, deflateEnd);
    rep.method = 'foreign';
    rep.params = `${corrections.length} correction bytes`;
  } else {
    rep.method = 'zlib';
    rep.params = paramsLabel(params);
  }
  // a container inside the raw data: its own streams are expanded too (their proofs are queued before this one's)
  let nested: Built | null = null;
  if (depth < fc.opts.maxDepth && mimeOf(raw)) {
    const b = build(raw, depth + 1, fc);
    if (b.region.items.length > 0) nested = b;
  }
  fc.proofs.push({ raw, comp });
  const item: RecipeItem = {
    gap: 0, wrap, params, rawLen: raw.length, deflateLen: params ? -1 : comp.length, corrections, zhdr: wrap === WRAP_RAW ? 0 : zhdr,
    chunks: wrap === WRAP_PNG ? c.png!.chunks.map((ch) => ch.length) : null, nested: nested ? nested.region : null,
  };
  c.offset = offset;
  return { item, parts: nested ? nested.parts : [raw], expandedLength: nested ? nested.expandedLength : raw.length, end, deflateEnd };
}


/**
 * The forward transform. `result` is null when the record holds no stream worth replacing (nothing found, or nothing
 * reproduced); `report` lists every stream found either way. The result is verified before it is returned: the
 * inverse's assembly is replayed (deflate output taken from the search, which already proved it byte for byte) and
 * must give back the record.
 */
export function reflateForward(record: Uint8Array, options: ReflateOptions = {}): { result: StageResult | null; report: ReflateReport } {
  const t0 = performanceNow();
  const opts = {
    budgetMs: options.budgetMs ?? 30000,
    maxStreamBytes: options.maxStreamBytes ?? 64 << 20,
    maxDepth: Math.max(0, Math.min(MAX_NEST, options.maxDepth ?? 2)),
    maxTries: Math.max(1, options.maxTries ?? 40),
    maxSearchBytes: options.maxSearchBytes ?? 8 * record.length + (128 << 20),
    foreign: options.foreign,
  };
  for (const [k, v] of Object.entries({ budgetMs: opts.budgetMs, maxStreamBytes: opts.maxStreamBytes, maxTries: opts.maxTries, maxSearchBytes: opts.maxSearchBytes })) {
    if (typeof v !== 'number' || !(v >= 0)) throw new PaniniError('OPTION', `reflate option ${k} must be a number ≥ 0, got ${String(v)}`, { option: k });
  }
  const fc: FwdCtx = {
    opts,
    st: { prev: null, misses: 0, work: { bytes: 0 }, workCap: opts.maxSearchBytes },
    deadline: t0 + opts.budgetMs,
    reports: [],
    rawTotal: 0,
    proofs: [],
  };
  const built = record.length >= 8 ? build(record, 0, fc) : { region: { items: [], tail: record.length }, parts: [record], expandedLength: record.length };
  const report: ReflateReport = {
    streams: fc.reports,
    found: fc.reports.length,
    reproduced: fc.reports.filter((r) => r.method === 'zlib').length,
    foreign: fc.reports.filter((r) => r.method === 'foreign').length,
    kept: fc.reports.filter((r) => r.method === 'kept').length,
    rawBytes: 0,
    replacedBytes: 0,
    inputBytes: record.length,
    outputBytes: record.length,
    paramsBytes: 0,
    ms: 0,
  };
  let result: StageResult | null = null;
  if (built.region.items.length > 0) {
    const expanded = concatBytes(built.parts, built.expandedLength);
    const params = writeRecipe({ length: record.length, region: built.region });
    // verify: replay the inverse's assembly, each stream's compressed bytes taken from the search's proof (the
    // deflate output matched the original byte for byte; the foreign codec's reconstruction was compared too)
    let next = 0;
    const check = rebuild(params, expanded, { where: 'REFLATE encode check', maxBytes: Math.max(record.length, expanded.length) + 1 }, (_it, raw) => {
      const pr = fc.proofs[next++];
      if (!pr || !equalBytes(pr.raw, raw)) throw new PaniniError('STATE', 'REFLATE forward: the recipe replays a different raw stream (internal error)');
      return pr.comp;
    });
    if (!equalBytes(check, record)) throw new PaniniError('STATE', 'REFLATE forward: the rebuilt record differs from the input (internal error)');
    for (const it of built.region.items) report.rawBytes += it.rawLen;
    report.replacedBytes = record.length - (expanded.length - report.rawBytes);
    report.outputBytes = expanded.length;
    report.paramsBytes = params.length;
    result = { id: REFLATE_STAGE_ID, params, streams: [expanded], handled: report.replacedBytes };
  }
  report.ms = performanceNow() - t0;
  return { result, report };
}

// ---------------------------------------------------------------------------------------------------------------
// Inverse

/** The compressed bytes of one item from its raw data: pako (params) or the foreign reconstructor; null if > cap. */
type Deflater = (it: RecipeItem, raw: Uint8Array, cap: number) => Uint8Array | null;

function realDeflater(where: string): Deflater {
  return (it, raw, cap) => {
    if (it.params) return deflateTo(raw, it.params, cap);
    if (it.deflateLen > cap) return null;
    if (!foreignDecoder) throw new PaniniError('UNSUPPORTED', `${where}: REFLATE stream made by a foreign encoder needs the preflate reconstructor, which is not installed`);
    return foreignDecoder(raw, it.corrections!, it.deflateLen);
  };
}

function rebuild(params: Uint8Array, expanded: Uint8Array, ctx: Pick<DecodeContext, 'where' | 'maxBytes'>, deflater: Deflater): Uint8Array {
  const rec = readRecipe(params, ctx.where, ctx.maxBytes);
  let ip = 0;
  const fail = (what: string): never => planFail(ctx, `REFLATE: ${what}`);
  const take = (n: number): Uint8Array => {
    if (n > expanded.length - ip) fail(`the recipe needs ${n} bytes at expanded offset ${ip}, the stream has ${expanded.length - ip} left`);
    const s = expanded.subarray(ip, ip + n);
    ip += n;
    return s;
  };
  const region = (g: RecipeRegion, out: Uint8Array): void => {
    let op = 0;
    const put = (b: Uint8Array): void => {
      if (b.length > out.length - op) fail(`output overruns its declared ${out.length} bytes`);
      out.set(b, op);
      op += b.length;
    };
    for (const it of g.items) {
      put(take(it.gap));
      let raw: Uint8Array;
      if (it.nested) {
        raw = new Uint8Array(it.rawLen);
        region(it.nested, raw);
      } else {
        raw = take(it.rawLen);
      }
      const room = out.length - op;
      const comp = deflater(it, raw, room) ?? fail(`re-deflated stream does not fit in the ${room} bytes left of the output`);
      if (!(comp instanceof Uint8Array) || (!it.params && comp.length !== it.deflateLen)) fail(`foreign reconstruction did not give the declared ${it.deflateLen} bytes`);
      if (it.wrap === WRAP_RAW) {
        put(comp);
      } else {
        const z = comp.length + 6;
        const a = adler32(raw);
        if (it.wrap === WRAP_ZLIB) {
          if (z > out.length - op) fail(`zlib stream overruns the output`);
          out[op] = it.zhdr >> 8;
          out[op + 1] = it.zhdr & 0xff;
          out.set(comp, op + 2);
          op += 2 + comp.length;
          out[op] = a >>> 24;
          out[op + 1] = (a >>> 16) & 0xff;
          out[op + 2] = (a >>> 8) & 0xff;
          out[op + 3] = a & 0xff;
          op += 4;
        } else {
          const s = rec.uniform.get(it);
          const chunks = s !== undefined ? uniformChunks(s, z) : it.chunks!;
          let sum = 0;
          for (const c of chunks) sum += c;
          if (sum !== z) fail(`PNG IDAT chunks hold ${sum} bytes, the zlib stream has ${z}`);
          if (z + 12 * chunks.length > out.length - op) fail(`PNG IDAT chunks overrun the output`);
          const zs = new Uint8Array(z);
          zs[0] = it.zhdr >> 8;
          zs[1] = it.zhdr & 0xff;
          zs.set(comp, 2);
          zs[z - 4] = a >>> 24;
          zs[z - 3] = (a >>> 16) & 0xff;
          zs[z - 2] = (a >>> 8) & 0xff;
          zs[z - 1] = a & 0xff;
          let zp = 0;
          for (const len of chunks) {
            out[op] = len >>> 24;
            out[op + 1] = (len >>> 16) & 0xff;
            out[op + 2] = (len >>> 8) & 0xff;
            out[op + 3] = len & 0xff;
            out[op + 4] = 0x49; // IDAT
            out[op + 5] = 0x44;
            out[op + 6] = 0x41;
            out[op + 7] = 0x54;
            out.set(zs.subarray(zp, zp + len), op + 8);
            const crc = crc32Of(out, op + 4, op + 8 + len);
            op += 8 + len;
            out[op] = crc >>> 24;
            out[op + 1] = (crc >>> 16) & 0xff;
            out[op + 2] = (crc >>> 8) & 0xff;
            out[op + 3] = crc & 0xff;
            op += 4;
            zp += len;
          }
        }
      }
    }
    put(take(g.tail));
    if (op !== out.length) fail(`region rebuilt ${op} bytes, it declares ${out.length}`);
  };
  const out = new Uint8Array(rec.length);
  region(rec.region, out);
  if (ip !== expanded.length) fail(`${expanded.length - ip} expanded bytes left over`);
  return out;
}

/** Decodes one REFLATE stage: params = recipe, streams = [expanded record] → [record]. */
export function reflateInverse(params: Uint8Array, streams: Uint8Array[], ctx: DecodeContext): Uint8Array[] {
  if (streams.length !== 1) planFail(ctx, `REFLATE takes 1 stream, got ${streams.length}`);
  return [rebuild(params, streams[0]!, ctx, realDeflater(ctx.where))];
}

export const reflateStage: StageKind = {
  id: REFLATE_STAGE_ID,
  name: 'reflate',
  dhatu: 'REFLATE',
  inverse: reflateInverse,
};
