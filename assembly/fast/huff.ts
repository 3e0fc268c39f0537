// Canonical Huffman codes (at most 11 bits) shared by the fast codec's encoder and decoder, and the symbol codes
// for literal lengths, match lengths and offsets (docs/CODEC.md, "fast codec").

// @ts-ignore: decorator
@inline export const MAX_CODE_LEN: u32 = 11;
// @ts-ignore: decorator
@inline export const MIN_MATCH: u32 = 3;
// @ts-ignore: decorator
@inline export const REP_CODES: u32 = 3;

// ---- value codes: a value below 16 is its own code; above, 2 codes per power of two (the bit below the top one
// is part of the code), the rest are extra bits.
// @ts-ignore: decorator
@inline export function lenCode(v: u32): u32 {
  if (v < 16) return v;
  const nb = 31 - clz(v);
  return 16 + ((nb - 4) << 1) + ((v >> (nb - 1)) & 1);
}
// @ts-ignore: decorator
@inline export function lenExtra(code: u32): u32 {
  return code < 16 ? 0 : ((code - 16) >> 1) + 3;
}
// @ts-ignore: decorator
@inline export function lenBase(code: u32): u32 {
  if (code < 16) return code;
  return (2 | (code & 1)) << (((code - 16) >> 1) + 3);
}
// offset values: 0–2 are repeat offsets, v ≥ 3 is the distance v − 2. Distances 1–7 are codes 3–9; above, 2 codes
// per power of two from 8 (code 10).
// @ts-ignore: decorator
@inline export function ofCode(v: u32): u32 {
  if (v < 10) return v;
  const d = v - 2;
  const nb = 31 - clz(d);
  return 10 + ((nb - 3) << 1) + ((d >> (nb - 1)) & 1);
}
// @ts-ignore: decorator
@inline export function ofExtra(code: u32): u32 {
  return code < 10 ? 0 : ((code - 10) >> 1) + 2;
}
// @ts-ignore: decorator
@inline export function ofBase(code: u32): u32 {
  if (code < 10) return code;
  return ((2 | (code & 1)) << (((code - 10) >> 1) + 2)) + 2;
}
export const LL_SYMS: u32 = 58; // values up to 2^24
export const ML_SYMS: u32 = 58;
export const OF_SYMS: u32 = 52; // distances up to 2^24 − 1

// ---- code lengths from frequencies (encoder)

// scratch: sorted (freq << 9 | symbol) pairs, then the in-place Moffat–Katajainen lengths
const SORT: usize = memory.data(256 * 8 + 64);
const WORK: usize = memory.data(256 * 4 + 64);

/**
 * Computes code lengths (≤ maxLen) for the `n` frequencies (u32) at `freq` into the u8 array `lens`. Returns the
 * number of symbols used. One used symbol gets length 0 (a zero-bit code); none, all zero.
 */
export function buildLengths(freq: usize, n: u32, lens: usize, maxLen: u32): u32 {
  memory.fill(lens, 0, n);
  let used: u32 = 0;
  let last: u32 = 0;
  for (let s: u32 = 0; s < n; s++) {
    if (load<u32>(freq + (<usize>s << 2)) != 0) { used++; last = s; }
  }
  if (used <= 1) return used;
  let shift: u32 = 0;
  while (true) {
    // sort (freq, symbol) ascending: insertion sort of at most 256 keys
    let k: u32 = 0;
    for (let s: u32 = 0; s < n; s++) {
      let f = <u64>load<u32>(freq + (<usize>s << 2));
      if (f == 0) continue;
      f = (f >> shift) | 1;
      const key: u64 = (f << 9) | <u64>s;
      let j = k;
      while (j > 0 && load<u64>(SORT + (<usize>(j - 1) << 3)) > key) {
        store<u64>(SORT + (<usize>j << 3), load<u64>(SORT + (<usize>(j - 1) << 3)));
        j--;
      }
      store<u64>(SORT + (<usize>j << 3), key);
      k++;
    }
    // Moffat–Katajainen, in place on WORK (u32)
    for (let i: u32 = 0; i < k; i++) store<u32>(WORK + (<usize>i << 2), <u32>(load<u64>(SORT + (<usize>i << 3)) >> 9));
    const A = WORK;
    store<u32>(A, load<u32>(A) + load<u32>(A + 4));
    let root: i32 = 0;
    let leaf: i32 = 2;
    const kk = <i32>k;
    for (let next: i32 = 1; next < kk - 1; next++) {
      if (leaf >= kk || load<u32>(A + (<usize>root << 2)) < load<u32>(A + (<usize>leaf << 2))) {
        store<u32>(A + (<usize>next << 2), load<u32>(A + (<usize>root << 2)));
        store<u32>(A + (<usize>root << 2), <u32>next);
        root++;
      } else {
        store<u32>(A + (<usize>next << 2), load<u32>(A + (<usize>leaf << 2)));
        leaf++;
      }
      if (leaf >= kk || (root < next && load<u32>(A + (<usize>root << 2)) < load<u32>(A + (<usize>leaf << 2)))) {
        store<u32>(A + (<usize>next << 2), load<u32>(A + (<usize>next << 2)) + load<u32>(A + (<usize>root << 2)));
        store<u32>(A + (<usize>root << 2), <u32>next);
        root++;
      } else {
        store<u32>(A + (<usize>next << 2), load<u32>(A + (<usize>next << 2)) + load<u32>(A + (<usize>leaf << 2)));
        leaf++;
      }
    }
    store<u32>(A + (<usize>(kk - 2) << 2), 0);
    for (let next: i32 = kk - 3; next >= 0; next--) {
      store<u32>(A + (<usize>next << 2), load<u32>(A + (<usize>load<u32>(A + (<usize>next << 2)) << 2)) + 1);
    }
    let avbl: i32 = 1;
    let usedN: i32 = 0;
    let depth: u32 = 0;
    let r: i32 = kk - 2;
    let nx: i32 = kk - 1;
    while (avbl > 0) {
      while (r >= 0 && load<u32>(A + (<usize>r << 2)) == depth) { usedN++; r--; }
      while (avbl > usedN) { store<u32>(A + (<usize>nx << 2), depth); nx--; avbl--; }
      avbl = 2 * usedN;
      depth++;
      usedN = 0;
    }
    // A[i] is the length of the i-th least frequent symbol; A[0] is the longest
    if (load<u32>(A) <= maxLen) {
      for (let i: u32 = 0; i < k; i++) {
        store<u8>(lens + <usize>(<u32>load<u64>(SORT + (<usize>i << 3)) & 511), <u8>load<u32>(A + (<usize>i << 2)));
      }
      return used;
    }
    shift++;
  }
}

const NEXT: usize = memory.data(16 * 4);

/** Canonical codes, bit-reversed for an LSB-first writer, as u16 at `codes` (lengths from buildLengths). */
export function buildCodes(lens: usize, n: u32, codes: usize): void {
  memory.fill(NEXT, 0, 16 * 4);
  for (let s: u32 = 0; s < n; s++) {
    const l = <u32>load<u8>(lens + s);
    store<u32>(NEXT + (<usize>l << 2), load<u32>(NEXT + (<usize>l << 2)) + 1);
  }
  let code: u32 = 0;
  store<u32>(NEXT, 0);
  let prevCount: u32 = 0;
  for (let l: u32 = 1; l <= MAX_CODE_LEN; l++) {
    const c = load<u32>(NEXT + (<usize>l << 2));
    code = (code + prevCount) << 1;
    prevCount = c;
    store<u32>(NEXT + (<usize>l << 2), code);
  }
  for (let s: u32 = 0; s < n; s++) {
    const l = <u32>load<u8>(lens + s);
    if (l == 0) { store<u16>(codes + (<usize>s << 1), 0); continue; }
    const c = load<u32>(NEXT + (<usize>l << 2));
    store<u32>(NEXT + (<usize>l << 2), c + 1);
    store<u16>(codes + (<usize>s << 1), <u16>(reverseBits(c, l)));
  }
}

// @ts-ignore: decorator
@inline function reverseBits(c: u32, l: u32): u32 {
  return reverse32(c) >> (32 - l);
}
// @ts-ignore: decorator
@inline function reverse32(x: u32): u32 {
  x = ((x >> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  return bswap<u32>(x);
}

/**
 * Writes the table of `n` code lengths at `op`: varint count c (symbols 0..c−1 follow as 4-bit lengths, low nibble
 * first), or c = 0 then one byte: the only symbol (zero-bit code). Returns the new op.
 */
export function writeTable(op: usize, lens: usize, n: u32, used: u32, single: u32): usize {
  if (used <= 1) {
    store<u8>(op, 0);
    store<u8>(op + 1, <u8>single);
    return op + 2;
  }
  let c = n;
  while (c > 0 && load<u8>(lens + c - 1) == 0) c--;
  op = writeVarint(op, c);
  for (let i: u32 = 0; i < c; i += 2) {
    const lo = <u32>load<u8>(lens + i);
    const hi = i + 1 < c ? <u32>load<u8>(lens + i + 1) : 0;
    store<u8>(op++, <u8>(lo | (hi << 4)));
  }
  return op;
}

// @ts-ignore: decorator
@inline export function writeVarint(op: usize, v: u32): usize {
  while (v >= 0x80) {
    store<u8>(op++, <u8>(v | 0x80));
    v >>= 7;
  }
  store<u8>(op++, <u8>v);
  return op;
}

const DLENS: usize = memory.data(256 + 64);
const DCOUNT: usize = memory.data(16 * 4);

/**
 * Reads a table written by writeTable from [ip, end) for an alphabet of `n` symbols and builds the decode table at
 * `table` (u16 entries symbol << 4 | length, indexed by the next tableLog bits, LSB first). Returns the new ip, or
 * 0 if the table is invalid (too long, a length over 11, an incomplete or over-full code). The table log is stored
 * at TABLE_LOG (a global).
 */
export let tableLog: u32 = 0;
export function readTable(ip: usize, end: usize, n: u32, table: usize): usize {
  if (ip >= end) return 0;
  // varint count (≤ 2 bytes for n ≤ 256)
  let c = <u32>load<u8>(ip++);
  if (c >= 0x80) {
    if (ip >= end) return 0;
    c = (c & 0x7f) | (<u32>load<u8>(ip++) << 7);
  }
  if (c == 0) {
    if (ip >= end) return 0;
    const s = <u32>load<u8>(ip++);
    if (s >= n) return 0;
    tableLog = 0;
    store<u16>(table, <u16>(s << 4));
    return ip;
  }
  if (c > n || c < 2) return 0;
  const bytes = (c + 1) >> 1;
  if (<usize>bytes > end - ip) return 0;
  memory.fill(DCOUNT, 0, 16 * 4);
  let maxL: u32 = 0;
  for (let i: u32 = 0; i < c; i++) {
    const b = <u32>load<u8>(ip + (i >> 1));
    const l = (i & 1) ? b >> 4 : b & 15;
    if (l > MAX_CODE_LEN) return 0;
    store<u8>(DLENS + i, <u8>l);
    store<u32>(DCOUNT + (<usize>l << 2), load<u32>(DCOUNT + (<usize>l << 2)) + 1);
    if (l > maxL) maxL = l;
  }
  if ((c & 1) && (load<u8>(ip + (c >> 1)) >> 4) != 0) return 0; // the unused nibble is zero
  ip += bytes;
  if (maxL == 0) return 0;
  // Kraft sum must be exactly 1 (a complete code): every table entry gets filled
  let kraft: u32 = 0;
  for (let l: u32 = 1; l <= maxL; l++) kraft += load<u32>(DCOUNT + (<usize>l << 2)) << (maxL - l);
  if (kraft != (<u32>1 << maxL)) return 0;
  // canonical codes: first code of each length
  let code: u32 = 0;
  let prev: u32 = 0;
  for (let l: u32 = 1; l <= maxL; l++) {
    const cnt = load<u32>(DCOUNT + (<usize>l << 2));
    code = (code + prev) << 1;
    prev = cnt;
    store<u32>(DCOUNT + (<usize>l << 2), code);
  }
  const size: u32 = 1 << maxL;
  for (let s: u32 = 0; s < c; s++) {
    const l = <u32>load<u8>(DLENS + s);
    if (l == 0) continue;
    const cd = load<u32>(DCOUNT + (<usize>l << 2));
    store<u32>(DCOUNT + (<usize>l << 2), cd + 1);
    const entry = <u16>((s << 4) | l);
    const step: u32 = 1 << l;
    for (let i = reverseBits(cd, l); i < size; i += step) store<u16>(table + (<usize>i << 1), entry);
  }
  tableLog = maxL;
  return ip;
}
