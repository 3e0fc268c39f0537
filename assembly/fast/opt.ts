// Optimal parser (levels 5–9): a shortest path over a window of positions (up to OPT_WINDOW), each step priced in
// 1/16 bit from the statistics of the sequences already chosen (re-estimated every 2048 sequences), in the style of
// LZMA's and zstd's optimal parsers. Matches come from the hash chains (depth and "nice length" per level) and the
// three repeat offsets of the path that reaches the position.
import { IN, NICE_MAX, OPT, OPT_NODE_SIZE, OPT_WINDOW, SEQ_LL, SEQ_ML, SEQ_OF } from "./layout";
import { CHAIN, HEAD } from "./layout";
import { emitSeq, hash4, insertUpTo, matchLen, nSeq, rep0, rep1, rep2 } from "./match";
import { MIN_MATCH, lenCode, lenExtra, ofCode, ofExtra } from "./huff";

const P_LIT: usize = memory.data(256 * 4);
const P_LL: usize = memory.data(64 * 4);
const P_ML: usize = memory.data(64 * 4);
const P_OF: usize = memory.data(64 * 4);
const CNT: usize = memory.data((256 + 64 * 3) * 4);
const MATCH_L: usize = memory.data(64 * 4);
const MATCH_D: usize = memory.data(64 * 4);

// node fields (u32): cost, len (0: literal step), dist, litRun, r0, r1, r2
// @ts-ignore: decorator
@inline function nd(i: u32): usize { return OPT + <usize>i * OPT_NODE_SIZE; }

function setPrices(dst: usize, cnt: usize, n: u32, floorBits: f64): void {
  let total: f64 = 0;
  for (let s: u32 = 0; s < n; s++) total += <f64>load<u32>(cnt + (<usize>s << 2)) + 0.5;
  for (let s: u32 = 0; s < n; s++) {
    const f = <f64>load<u32>(cnt + (<usize>s << 2)) + 0.5;
    let b = NativeMath.log2(total / f);
    if (b < floorBits) b = floorBits;
    store<u32>(dst + (<usize>s << 2), <u32>(b * 16.0 + 0.5));
  }
}

/** Re-estimates the prices from the sequences [s0, s1) and the literals they carry, starting at block pos. */
function updatePrices(s0: u32, s1: u32, pos: u32): void {
  memory.fill(CNT, 0, (256 + 64 * 3) * 4);
  const cL = CNT + 256 * 4, cM = cL + 256, cO = cM + 256;
  for (let k = s0; k < s1; k++) {
    const ll = load<u32>(SEQ_LL + (<usize>k << 2));
    const ml = load<u32>(SEQ_ML + (<usize>k << 2));
    const ov = load<u32>(SEQ_OF + (<usize>k << 2));
    for (let q: u32 = 0; q < ll; q++) {
      const a = CNT + (<usize>load<u8>(IN + pos + q) << 2);
      store<u32>(a, load<u32>(a) + 1);
    }
    pos += ll + ml;
    let a = cL + (<usize>lenCode(ll) << 2); store<u32>(a, load<u32>(a) + 1);
    a = cM + (<usize>lenCode(ml - MIN_MATCH) << 2); store<u32>(a, load<u32>(a) + 1);
    a = cO + (<usize>ofCode(ov) << 2); store<u32>(a, load<u32>(a) + 1);
  }
  setPrices(P_LIT, CNT, 256, 0.5);
  setPrices(P_LL, cL, 58, 0.5);
  setPrices(P_ML, cM, 58, 0.5);
  setPrices(P_OF, cO, 52, 0.5);
}

function initPrices(n: u32): void {
  // literals: order-0 statistics of (a sample of) the block; codes: a guess that favours short codes
  memory.fill(CNT, 0, (256 + 64 * 3) * 4);
  const step: u32 = n > (1 << 20) ? n >> 20 : 1;
  for (let q: u32 = 0; q < n; q += step) {
    const a = CNT + (<usize>load<u8>(IN + q) << 2);
    store<u32>(a, load<u32>(a) + 1);
  }
  setPrices(P_LIT, CNT, 256, 0.5);
  for (let c: u32 = 0; c < 64; c++) {
    store<u32>(P_LL + (<usize>c << 2), (2 + c / 2) * 16);
    store<u32>(P_ML + (<usize>c << 2), (2 + c / 3) * 16);
    store<u32>(P_OF + (<usize>c << 2), (3 + c / 6) * 16);
  }
}

// @ts-ignore: decorator
@inline function llPrice(ll: u32): u32 {
  const c = lenCode(ll);
  return load<u32>(P_LL + (<usize>c << 2)) + (lenExtra(c) << 4);
}
// @ts-ignore: decorator
@inline function matchPrice(ml: u32, ofv: u32): u32 {
  const mc = lenCode(ml - MIN_MATCH), oc = ofCode(ofv);
  return load<u32>(P_ML + (<usize>mc << 2)) + (lenExtra(mc) << 4) + load<u32>(P_OF + (<usize>oc << 2)) + (ofExtra(oc) << 4);
}

/** ofv for distance d given reps (a, b, c), as emitSeq would code it. */
// @ts-ignore: decorator
@inline function ofvOf(d: u32, a: u32, b: u32, c: u32): u32 {
  return d == a ? 0 : d == b ? 1 : d == c ? 2 : d + 2;
}

// relax node j with a match (len ≥ MIN_MATCH, dist) from node i
// @ts-ignore: decorator
@inline function relaxMatch(i: u32, j: u32, cost: u32, dist: u32): void {
  const t = nd(j);
  if (cost < load<u32>(t)) {
    const s = nd(i);
    const a = load<u32>(s + 16), b = load<u32>(s + 20), c = load<u32>(s + 24);
    store<u32>(t, cost);
    store<u32>(t + 4, j - i);
    store<u32>(t + 8, dist);
    store<u32>(t + 12, 0);
    if (dist == a) { store<u32>(t + 16, a); store<u32>(t + 20, b); store<u32>(t + 24, c); }
    else if (dist == b) { store<u32>(t + 16, b); store<u32>(t + 20, a); store<u32>(t + 24, c); }
    else { store<u32>(t + 16, dist); store<u32>(t + 20, a); store<u32>(t + 24, b); }
  }
}

/** Optimal parse of IN[0, n) into the sequence arrays; returns where the literal tail starts. */
export function parseOptimal(n: u32, level: u32): u32 {
  if (n < 16) return 0;
  const depth: u32 = level == 5 ? 4 : level == 6 ? 8 : level == 7 ? 16 : level == 8 ? 48 : 128;
  const nice: u32 = level == 5 ? 48 : level == 6 ? 64 : level == 7 ? 128 : level == 8 ? 256 : 1024;
  const end = IN + n;
  const limit = n - 8;
  initPrices(n);
  let lastUpdate: u32 = 0;
  let updatePos: u32 = 0;
  let anchor: u32 = 0;
  let p: u32 = 0;
  while (p < limit) {
    // window at p
    const n0 = nd(0);
    store<u32>(n0, 1 << 24); // a base, so that costs stay positive (a longer literal run can be cheaper)
    store<u32>(n0 + 4, 0);
    store<u32>(n0 + 12, p - anchor);
    store<u32>(n0 + 16, rep0); store<u32>(n0 + 20, rep1); store<u32>(n0 + 24, rep2);
    let reach: u32 = 0; // furthest node initialised
    let i: u32 = 0;
    let stop: u32 = 0;
    let forcedLen: u32 = 0;
    let forcedDist: u32 = 0;
    while (true) {
      const pos = p + i;
      if (pos >= limit) { stop = i; break; }
      const s = nd(i);
      const cost = load<u32>(s);
      const run = load<u32>(s + 12);
      // make sure nodes up to i + nice exist
      const want = i + nice + 1;
      while (reach < want) { reach++; store<u32>(nd(reach), 0xffffffff); }
      // literal step
      {
        const c = cost + load<u32>(P_LIT + (<usize>load<u8>(IN + pos) << 2)) + llPrice(run + 1) - llPrice(run);
        const t = nd(i + 1);
        if (c < load<u32>(t)) {
          store<u32>(t, c); store<u32>(t + 4, 0); store<u32>(t + 12, run + 1);
          store<u32>(t + 16, load<u32>(s + 16)); store<u32>(t + 20, load<u32>(s + 20)); store<u32>(t + 24, load<u32>(s + 24));
        }
      }
      const base = cost + llPrice(run);
      const ptr = IN + pos;
      const a = load<u32>(s + 16), b = load<u32>(s + 20), c3 = load<u32>(s + 24);
      let bestLen: u32 = MIN_MATCH - 1;
      let bestDist: u32 = 0;
      // repeat offsets
      for (let r: u32 = 0; r < 3; r++) {
        const d = r == 0 ? a : r == 1 ? b : c3;
        if (d > pos || (r == 1 && d == a) || (r == 2 && (d == a || d == b))) continue;
        if ((load<u32>(ptr) & 0xffffff) != (load<u32>(ptr - d) & 0xffffff)) continue;
        const l = matchLen(ptr, ptr - d, end);
        if (l >= nice) { bestLen = l; bestDist = d; break; }
        const pm = base;
        for (let L: u32 = MIN_MATCH; L <= l; L++) relaxMatch(i, i + L, pm + matchPrice(L, r), d);
        if (l > bestLen) { bestLen = l; bestDist = d; }
      }
      if (bestLen < nice) {
        // hash chain matches of increasing length
        insertUpTo(pos);
        let cand = load<u32>(HEAD + (<usize>hash4(ptr) << 2));
        let dep = depth;
        let prevLen: u32 = MIN_MATCH;
        while (dep > 0 && cand < pos) {
          const cp = IN + cand;
          if (load<u8>(cp + prevLen) == load<u8>(ptr + prevLen) && load<u32>(cp) == load<u32>(ptr)) {
            const l = matchLen(ptr, cp, end);
            if (l > prevLen) {
              const d = pos - cand;
              if (l >= nice) { bestLen = l; bestDist = d; break; }
              const ov = ofvOf(d, a, b, c3);
              for (let L = prevLen + 1; L <= l; L++) relaxMatch(i, i + L, base + matchPrice(L, ov), d);
              prevLen = l;
              if (l > bestLen) { bestLen = l; bestDist = d; }
            }
          }
          cand = load<u32>(CHAIN + (<usize>cand << 2));
          dep--;
        }
      }
      if (bestLen >= nice) {
        // a long match: the window ends at i, then this match is taken
        forcedLen = bestLen;
        forcedDist = bestDist;
        stop = i;
        break;
      }
      i++;
      // stop where no pending path reaches further, or at the window's end
      if (i >= OPT_WINDOW) { stop = i; break; }
      let pend = false;
      // a node beyond i that is reachable means some match crosses i
      // (checked cheaply: the furthest relaxed index is tracked by scanning from the top)
      while (reach > i && load<u32>(nd(reach)) == 0xffffffff) reach--;
      pend = reach > i;
      if (!pend) { stop = i; break; }
    }
    // backtrack from stop: reverse the path into nodes' litRun field as "next" links, then emit
    let j = stop;
    // trailing literals after the last match on the path stay pending
    // walk back collecting match steps
    let count: u32 = 0;
    while (j > 0) {
      const t = nd(j);
      const len = load<u32>(t + 4);
      if (len == 0) { j--; continue; }
      // push (j) onto a stack kept in the node area above reach: reuse field 28 as a stack slot of node `count`
      store<u32>(nd(count) + 28, j);
      count++;
      j -= len;
    }
    while (count > 0) {
      count--;
      const jj = load<u32>(nd(count) + 28);
      const t = nd(jj);
      const len = load<u32>(t + 4);
      const dist = load<u32>(t + 8);
      const start = p + jj - len;
      emitSeq(start - anchor, len, dist);
      anchor = start + len;
    }
    p += stop;
    if (forcedLen > 0) {
      emitSeq(p - anchor, forcedLen, forcedDist);
      p += forcedLen;
      anchor = p;
    }
    insertUpTo(min(p, limit));
    if (nSeq - lastUpdate >= 2048) {
      updatePrices(lastUpdate, nSeq, updatePos);
      for (let k = lastUpdate; k < nSeq; k++) updatePos += load<u32>(SEQ_LL + (<usize>k << 2)) + load<u32>(SEQ_ML + (<usize>k << 2));
      lastUpdate = nSeq;
    }
  }
  return anchor;
}
