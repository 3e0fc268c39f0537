// The fast codec's encoder: a parser (lazy hash chains, or a price-driven optimal parse, by level) fills the
// sequence arrays; the entropy stage cuts them into sub-blocks and codes each with its own Huffman tables.
import { CHAIN, HEAD, IN, LIT, MAX_BLOCK, OUT, SEQ_LL, SEQ_ML, SEQ_OF } from "./layout";
import {
  LL_SYMS, MAX_CODE_LEN, ML_SYMS, MIN_MATCH, OF_SYMS, buildCodes, buildLengths, lenCode, lenExtra, ofCode, ofExtra,
  writeTable, writeVarint,
} from "./huff";
import { emitSeq, hash4, insertUpTo, matchLen, nSeq, resetMatcher, rep0 } from "./match";
import { parseOptimal } from "./opt";


let bestDist: u32 = 0;
/** Longest match at p among `depth` chain candidates (longer than minLen); sets bestDist. */
function findMatch(p: u32, end: usize, depth: u32, minLen: u32): u32 {
  let best = minLen;
  const ptr = IN + p;
  let cand = load<u32>(HEAD + (<usize>hash4(ptr) << 2));
  while (depth > 0 && cand < p) {
    const cp = IN + cand;
    if (load<u8>(cp + best) == load<u8>(ptr + best) && load<u32>(cp) == load<u32>(ptr)) {
      const l = matchLen(ptr, cp, end);
      if (l > best) {
        best = l;
        bestDist = p - cand;
        if (ptr + l >= end) break;
      }
    }
    cand = load<u32>(CHAIN + (<usize>cand << 2));
    depth--;
  }
  return best;
}

// @ts-ignore: decorator
@inline function gainOf(len: u32, dist: u32): i32 {
  return <i32>(len * 4) - <i32>(31 - clz(dist + 1));
}

/** Lazy parse (zstd's lazy/lazy2 idea) of IN[0, n) into the sequence arrays. Returns the literal tail start. */
export function parseLazy(n: u32, depth: u32, lazySteps: u32): u32 {
  const end = IN + n;
  let anchor: u32 = 0;
  let p: u32 = 0;
  if (n < 16) return 0;
  const limit = n - 8;
  while (p < limit) {
    insertUpTo(p);
    // repeat offsets first
    let len: u32 = 0;
    let dist: u32 = 0;
    let gain: i32 = 0;
    {
      const ptr = IN + p;
      if (rep0 <= p && load<u32>(ptr) == load<u32>(ptr - rep0)) {
        len = matchLen(ptr, ptr - rep0, end); dist = rep0; gain = <i32>(len * 4) + 1;
      }
    }
    bestDist = 0;
    const ml = findMatch(p, end, depth, 3);
    if (ml > 3) {
      const g = gainOf(ml, bestDist);
      if (g > gain) { len = ml; dist = bestDist; gain = g; }
    }
    if (len < 4) {
      p += 1 + ((p - anchor) >> 8); // skip faster through incompressible stretches
      continue;
    }
    // lazy: a better match one position later?
    let steps = lazySteps;
    while (steps > 0 && p + 1 < limit) {
      const q = p + 1;
      insertUpTo(q);
      let l2: u32 = 0, d2: u32 = 0, g2: i32 = -1000;
      const qp = IN + q;
      if (rep0 <= q && load<u32>(qp) == load<u32>(qp - rep0)) {
        l2 = matchLen(qp, qp - rep0, end); d2 = rep0; g2 = <i32>(l2 * 4) + 1;
      }
      bestDist = 0;
      const m2 = findMatch(q, end, depth, len);
      if (m2 > len) {
        const g = gainOf(m2, bestDist);
        if (g > g2) { l2 = m2; d2 = bestDist; g2 = g; }
      }
      const bias: i32 = steps == lazySteps ? 4 : 7;
      if (l2 >= 4 && g2 > gain + bias) {
        p = q; len = l2; dist = d2; gain = g2;
        steps--;
      } else break;
    }
    // extend backwards over literals
    while (p > anchor && dist < p && load<u8>(IN + p - 1) == load<u8>(IN + p - 1 - dist)) { p--; len++; }
    emitSeq(p - anchor, len, dist);
    p += len;
    anchor = p;
  }
  return anchor;
}

// ---- entropy stage

const FREQ: usize = memory.data(4 * 256 * 4);
const LENS: usize = memory.data(4 * 256);
const CODES: usize = memory.data(4 * 256 * 2);
// @ts-ignore: decorator
@inline function freqOf(t: u32): usize { return FREQ + (<usize>t << 10); }
// @ts-ignore: decorator
@inline function lensOf(t: u32): usize { return LENS + (<usize>t << 8); }
// @ts-ignore: decorator
@inline function codesOf(t: u32): usize { return CODES + (<usize>t << 9); }

let acc: u64 = 0;
let cnt: u32 = 0;
let wp: usize = 0;
// @ts-ignore: decorator
@inline function put(v: u32, n: u32): void {
  acc |= <u64>v << cnt;
  cnt += n;
  if (cnt >= 32) {
    store<u32>(wp, <u32>acc);
    wp += 4;
    acc >>= 32;
    cnt -= 32;
  }
}
function flushBits(): usize {
  while (cnt > 0) {
    store<u8>(wp++, <u8>acc);
    acc >>= 8;
    cnt = cnt > 8 ? cnt - 8 : 0;
  }
  acc = 0;
  return wp;
}

let singleSym: u32 = 0;
function makeCode(t: u32, n: u32): u32 {
  const used = buildLengths(freqOf(t), n, lensOf(t), MAX_CODE_LEN);
  if (used == 1) {
    for (let s: u32 = 0; s < n; s++) if (load<u32>(freqOf(t) + (<usize>s << 2)) != 0) singleSym = s;
  }
  buildCodes(lensOf(t), n, codesOf(t));
  return used;
}

// @ts-ignore: decorator
@inline function putSym(t: u32, s: u32): void {
  put(<u32>load<u16>(codesOf(t) + (<usize>s << 1)), <u32>load<u8>(lensOf(t) + s));
}

/** Writes one sub-block: sequences [s0, s1) starting at block position pos, plus `tail` trailing literals. */
function costBits(t: u32, n: u32): u64 {
  let bits: u64 = 0;
  for (let s: u32 = 0; s < n; s++) bits += <u64>load<u32>(freqOf(t) + (<usize>s << 2)) * <u64>load<u8>(lensOf(t) + s);
  return bits;
}

/**
 * Writes one sub-block: sequences [s0, s1) starting at block position pos, plus `tail` trailing literals. Returns
 * the new op, or limit + 1 (without writing past limit + a table) when the sub-block would end past `limit`.
 */
function writeSub(op: usize, s0: u32, s1: u32, pos: u32, tail: u32, limit: usize): usize {
  memory.fill(FREQ, 0, 4 * 256 * 4);
  // gather the literals into LIT and count every symbol
  let lp: usize = LIT;
  let outLen: u32 = 0;
  let extraBits: u64 = 0;
  const fl = freqOf(0), fL = freqOf(1), fM = freqOf(2), fO = freqOf(3);
  for (let k = s0; k < s1; k++) {
    const ll = load<u32>(SEQ_LL + (<usize>k << 2));
    const ml = load<u32>(SEQ_ML + (<usize>k << 2));
    const ov = load<u32>(SEQ_OF + (<usize>k << 2));
    memory.copy(lp, IN + pos, ll);
    lp += ll;
    pos += ll + ml;
    outLen += ll + ml;
    let a = fL + (<usize>lenCode(ll) << 2); store<u32>(a, load<u32>(a) + 1);
    a = fM + (<usize>lenCode(ml - MIN_MATCH) << 2); store<u32>(a, load<u32>(a) + 1);
    a = fO + (<usize>ofCode(ov) << 2); store<u32>(a, load<u32>(a) + 1);
    extraBits += <u64>(lenExtra(lenCode(ll)) + lenExtra(lenCode(ml - MIN_MATCH)) + ofExtra(ofCode(ov)));
  }
  memory.copy(lp, IN + pos, tail);
  lp += tail;
  outLen += tail;
  const nLit = <u32>(lp - LIT);
  for (let q: usize = LIT; q < lp; q++) {
    const a = fl + (<usize>load<u8>(q) << 2);
    store<u32>(a, load<u32>(a) + 1);
  }
  const nS = s1 - s0;
  op = writeVarint(op, outLen);
  op = writeVarint(op, nS);
  op = writeVarint(op, nLit);
  if (nLit > 0) {
    const used = makeCode(0, 256);
    op = writeTable(op, lensOf(0), 256, used, singleSym);
    if (used > 1) {
      if (op + <usize>(costBits(0, 256) >> 3) + 64 > limit) return limit + 1;
      // 4 streams, written after a 16-byte gap for their lengths, then moved down
      const c0 = (nLit + 3) >> 2, c1 = (nLit + 2) >> 2, c2 = (nLit + 1) >> 2, c3 = nLit >> 2;
      const gap = op + 16;
      wp = gap; acc = 0; cnt = 0;
      let q: usize = LIT;
      for (let i: u32 = 0; i < c0; i++) putSym(0, load<u8>(q++));
      const e0 = flushBits();
      for (let i: u32 = 0; i < c1; i++) putSym(0, load<u8>(q++));
      const e1 = flushBits();
      for (let i: u32 = 0; i < c2; i++) putSym(0, load<u8>(q++));
      const e2 = flushBits();
      for (let i: u32 = 0; i < c3; i++) putSym(0, load<u8>(q++));
      const e3 = flushBits();
      op = writeVarint(op, <u32>(e0 - gap));
      op = writeVarint(op, <u32>(e1 - e0));
      op = writeVarint(op, <u32>(e2 - e1));
      op = writeVarint(op, <u32>(e3 - e2));
      memory.copy(op, gap, e3 - gap);
      op += e3 - gap;
    }
  }
  if (nS > 0) {
    let used = makeCode(1, LL_SYMS);
    op = writeTable(op, lensOf(1), LL_SYMS, used, singleSym);
    used = makeCode(2, ML_SYMS);
    op = writeTable(op, lensOf(2), ML_SYMS, used, singleSym);
    used = makeCode(3, OF_SYMS);
    op = writeTable(op, lensOf(3), OF_SYMS, used, singleSym);
    if (op + <usize>((costBits(1, LL_SYMS) + costBits(2, ML_SYMS) + costBits(3, OF_SYMS) + extraBits) >> 3) + 64 > limit) return limit + 1;
    const gap = op + 4;
    wp = gap; acc = 0; cnt = 0;
    for (let k = s0; k < s1; k++) {
      const ll = load<u32>(SEQ_LL + (<usize>k << 2));
      const ml = load<u32>(SEQ_ML + (<usize>k << 2)) - MIN_MATCH;
      const ov = load<u32>(SEQ_OF + (<usize>k << 2));
      const lc = lenCode(ll), mc = lenCode(ml), oc = ofCode(ov);
      putSym(1, lc);
      putSym(2, mc);
      putSym(3, oc);
      if (oc >= 10) { const nb = ofExtra(oc); put((ov - 2) & ((<u32>1 << nb) - 1), nb); }
      if (mc >= 16) { const nb = lenExtra(mc); put(ml & ((<u32>1 << nb) - 1), nb); }
      if (lc >= 16) { const nb = lenExtra(lc); put(ll & ((<u32>1 << nb) - 1), nb); }
    }
    const e = flushBits();
    op = writeVarint(op, <u32>(e - gap));
    memory.copy(op, gap, e - gap);
    op += e - gap;
  }
  return op;
}

export let subTarget: u32 = 128 << 10;

/** Codes the n-byte block in IN at `level` into OUT; returns the payload length (≤ n + 1). */
export function encodeBlock(n: u32, level: u32): i32 {
  if (n > MAX_BLOCK) return -1;
  let tailStart: u32 = 0;
  resetMatcher(n);
  if (level >= 5) {
    tailStart = parseOptimal(n, level);
  } else {
    const depth: u32 = level == 1 ? 2 : level == 2 ? 6 : level == 3 ? 16 : 32;
    const lazy: u32 = level == 1 ? 0 : level == 2 ? 1 : 2;
    tailStart = parseLazy(n, depth, lazy);
  }
  // entropy stage: sub-blocks of about subTarget output bytes
  let op: usize = OUT;
  const limit: usize = OUT + n;
  store<u8>(op++, 1);
  let s0: u32 = 0;
  let pos: u32 = 0;
  let acc2: u32 = 0;
  let k: u32 = 0;
  while (k < nSeq) {
    acc2 += load<u32>(SEQ_LL + (<usize>k << 2)) + load<u32>(SEQ_ML + (<usize>k << 2));
    k++;
    if (acc2 >= subTarget && k < nSeq) {
      op = writeSub(op, s0, k, pos, 0, limit);
      if (op - OUT > <usize>n) break;
      pos += acc2;
      acc2 = 0;
      s0 = k;
    }
  }
  if (op - OUT <= <usize>n && k > s0) {
    op = writeSub(op, s0, nSeq, pos, 0, limit);
  }
  // the literal tail, in sub-blocks of at most subTarget literals
  let t = tailStart;
  while (op - OUT <= <usize>n && t < n) {
    const c = min(n - t, subTarget);
    op = writeSub(op, 0, 0, t, c, limit);
    t += c;
  }
  if (op - OUT >= <usize>n + 1 || n == 0) {
    // stored raw
    store<u8>(OUT, 0);
    memory.copy(OUT + 1, IN, n);
    return <i32>(n + 1);
  }
  return <i32>(op - OUT);
}
