// The fast codec's decoder (docs/CODEC.md, "fast codec"): sub-blocks of Huffman-coded literals (4 interleaved
// streams) and sequences (literal length, match length, offset codes + extra bits in one stream). Every length is
// checked before it is used, every bit reader position before it is read from, so any payload either decodes to
// exactly outLen bytes or returns a negative code; the work is bounded by outLen and the payload length.
import { IN, IN_SLACK, LIT, OUT, TABLES, TABLE_LOG_MAX } from "./layout";
import { MIN_MATCH, LL_SYMS, ML_SYMS, OF_SYMS, lenBase, lenExtra, ofBase, ofExtra, readTable, tableLog } from "./huff";

// @ts-ignore: decorator
@inline const T_LIT: usize = 0;
// @ts-ignore: decorator
@inline const T_LL: usize = 1;
// @ts-ignore: decorator
@inline const T_ML: usize = 2;
// @ts-ignore: decorator
@inline const T_OF: usize = 3;
// @ts-ignore: decorator
@inline function tab(i: usize): usize { return TABLES + i * ((1 << TABLE_LOG_MAX) * 2); }

export const E_HEADER: i32 = -1;
export const E_CORRUPT: i32 = -2;
export const E_TRUNCATED: i32 = -3;
export const E_RAW: i32 = -4;
export const E_TRAILING: i32 = -6;

let vip: usize = 0;
// reads a varint (< 2^28) at vip; returns -1 when it runs past end or is too long
// @ts-ignore: decorator
@inline function readVarint(end: usize): i64 {
  let v: u32 = 0;
  let shift: u32 = 0;
  while (true) {
    if (vip >= end || shift > 21) return -1;
    const b = <u32>load<u8>(vip++);
    v |= (b & 0x7f) << shift;
    if (b < 0x80) return <i64>v;
    shift += 7;
  }
}

// @ts-ignore: decorator
@inline function peek(base: usize, pos: u32): u64 {
  return load<u64>(base + (pos >> 3)) >> (pos & 7);
}

/** Decodes `count` literals from the LSB-first stream at base (≤ endBits bits) to dst. Returns false on overrun. */
function decodeLitStream(base: usize, endBits: u32, dst: usize, count: u32, t: usize, mask: u32): bool {
  let pos: u32 = 0;
  let i: u32 = 0;
  // 4 symbols (≤ 44 bits) per 64-bit load (≥ 57 valid bits)
  while (i + 4 <= count) {
    if (pos > endBits) return false;
    let b = peek(base, pos);
    let e = <u32>load<u16>(t + ((<usize>(<u32>b & mask)) << 1));
    store<u8>(dst + i, <u8>(e >> 4));
    b >>= e & 15; pos += e & 15;
    e = <u32>load<u16>(t + ((<usize>(<u32>b & mask)) << 1));
    store<u8>(dst + i + 1, <u8>(e >> 4));
    b >>= e & 15; pos += e & 15;
    e = <u32>load<u16>(t + ((<usize>(<u32>b & mask)) << 1));
    store<u8>(dst + i + 2, <u8>(e >> 4));
    b >>= e & 15; pos += e & 15;
    e = <u32>load<u16>(t + ((<usize>(<u32>b & mask)) << 1));
    store<u8>(dst + i + 3, <u8>(e >> 4));
    pos += e & 15;
    i += 4;
  }
  return tailStream(base, pos, endBits, dst, i, count, t, mask);
}

/** Four streams decoded in one loop (independent dependency chains). */
function decodeLits4(ip: usize, l0: u32, l1: u32, l2: u32, l3: u32, nLit: u32, t: usize, mask: u32): bool {
  const c0 = (nLit + 3) >> 2, c1 = (nLit + 2) >> 2, c2 = (nLit + 1) >> 2, c3 = nLit >> 2;
  const b0 = ip, b1 = b0 + l0, b2 = b1 + l1, b3 = b2 + l2;
  const e0 = l0 << 3, e1 = l1 << 3, e2 = l2 << 3, e3 = l3 << 3;
  const d0 = LIT, d1 = d0 + c0, d2 = d1 + c1, d3 = d2 + c2;
  let p0: u32 = 0, p1: u32 = 0, p2: u32 = 0, p3: u32 = 0;
  let i: u32 = 0;
  while (i + 4 <= c3) {
    if ((p0 > e0) | (p1 > e1) | (p2 > e2) | (p3 > e3)) return false;
    let x0 = peek(b0, p0), x1 = peek(b1, p1), x2 = peek(b2, p2), x3 = peek(b3, p3);
    for (let k: u32 = 0; k < 4; k++) {
      const f0 = <u32>load<u16>(t + ((<usize>(<u32>x0 & mask)) << 1));
      const f1 = <u32>load<u16>(t + ((<usize>(<u32>x1 & mask)) << 1));
      const f2 = <u32>load<u16>(t + ((<usize>(<u32>x2 & mask)) << 1));
      const f3 = <u32>load<u16>(t + ((<usize>(<u32>x3 & mask)) << 1));
      store<u8>(d0 + i + k, <u8>(f0 >> 4));
      store<u8>(d1 + i + k, <u8>(f1 >> 4));
      store<u8>(d2 + i + k, <u8>(f2 >> 4));
      store<u8>(d3 + i + k, <u8>(f3 >> 4));
      x0 >>= f0 & 15; x1 >>= f1 & 15; x2 >>= f2 & 15; x3 >>= f3 & 15;
      p0 += f0 & 15; p1 += f1 & 15; p2 += f2 & 15; p3 += f3 & 15;
    }
    i += 4;
  }
  if ((p0 > e0) | (p1 > e1) | (p2 > e2) | (p3 > e3)) return false;
  // the rest of each stream, one symbol at a time (c0 ≥ c1 ≥ c2 ≥ c3)
  return tailStream(b0, p0, e0, d0, i, c0, t, mask) && tailStream(b1, p1, e1, d1, i, c1, t, mask) &&
    tailStream(b2, p2, e2, d2, i, c2, t, mask) && tailStream(b3, p3, e3, d3, i, c3, t, mask);
}

/** The symbols i..count-1 of one stream, one at a time, from bit `pos`. Returns false on overrun. */
function tailStream(base: usize, pos: u32, endBits: u32, dst: usize, i: u32, count: u32, t: usize, mask: u32): bool {
  while (i < count) {
    if (pos > endBits) return false;
    const e = <u32>load<u16>(t + ((<usize>(<u32>peek(base, pos) & mask)) << 1));
    store<u8>(dst + i, <u8>(e >> 4));
    pos += e & 15;
    i++;
  }
  return pos <= endBits;
}

/** Decodes the `inLen`-byte payload in IN into exactly `n` bytes in OUT; returns n or a negative code. */
export function decodeBlock(inLen: u32, n: u32): i32 {
  if (inLen == 0) return E_HEADER;
  memory.fill(IN + inLen, 0, IN_SLACK);
  const end = IN + inLen;
  const mode = load<u8>(IN);
  if (mode == 0) {
    if (inLen - 1 != n) return E_RAW;
    memory.copy(OUT, IN + 1, n);
    return <i32>n;
  }
  if (mode != 1) return E_HEADER;
  vip = IN + 1;
  let op: usize = OUT;
  const oend: usize = OUT + n;
  let rep0: u32 = 1, rep1: u32 = 4, rep2: u32 = 8;
  while (op < oend) {
    const outLen64 = readVarint(end);
    const nSeq64 = readVarint(end);
    const nLit64 = readVarint(end);
    if (nLit64 < 0) return E_TRUNCATED;
    const outLen = <u32>outLen64, nSeq = <u32>nSeq64, nLit = <u32>nLit64;
    if (outLen == 0 || <usize>outLen > oend - op || nLit > outLen || nSeq > outLen / MIN_MATCH) return E_CORRUPT;
    const subEnd = op + outLen;
    // ---- literals into LIT
    if (nLit > 0) {
      const tl = tab(T_LIT);
      const ip = readTable(vip, end, 256, tl);
      if (ip == 0) return E_CORRUPT;
      vip = ip;
      if (tableLog == 0) {
        memory.fill(LIT, <u8>(load<u16>(tl) >> 4), nLit);
      } else {
        const l0 = readVarint(end), l1 = readVarint(end), l2 = readVarint(end), l3 = readVarint(end);
        if (l3 < 0) return E_TRUNCATED;
        const total = <u64>l0 + <u64>l1 + <u64>l2 + <u64>l3;
        if (total > <u64>(end - vip)) return E_TRUNCATED;
        if (!decodeLits4(vip, <u32>l0, <u32>l1, <u32>l2, <u32>l3, nLit, tl, (<u32>1 << tableLog) - 1)) return E_CORRUPT;
        vip += <usize>total;
      }
    }
    // ---- sequences
    let litp: usize = LIT;
    const litEnd: usize = LIT + nLit;
    if (nSeq > 0) {
      const tLL = tab(T_LL), tML = tab(T_ML), tOF = tab(T_OF);
      let ip = readTable(vip, end, LL_SYMS, tLL);
      if (ip == 0) return E_CORRUPT;
      const mLL = (<u32>1 << tableLog) - 1;
      ip = readTable(ip, end, ML_SYMS, tML);
      if (ip == 0) return E_CORRUPT;
      const mML = (<u32>1 << tableLog) - 1;
      ip = readTable(ip, end, OF_SYMS, tOF);
      if (ip == 0) return E_CORRUPT;
      const mOF = (<u32>1 << tableLog) - 1;
      vip = ip;
      const slen64 = readVarint(end);
      if (slen64 < 0 || slen64 > <i64>(end - vip)) return E_TRUNCATED;
      const sb = vip;
      const endBits = <u32>slen64 << 3;
      vip += <usize>slen64;
      let pos: u32 = 0;
      for (let k: u32 = 0; k < nSeq; k++) {
        if (pos > endBits) return E_CORRUPT;
        let b = peek(sb, pos);
        const eL = <u32>load<u16>(tLL + ((<usize>(<u32>b & mLL)) << 1));
        b >>= eL & 15;
        const eM = <u32>load<u16>(tML + ((<usize>(<u32>b & mML)) << 1));
        b >>= eM & 15;
        const eO = <u32>load<u16>(tOF + ((<usize>(<u32>b & mOF)) << 1));
        pos += (eL & 15) + (eM & 15) + (eO & 15);
        const llc = eL >> 4, mlc = eM >> 4, ofc = eO >> 4;
        b = peek(sb, pos);
        // offset extra, match length extra, then literal length extra
        let ofv = ofc;
        if (ofc >= 10) {
          const nb = ofExtra(ofc);
          ofv = ofBase(ofc) + (<u32>b & ((<u32>1 << nb) - 1));
          b >>= nb; pos += nb;
        }
        let ml = mlc;
        if (mlc >= 16) {
          const nb = lenExtra(mlc);
          ml = lenBase(mlc) + (<u32>b & ((<u32>1 << nb) - 1));
          pos += nb;
        }
        ml += MIN_MATCH;
        let ll = llc;
        if (llc >= 16) {
          const nb = lenExtra(llc);
          ll = lenBase(llc) + (<u32>peek(sb, pos) & ((<u32>1 << nb) - 1));
          pos += nb;
        }
        if (<usize>ll > litEnd - litp || <u64>ll + <u64>ml > <u64>(subEnd - op)) return E_CORRUPT;
        // literals: 16-byte wild copies (LIT and OUT have slack)
        {
          let s = litp, d = op;
          const de = op + ll;
          while (d < de) {
            store<u64>(d, load<u64>(s));
            store<u64>(d + 8, load<u64>(s + 8));
            d += 16; s += 16;
          }
          litp += ll;
          op = de;
        }
        let dist: u32;
        if (ofv >= 3) {
          dist = ofv - 2;
          rep2 = rep1; rep1 = rep0; rep0 = dist;
        } else if (ofv == 0) {
          dist = rep0;
        } else if (ofv == 1) {
          dist = rep1; rep1 = rep0; rep0 = dist;
        } else {
          dist = rep2; rep2 = rep1; rep1 = rep0; rep0 = dist;
        }
        if (<usize>dist > op - OUT) return E_CORRUPT;
        let src = op - dist;
        const de = op + ml;
        if (dist >= 16) {
          let d = op;
          while (d < de) {
            store<u64>(d, load<u64>(src));
            store<u64>(d + 8, load<u64>(src + 8));
            d += 16; src += 16;
          }
        } else if (dist >= 8) {
          let d = op;
          while (d < de) {
            store<u64>(d, load<u64>(src));
            d += 8; src += 8;
          }
        } else {
          let d = op;
          while (d < de) {
            store<u8>(d, load<u8>(src));
            d++; src++;
          }
        }
        op = de;
      }
      if (pos > endBits) return E_CORRUPT;
    }
    // trailing literals
    const rest = litEnd - litp;
    if (op + rest != subEnd) return E_CORRUPT;
    memory.copy(op, litp, rest);
    op = subEnd;
  }
  if (vip != end) return E_TRAILING;
  return <i32>n;
}
