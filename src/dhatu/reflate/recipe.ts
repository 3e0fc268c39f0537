// The REFLATE recipe: the stage's params, bit-exact (docs/REFLATE.md "Params"). It says how to rebuild the original
// record from the expanded stream (the record with every reproduced deflate stream replaced by its raw data).
//
//   u8 1                      recipe version
//   varint L                  length of the original record
//   region
//
//   region := varint N · N × item · varint tail
//   item   := varint gap      bytes copied verbatim from the expanded stream before this stream
//             u8 tag          bits 0–1 wrapper (0 raw deflate, 1 zlib, 2 PNG IDAT chunks), bit 2 foreign,
//                             bit 3 same zlib params as the previous zlib item, bit 4 nested; bits 5–7 zero
//             [u16 params]    LE, when neither foreign nor "same": level | mem<<4 | (wbits-8)<<8 | strategy<<11 | hash<<14
//             varint rawLen   bytes of raw (inflated) data
//             [foreign]       varint deflateLen · varint C · C bytes of corrections
//             [u16 zhdr]      BE, the zlib header bytes (wrapper 1 and 2); the Adler-32 trailer is recomputed
//             [png layout]    wrapper 2: varint S; S > 0: chunks of S bytes, the last one 1..S; S = 0: varint R ·
//                             R × (varint size · varint count ≥ 1), the chunk data lengths in order
//             [region]        when nested: the raw data is itself rebuilt from the expanded stream by this region
//             tail            bytes copied verbatim after the last item
//
// With nested = 0 the raw data is the next rawLen bytes of the expanded stream.
import { planFail } from '../stage.js';
import { ByteReader, ByteWriter } from '../stages/bytes.js';
import { packParams, unpackParams, type ZParams } from '../../deflate/zlib.js';

export const RECIPE_VERSION = 1;
export const WRAP_RAW = 0;
export const WRAP_ZLIB = 1;
export const WRAP_PNG = 2;
/** deepest nesting the decoder accepts (a zip in a zip in a zip …) */
export const MAX_NEST = 4;

export interface RecipeItem {
  gap: number;
  wrap: number;
  /** zlib params; null for a foreign stream */
  params: ZParams | null;
  rawLen: number;
  /** foreign streams: the deflate stream's length and the correction data */
  deflateLen: number;
  corrections: Uint8Array | null;
  /** zlib header (CMF << 8 | FLG) for wrappers 1 and 2 */
  zhdr: number;
  /** PNG: the IDAT chunk data lengths, in order */
  chunks: number[] | null;
  nested: RecipeRegion | null;
}

export interface RecipeRegion {
  items: RecipeItem[];
  tail: number;
}

export interface Recipe {
  length: number;
  region: RecipeRegion;
}

/** The PNG layout as a uniform chunk size (all full but the last, which is 1..S), or 0 when irregular. */
function uniformSize(chunks: number[]): number {
  const s = chunks[0]!;
  if (s <= 0) return 0;
  for (let i = 0; i < chunks.length - 1; i++) if (chunks[i] !== s) return 0;
  const last = chunks[chunks.length - 1]!;
  return last >= 1 && last <= s ? s : 0;
}

export function writeRecipe(r: Recipe): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(RECIPE_VERSION);
  w.varint(r.length);
  let prev = -1;
  const region = (g: RecipeRegion): void => {
    w.varint(g.items.length);
    for (const it of g.items) {
      w.varint(it.gap);
      const foreign = it.params === null;
      const code = foreign ? -1 : packParams(it.params!);
      const same = !foreign && code === prev;
      w.u8(it.wrap | (foreign ? 4 : 0) | (same ? 8 : 0) | (it.nested ? 16 : 0));
      if (!foreign && !same) {
        w.u8(code & 0xff);
        w.u8(code >> 8);
      }
      if (!foreign) prev = code;
      w.varint(it.rawLen);
      if (foreign) {
        w.varint(it.deflateLen);
        w.varint(it.corrections!.length);
        w.bytes(it.corrections!);
      }
      if (it.wrap !== WRAP_RAW) {
        w.u8(it.zhdr >> 8);
        w.u8(it.zhdr & 0xff);
      }
      if (it.wrap === WRAP_PNG) {
        const c = it.chunks!;
        const s = uniformSize(c);
        w.varint(s);
        if (s === 0) {
          const runs: number[] = [];
          for (let i = 0; i < c.length; ) {
            let j = i + 1;
            while (j < c.length && c[j] === c[i]) j++;
            runs.push(c[i]!, j - i);
            i = j;
          }
          w.varint(runs.length / 2);
          for (const v of runs) w.varint(v);
        }
      }
      if (it.nested) region(it.nested);
    }
    w.varint(g.tail);
  };
  region(r.region);
  return w.finish();
}

/** A PNG layout that is uniform (S > 0): the chunk lengths for a zlib stream of `z` bytes. */
export function uniformChunks(s: number, z: number): number[] {
  const out: number[] = [];
  let left = z;
  while (left > s) {
    out.push(s);
    left -= s;
  }
  out.push(left);
  return out;
}

/**
 * Parses and validates a recipe (hostile input: every count is bounded by the bytes left, every length by maxBytes,
 * nesting by MAX_NEST). PNG layouts given as a uniform size are returned as `chunks = [S]` with `uniform` set: the
 * decoder expands them once the zlib stream's length is known.
 */
export function readRecipe(params: Uint8Array, where: string, maxBytes: number): Recipe & { uniform: WeakMap<RecipeItem, number> } {
  const r = new ByteReader(params, where, 'REFLATE recipe');
  const ctx = { where };
  const v = r.u8();
  if (v !== RECIPE_VERSION) r.fail(`version ${v}, this decoder reads ${RECIPE_VERSION}`);
  const length = r.varint();
  if (length > maxBytes) planFail(ctx, `REFLATE recipe declares a record of ${length} bytes, over the limit ${maxBytes}`);
  const uniform = new WeakMap<RecipeItem, number>();
  let prev: ZParams | null = null;
  const region = (depth: number): RecipeRegion => {
    if (depth > MAX_NEST) r.fail(`nesting deeper than ${MAX_NEST}`);
    const n = r.varint();
    if (n > r.left / 3) r.fail(`${n} items cannot fit in the ${r.left} bytes left`);
    const items: RecipeItem[] = [];
    for (let i = 0; i < n; i++) {
      const gap = r.varint(maxBytes);
      const tag = r.u8();
      const wrap = tag & 3;
      if (wrap === 3 || tag >= 32) r.fail(`item ${i}: bad tag 0x${tag.toString(16)}`);
      const foreign = (tag & 4) !== 0;
      const same = (tag & 8) !== 0;
      if (foreign && same) r.fail(`item ${i}: foreign stream marked as reusing zlib params`);
      let params: ZParams | null = null;
      if (!foreign) {
        if (same) {
          if (!prev) r.fail(`item ${i}: reuses zlib params, but none came before`);
          params = prev;
        } else {
          const lo = r.u8();
          const code = lo | (r.u8() << 8);
          params = unpackParams(code);
          if (!params) r.fail(`item ${i}: invalid zlib params 0x${code.toString(16)}`);
        }
        prev = params;
      }
      const rawLen = r.varint(maxBytes);
      let deflateLen = -1;
      let corrections: Uint8Array | null = null;
      if (foreign) {
        deflateLen = r.varint(maxBytes);
        corrections = r.bytes(r.varint(r.left));
      }
      let zhdr = 0;
      if (wrap !== WRAP_RAW) {
        zhdr = (r.u8() << 8) | r.u8();
        if ((zhdr & 0x0f00) !== 0x0800 || zhdr % 31 !== 0 || (zhdr & 0x20) !== 0) r.fail(`item ${i}: invalid zlib header 0x${zhdr.toString(16)}`);
      }
      let chunks: number[] | null = null;
      const it: RecipeItem = { gap, wrap, params, rawLen, deflateLen, corrections, zhdr, chunks, nested: null };
      if (wrap === WRAP_PNG) {
        const s = r.varint(0x7fffffff);
        if (s > 0) {
          chunks = [s];
          uniform.set(it, s);
        } else {
          const runs = r.varint();
          if (runs < 1 || runs > r.left / 2) r.fail(`item ${i}: ${runs} PNG chunk runs cannot fit`);
          chunks = [];
          let total = 0;
          for (let k = 0; k < runs; k++) {
            const size = r.varint(0x7fffffff);
            const count = r.varint(maxBytes + 1);
            if (count < 1) r.fail(`item ${i}: empty PNG chunk run`);
            // every chunk costs 12 bytes of output: the count is bounded by the record's length
            total += count;
            if (total * 12 > length) r.fail(`item ${i}: ${total} PNG chunks cannot fit in ${length} bytes`);
            for (let c = 0; c < count; c++) chunks.push(size);
          }
        }
        it.chunks = chunks;
      }
      if (tag & 16) it.nested = region(depth + 1);
      items.push(it);
    }
    const tail = r.varint(maxBytes);
    return { items, tail };
  };
  const reg = region(0);
  r.end();
  return { length, region: reg, uniform };
}
