// The parsers' shared state (lazy parser in encode.ts, optimal parser in opt.ts): the sequence arrays' count,
// the three repeat offsets, the hash chains and the match-length helper.
import { CHAIN, HEAD, IN, SEQ_LL, SEQ_ML, SEQ_OF } from "./layout";

// ---- shared parser state
export let nSeq: u32 = 0;
export let rep0: u32 = 1;
export let rep1: u32 = 4;
export let rep2: u32 = 8;

/** Appends a sequence: ll literals then a match of length ml at distance dist; returns its offset value. */
// @ts-ignore: decorator
@inline export function emitSeq(ll: u32, ml: u32, dist: u32): void {
  let ofv: u32;
  if (dist == rep0) ofv = 0;
  else if (dist == rep1) { ofv = 1; rep1 = rep0; rep0 = dist; }
  else if (dist == rep2) { ofv = 2; rep2 = rep1; rep1 = rep0; rep0 = dist; }
  else { ofv = dist + 2; rep2 = rep1; rep1 = rep0; rep0 = dist; }
  const k = <usize>nSeq << 2;
  store<u32>(SEQ_LL + k, ll);
  store<u32>(SEQ_ML + k, ml);
  store<u32>(SEQ_OF + k, ofv);
  nSeq++;
}

/** Length of the common prefix of a and b, b < a, comparing up to `end` (exclusive) on a's side. */
// @ts-ignore: decorator
@inline export function matchLen(a: usize, b: usize, end: usize): u32 {
  const start = a;
  while (a + 8 <= end) {
    const x = load<u64>(a) ^ load<u64>(b);
    if (x != 0) return <u32>(a - start) + <u32>(ctz(x) >> 3);
    a += 8; b += 8;
  }
  while (a < end && load<u8>(a) == load<u8>(b)) { a++; b++; }
  return <u32>(a - start);
}

export let hashBits: u32 = 20;
// @ts-ignore: decorator
@inline export function hash4(p: usize): u32 {
  return (load<u32>(p) * 2654435761) >> (32 - hashBits);
}

export let nextIns: u32 = 0;
/** Inserts every position from nextIns up to p (exclusive) into the hash chains. */
// @ts-ignore: decorator
@inline export function insertUpTo(p: u32): void {
  let i = nextIns;
  while (i < p) {
    const h = <usize>hash4(IN + i) << 2;
    store<u32>(CHAIN + (<usize>i << 2), load<u32>(HEAD + h));
    store<u32>(HEAD + h, i);
    i++;
  }
  nextIns = i;
}

export function resetMatcher(n: u32): void {
  let hb: u32 = 12;
  while (hb < 22 && (<u32>1 << hb) < n) hb++;
  hashBits = hb;
  memory.fill(HEAD, 0xff, (<usize>1 << hb) << 2);
  nextIns = 0;
  nSeq = 0;
  rep0 = 1; rep1 = 4; rep2 = 8;
  store<u64>(IN + n, 0);
  store<u64>(IN + n + 8, 0);
}
