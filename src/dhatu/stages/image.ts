// IMAGE (TRANS, stage id 40): raw PNG scanlines (per row: filter-type byte + row bytes; Adam7 passes in order when
// interlaced) → streams that code better:
//   stream 0: the filter-type bytes, one per row (kept so the inverse rebuilds the exact scanlines)
//   stream 1..: the pixels re-predicted with one fixed predictor (`pred`), either interleaved (1 stream) or split into
//               `planes` streams (byte j of every pixel → stream 1 + j), rows of every pass in order
// The inverse undoes the predictor, then re-applies each row's original PNG filter: bit-exact for any scanlines whose
// filter bytes are 0–4 (forward declines otherwise).
//
// params (after the `sel` varint): varint width, varint height, u8 bitDepth, u8 colorType, u8 interlace, u8 pred,
// u8 planes (0 = interleaved, 1 = split by byte of pixel).
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { ByteWriter } from './bytes.js';
import { inverseAt, stageResult } from './select.js';
import { PaniniError } from '../../errors.js';

export const IMAGE_STAGE_ID = 40;

/** Predictors: 0 none (raw pixels), 1 left, 2 up, 3 average, 4 Paeth, 5 MED (LOCO-I median edge detector), 6 gradient
 * (left + up − upper-left) */
export const IMAGE_PREDICTORS = ['none', 'left', 'up', 'avg', 'paeth', 'med', 'grad'] as const;

export interface ImageInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

export interface ImageOptions extends ImageInfo {
  /** predictor index (IMAGE_PREDICTORS), default 5 (MED) */
  pred?: number;
  /** split channels into planes (default true) */
  planes?: boolean;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

interface Pass {
  rows: number;
  rowBytes: number;
}

/** bytes per complete pixel for filtering (≥ 1) and the passes' geometry; null when the header is invalid */
export function imageGeometry(h: ImageInfo): { bpp: number; passes: Pass[]; total: number; rows: number } | null {
  const ch = CHANNELS[h.colorType];
  if (ch === undefined) return null;
  const okDepth = h.colorType === 0 ? [1, 2, 4, 8, 16] : h.colorType === 3 ? [1, 2, 4, 8] : [8, 16];
  if (!okDepth.includes(h.bitDepth)) return null;
  if (h.interlace !== 0 && h.interlace !== 1) return null;
  if (!(h.width >= 1 && h.height >= 1 && h.width <= 0x7fffffff && h.height <= 0x7fffffff)) return null;
  const bitsPP = ch * h.bitDepth;
  const bpp = Math.max(1, bitsPP >> 3);
  const passes: Pass[] = [];
  const geo = h.interlace === 0 ? [[0, 0, 1, 1]] : ADAM7;
  let total = 0;
  let rows = 0;
  for (const [x0, y0, dx, dy] of geo) {
    const w = h.width > x0! ? Math.ceil((h.width - x0!) / dx!) : 0;
    const r = h.height > y0! ? Math.ceil((h.height - y0!) / dy!) : 0;
    if (w === 0 || r === 0) continue;
    const rowBytes = Math.ceil((w * bitsPP) / 8);
    passes.push({ rows: r, rowBytes });
    total += r * (1 + rowBytes);
    rows += r;
  }
  return { bpp, passes, total, rows };
}

/** bytes in each output plane: byte j of every row goes to plane j mod nPl */
function planeCounts(passes: Pass[], bpp: number, nPl: number): Float64Array {
  const counts = new Float64Array(nPl);
  for (const p of passes) {
    if (nPl === 1) counts[0]! += p.rows * p.rowBytes;
    else for (let j = 0; j < nPl && j < p.rowBytes; j++) counts[j]! += p.rows * Math.ceil((p.rowBytes - j) / bpp);
  }
  return counts;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function predict(kind: number, a: number, b: number, c: number): number {
  switch (kind) {
    case 0: return 0;
    case 1: return a;
    case 2: return b;
    case 3: return (a + b) >> 1;
    case 4: return paeth(a, b, c);
    case 5: {
      const mx = a > b ? a : b;
      const mn = a > b ? b : a;
      return c >= mx ? mn : c <= mn ? mx : a + b - c;
    }
    default: {
      const g = a + b - c;
      return g < 0 ? 0 : g > 255 ? 255 : g;
    }
  }
}

/** PNG filter `ft`'s (0–4) prediction for byte i of row `cur` (its bytes before i unfiltered; prev = previous unfiltered row or null) */
function rowPrediction(ft: number, cur: Uint8Array, prev: Uint8Array | null, i: number, bpp: number): number {
  const a = i >= bpp ? cur[i - bpp]! : 0;
  const b = prev ? prev[i]! : 0;
  const c = prev && i >= bpp ? prev[i - bpp]! : 0;
  return predict(ft, a, b, c);
}

/** undoes PNG filter `ft` on row `cur` in place (prev = previous unfiltered row or null) */
function unfilterRow(ft: number, cur: Uint8Array, prev: Uint8Array | null, bpp: number): void {
  const n = cur.length;
  for (let i = 0; i < n; i++) cur[i] = (cur[i]! + rowPrediction(ft, cur, prev, i, bpp)) & 255;
}

/** applies PNG filter `ft` to unfiltered row `cur` into out (prev = previous unfiltered row or null) */
function filterRow(ft: number, cur: Uint8Array, prev: Uint8Array | null, bpp: number, out: Uint8Array, o: number): void {
  const n = cur.length;
  for (let i = 0; i < n; i++) out[o + i] = (cur[i]! - rowPrediction(ft, cur, prev, i, bpp)) & 255;
}

/**
 * The stage's pure transform. Returns null when the scanlines do not match the header (length) or use a filter
 * type above 4.
 */
export function imageSplit(scan: Uint8Array, o: ImageOptions): Uint8Array[] | null {
  const g = imageGeometry(o);
  if (!g || g.total !== scan.length) return null;
  const pred = o.pred ?? 5;
  const planes = o.planes ?? true;
  const bpp = g.bpp;
  const nPl = planes ? bpp : 1;
  const filters = new Uint8Array(g.rows);
  const counts = planeCounts(g.passes, bpp, nPl);
  const outs: Uint8Array[] = [];
  for (let j = 0; j < nPl; j++) outs.push(new Uint8Array(counts[j]!));
  const pk = new Int32Array(nPl);
  let ip = 0;
  let r = 0;
  for (const p of g.passes) {
    let prev: Uint8Array | null = null;
    const bufA = new Uint8Array(p.rowBytes);
    const bufB = new Uint8Array(p.rowBytes);
    for (let y = 0; y < p.rows; y++) {
      const cur = (y & 1) === 0 ? bufA : bufB;
      const ft = scan[ip++]!;
      if (ft > 4) return null;
      filters[r++] = ft;
      cur.set(scan.subarray(ip, ip + p.rowBytes));
      ip += p.rowBytes;
      unfilterRow(ft, cur, prev, bpp);
      for (let i = 0; i < p.rowBytes; i++) {
        const a = i >= bpp ? cur[i - bpp]! : 0;
        const b = prev ? prev[i]! : 0;
        const c = prev && i >= bpp ? prev[i - bpp]! : 0;
        const k = planes ? i % bpp : 0;
        outs[k]![pk[k]!++] = (cur[i]! - predict(pred, a, b, c)) & 255;
      }
      prev = cur;
    }
  }
  return [filters, ...outs];
}

/** Inverse of imageSplit: the exact scanlines. Throws PaniniError FORMAT on inconsistent streams. */
export function imageJoin(streams: Uint8Array[], o: ImageOptions, where = 'image'): Uint8Array {
  const g = imageGeometry(o);
  if (!g) throw new PaniniError('FORMAT', `${where}: invalid image header`);
  const pred = o.pred ?? 5;
  if (!(pred >= 0 && pred < IMAGE_PREDICTORS.length)) throw new PaniniError('FORMAT', `${where}: unknown predictor ${pred}`);
  const planes = o.planes ?? true;
  const bpp = g.bpp;
  const nPl = planes ? bpp : 1;
  if (streams.length !== 1 + nPl) throw new PaniniError('FORMAT', `${where}: expected ${1 + nPl} streams, got ${streams.length}`);
  const filters = streams[0]!;
  if (filters.length !== g.rows) throw new PaniniError('FORMAT', `${where}: ${filters.length} filter bytes for ${g.rows} rows`);
  const counts = planeCounts(g.passes, bpp, nPl);
  for (let j = 0; j < nPl; j++) {
    if (streams[1 + j]!.length !== counts[j]) throw new PaniniError('FORMAT', `${where}: plane ${j} has ${streams[1 + j]!.length} bytes, expected ${counts[j]}`);
  }
  const out = new Uint8Array(g.total);
  const pk = new Int32Array(nPl);
  let op = 0;
  let r = 0;
  for (const p of g.passes) {
    let prev: Uint8Array | null = null;
    const bufA = new Uint8Array(p.rowBytes);
    const bufB = new Uint8Array(p.rowBytes);
    for (let y = 0; y < p.rows; y++) {
      const cur = (y & 1) === 0 ? bufA : bufB;
      for (let i = 0; i < p.rowBytes; i++) {
        const a = i >= bpp ? cur[i - bpp]! : 0;
        const b = prev ? prev[i]! : 0;
        const c = prev && i >= bpp ? prev[i - bpp]! : 0;
        const k = planes ? i % bpp : 0;
        cur[i] = (streams[1 + k]![pk[k]!++]! + predict(pred, a, b, c)) & 255;
      }
      const ft = filters[r++]!;
      if (ft > 4) throw new PaniniError('FORMAT', `${where}: filter type ${ft} in row ${r - 1}`);
      out[op++] = ft;
      filterRow(ft, cur, prev, bpp, out, op);
      op += p.rowBytes;
      prev = cur;
    }
  }
  return out;
}

function innerParams(o: ImageOptions): Uint8Array {
  const w = new ByteWriter(16);
  w.varint(o.width);
  w.varint(o.height);
  w.bytes(Uint8Array.of(o.bitDepth, o.colorType, o.interlace, o.pred ?? 5, (o.planes ?? true) ? 1 : 0));
  return w.finish();
}

/** Forward: replaces streams[sel] (raw scanlines) by the image streams; null when not applicable. */
export function imageForward(streams: readonly Uint8Array[], sel: number, o: ImageOptions): StageResult | null {
  const outs = imageSplit(streams[sel]!, o);
  if (!outs) return null;
  return stageResult(IMAGE_STAGE_ID, streams, sel, innerParams(o), outs);
}

export const imageStage: StageKind = {
  id: IMAGE_STAGE_ID,
  name: 'image',
  dhatu: 'TRANS',
  inverse(params: Uint8Array, streams: Uint8Array[], ctx: DecodeContext): Uint8Array[] {
    return inverseAt('image', params, streams, ctx, (r) => {
      const width = r.varint(0x7fffffff);
      const height = r.varint(0x7fffffff);
      const [bitDepth, colorType, interlace, pred, pl] = r.bytes(5);
      const o: ImageOptions = { width, height, bitDepth: bitDepth!, colorType: colorType!, interlace: interlace!, pred: pred!, planes: pl === 1 };
      if (pl! > 1) planFail(ctx, 'image: planes flag must be 0 or 1');
      const g = imageGeometry(o);
      if (!g) planFail(ctx, 'image: invalid image header');
      if (g.total > ctx.maxBytes) planFail(ctx, `image: ${g.total} bytes of scanlines exceed the limit ${ctx.maxBytes}`);
      const k = 1 + (o.planes ? g.bpp : 1);
      return { k, run: (parts) => imageJoin(parts, o, ctx.where) };
    });
  },
};
