// Token-level DEFLATE parser (RFC 1951) for preflate: decodes a raw deflate stream into its raw bytes, its token
// stream (literals and matches, exactly as the encoder chose them) and its block headers (every bit the encoder chose:
// block types, stored-block padding, dynamic-header RLE codes, final padding bits). Rejects anything invalid with
// PaniniError FORMAT. Allocation is bounded by `maxRaw`.
import { PaniniError } from '../../../errors.js';

export const LEN_BASE = new Uint16Array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
export const LEN_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
export const DIST_BASE = new Uint16Array([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
export const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
export const CL_ORDER = new Uint8Array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

/** length (3..258) → length code index 0..28 (symbol = 257 + index) */
export const LEN_CODE = new Uint8Array(259);
/** distance code for d-1 < 256 via DIST_LO[d-1], else DIST_HI[(d-1) >> 7] */
export const DIST_LO = new Uint8Array(256);
export const DIST_HI = new Uint8Array(256);
{
  for (let c = 0; c < 29; c++) {
    const n = 1 << LEN_EXTRA[c]!;
    for (let k = 0; k < n; k++) {
      const l = LEN_BASE[c]! + k;
      if (l <= 258) LEN_CODE[l] = c;
    }
  }
  LEN_CODE[258] = 28;
  for (let c = 0; c < 30; c++) {
    const n = 1 << DIST_EXTRA[c]!;
    for (let k = 0; k < n; k++) {
      const d = DIST_BASE[c]! + k - 1;
      if (d < 256) DIST_LO[d] = c;
      else if ((d & 127) === 0) DIST_HI[d >> 7] = c;
    }
  }
}
export function distCode(d: number): number {
  return d <= 256 ? DIST_LO[d - 1]! : DIST_HI[(d - 1) >> 7]!;
}

export interface BlockInfo {
  /** 0 stored, 1 fixed, 2 dynamic */
  type: number;
  final: boolean;
  tokStart: number;
  tokEnd: number;
  /** bit offsets of the block in the stream (start of its 3-bit header, end after its end-of-block code) */
  bitStart: number;
  bitEnd: number;
  rawStart: number;
  rawEnd: number;
  /** stored: the padding bits skipped before LEN (value) and their count */
  padBits: number;
  padCount: number;
  /** dynamic header */
  hlit: number;
  hdist: number;
  hclen: number;
  /** code-length-code lengths in symbol order 0..18 (only the first hclen in CL_ORDER are transmitted) */
  clLens: Uint8Array;
  /** RLE sequence: symbol (0..18) and extra-bit value per entry */
  rleSym: Uint8Array;
  rleExtra: Uint8Array;
  /** code lengths: lit/len 0..287 (hlit used), dist 0..31 (hdist used) */
  litLens: Uint8Array;
  distLens: Uint8Array;
}

export interface ParsedDeflate {
  raw: Uint8Array;
  nTok: number;
  /** 0 = literal */
  tokLen: Uint16Array;
  /** literal byte or match distance */
  tokVal: Uint16Array;
  /** token indices of length-258 matches coded as symbol 284 + extra 31 (legal for inflate, never made by zlib) */
  odd258: number[];
  blocks: BlockInfo[];
  /** bits after the final block in its last byte, and their count (0..7) */
  endPad: number;
  endPadCount: number;
  /** byte length of the deflate stream (trailing bytes after it are not part of it) */
  streamBytes: number;
}

function fail(msg: string): never {
  throw new PaniniError('FORMAT', `deflate: ${msg}`);
}

/** Canonical Huffman decode table: entry = (symbol << 4) | length, for all 2^maxLen bit patterns (LSB-first). */
export function buildDecodeTable(lens: Uint8Array, n: number, out: { table: Int32Array; bits: number }): void {
  let max = 0;
  const count = new Uint16Array(16);
  for (let i = 0; i < n; i++) {
    const l = lens[i]!;
    count[l]!++;
    if (l > max) max = l;
  }
  count[0] = 0;
  if (max === 0) {
    out.bits = 1;
    out.table = new Int32Array(2).fill(-1);
    return;
  }
  // check over-subscription
  let left = 1;
  for (let l = 1; l <= 15; l++) {
    left = (left << 1) - count[l]!;
    if (left < 0) fail('over-subscribed Huffman code');
  }
  const size = 1 << max;
  const table = out.table.length >= size ? out.table : new Int32Array(size);
  table.fill(-1, 0, size);
  const next = new Uint16Array(16);
  let code = 0;
  for (let l = 1; l <= 15; l++) {
    code = (code + count[l - 1]!) << 1;
    next[l] = code;
  }
  for (let s = 0; s < n; s++) {
    const l = lens[s]!;
    if (l === 0) continue;
    const c = next[l]!++;
    // reverse l bits
    let r = 0;
    for (let k = 0; k < l; k++) r |= ((c >> k) & 1) << (l - 1 - k);
    const e = (s << 4) | l;
    for (let j = r; j < size; j += 1 << l) table[j] = e;
  }
  out.table = table;
  out.bits = max;
}

const FIXED_LIT = new Uint8Array(288);
const FIXED_DIST = new Uint8Array(32);
{
  for (let i = 0; i < 288; i++) FIXED_LIT[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
  FIXED_DIST.fill(5);
}
export { FIXED_LIT, FIXED_DIST };

/**
 * Parses a raw deflate stream. `maxRaw` bounds the inflated size (FORMAT beyond it). Stops at the end of the final
 * block; bytes after it are reported through streamBytes.
 */
export function parseDeflate(src: Uint8Array, maxRaw: number): ParsedDeflate {
  const n = src.length;
  let bitBuf = 0; // up to 32 bits
  let bitCnt = 0;
  let ip = 0;
  const need = (k: number): void => {
    while (bitCnt < k) {
      if (ip >= n) fail('truncated stream');
      bitBuf |= src[ip++]! << bitCnt;
      bitCnt += 8;
    }
  };
  const bits = (k: number): number => {
    if (k === 0) return 0;
    need(k);
    const v = bitBuf & ((1 << k) - 1);
    bitBuf >>>= k;
    bitCnt -= k;
    return v;
  };
  let rawCap = Math.min(maxRaw, Math.max(1024, n * 4));
  let raw = new Uint8Array(rawCap);
  let op = 0;
  let tokCap = 1024;
  let tokLen = new Uint16Array(tokCap);
  let tokVal = new Uint16Array(tokCap);
  let nTok = 0;
  const odd258: number[] = [];
  const blocks: BlockInfo[] = [];
  const growRaw = (k: number): void => {
    if (op + k > maxRaw) fail(`inflated size exceeds the limit of ${maxRaw} bytes`);
    if (op + k > rawCap) {
      rawCap = Math.min(maxRaw, Math.max(op + k, rawCap * 2));
      const r = new Uint8Array(rawCap);
      r.set(raw.subarray(0, op));
      raw = r;
    }
  };
  const growTok = (): void => {
    tokCap *= 2;
    const a = new Uint16Array(tokCap);
    a.set(tokLen);
    tokLen = a;
    const b = new Uint16Array(tokCap);
    b.set(tokVal);
    tokVal = b;
  };
  const litT = { table: new Int32Array(1 << 15), bits: 0 };
  const distT = { table: new Int32Array(1 << 15), bits: 0 };
  const clT = { table: new Int32Array(1 << 7), bits: 0 };
  const decodeSym = (t: { table: Int32Array; bits: number }): number => {
    // need up to t.bits bits, but the stream may end earlier: fill what's there
    while (bitCnt < t.bits && ip < n) {
      bitBuf |= src[ip++]! << bitCnt;
      bitCnt += 8;
    }
    const e = t.table[bitBuf & ((1 << t.bits) - 1)]!;
    if (e < 0) fail('invalid Huffman code');
    const l = e & 15;
    if (l > bitCnt) fail('truncated stream');
    bitBuf >>>= l;
    bitCnt -= l;
    return e >> 4;
  };
  let final = false;
  while (!final) {
    const bitStart = ip * 8 - bitCnt;
    final = bits(1) === 1;
    const type = bits(2);
    const blk: BlockInfo = {
      type, final, tokStart: nTok, tokEnd: nTok, bitStart, bitEnd: 0, rawStart: op, rawEnd: op, padBits: 0, padCount: 0,
      hlit: 0, hdist: 0, hclen: 0, clLens: new Uint8Array(19), rleSym: new Uint8Array(0), rleExtra: new Uint8Array(0),
      litLens: new Uint8Array(288), distLens: new Uint8Array(32),
    };
    if (type === 3) fail('reserved block type 3');
    if (type === 0) {
      blk.padCount = bitCnt & 7;
      blk.padBits = bits(blk.padCount);
      const len = bits(16);
      const nlen = bits(16);
      if ((len ^ 0xffff) !== nlen) fail('stored block LEN/NLEN mismatch');
      // bitCnt is a multiple of 8 now; drain buffered bytes first
      growRaw(len);
      let k = 0;
      while (k < len && bitCnt > 0) {
        raw[op++] = bits(8);
        k++;
      }
      if (len - k > n - ip) fail('truncated stored block');
      raw.set(src.subarray(ip, ip + len - k), op);
      op += len - k;
      ip += len - k;
    } else {
      if (type === 1) {
        blk.litLens.set(FIXED_LIT);
        blk.distLens.set(FIXED_DIST);
      } else {
        const hlit = bits(5) + 257;
        const hdist = bits(5) + 1;
        const hclen = bits(4) + 4;
        blk.hlit = hlit;
        blk.hdist = hdist;
        blk.hclen = hclen;
        for (let i = 0; i < hclen; i++) blk.clLens[CL_ORDER[i]!] = bits(3);
        buildDecodeTable(blk.clLens, 19, clT);
        const all = new Uint8Array(hlit + hdist);
        const rs: number[] = [];
        const re: number[] = [];
        let i = 0;
        while (i < hlit + hdist) {
          const s = decodeSym(clT);
          let x = 0;
          if (s < 16) all[i++] = s;
          else {
            let rep: number;
            let v = 0;
            if (s === 16) {
              if (i === 0) fail('repeat with no previous code length');
              v = all[i - 1]!;
              x = bits(2);
              rep = 3 + x;
            } else if (s === 17) {
              x = bits(3);
              rep = 3 + x;
            } else {
              x = bits(7);
              rep = 11 + x;
            }
            if (i + rep > hlit + hdist) fail('code length repeat overflows');
            all.fill(v, i, i + rep);
            i += rep;
          }
          rs.push(s);
          re.push(x);
        }
        blk.rleSym = Uint8Array.from(rs);
        blk.rleExtra = Uint8Array.from(re);
        blk.litLens.set(all.subarray(0, hlit));
        blk.distLens.set(all.subarray(hlit));
        if (blk.litLens[256] === 0) fail('no end-of-block code');
      }
      buildDecodeTable(blk.litLens, 288, litT);
      buildDecodeTable(blk.distLens, 32, distT);
      for (;;) {
        const s = decodeSym(litT);
        if (s < 256) {
          growRaw(1);
          raw[op++] = s;
          if (nTok === tokCap) growTok();
          tokLen[nTok] = 0;
          tokVal[nTok++] = s;
        } else if (s === 256) break;
        else {
          const c = s - 257;
          if (c >= 29) fail(`invalid length symbol ${s}`);
          const ex = bits(LEN_EXTRA[c]!);
          const len = LEN_BASE[c]! + ex;
          if (len > 258) fail('length over 258');
          const dc = decodeSym(distT);
          if (dc >= 30) fail(`invalid distance symbol ${dc}`);
          const dist = DIST_BASE[dc]! + bits(DIST_EXTRA[dc]!);
          if (dist > op) fail(`distance ${dist} reaches before the start at byte ${op}`);
          growRaw(len);
          let from = op - dist;
          for (let k = 0; k < len; k++) raw[op++] = raw[from++]!;
          if (nTok === tokCap) growTok();
          if (len === 258 && c === 27) odd258.push(nTok);
          tokLen[nTok] = len;
          tokVal[nTok++] = dist;
        }
      }
    }
    blk.tokEnd = nTok;
    blk.bitEnd = ip * 8 - bitCnt;
    blk.rawEnd = op;
    blocks.push(blk);
  }
  const endPadCount = bitCnt & 7;
  const endPad = bits(endPadCount);
  // whole bytes still buffered were read ahead: give them back
  ip -= bitCnt >> 3;
  return {
    raw: raw.subarray(0, op), nTok, tokLen: tokLen.subarray(0, nTok), tokVal: tokVal.subarray(0, nTok), odd258, blocks,
    endPad, endPadCount, streamBytes: ip,
  };
}
