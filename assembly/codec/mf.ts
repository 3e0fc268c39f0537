// Match finders over the whole block (the window is the block: every earlier position can be referenced).
//
//   HASH2  exact table of the last position of each 2-byte string (65 536 entries)
//   HASH3  last position of each 3-byte string (hashed, verified)
//   HASH4  head of each 4-byte hash bucket
//   SON    hash chain (hc4: SON[pos] = previous position of the same bucket) or binary tree (bt4: SON[2 pos],
//          SON[2 pos + 1] = the smaller and greater children, as in the LZMA SDK's bt4)
//
// Positions are stored + 1 (0 = none). find() reports matches of strictly increasing length into MATCHES as
// (length, distance − 1) pairs and returns the number of u32 written (2 per match); lengths stop at mfNice.
import { HASH2, HASH3, HASH3_BITS, HASH4, HASH4_MAX_BITS, MATCHES, SON } from "./layout";

export let mfSrc: usize = 0; // the bytes being searched
export let mfPos: u32 = 0; // next position to insert
export let mfEnd: u32 = 0; // block length
export let mfNice: u32 = 32; // stop searching at this length
export let mfDepth: u32 = 16; // chain / tree steps per position
export let mfBt: bool = true;
let hash4Bits: u32 = 16;

// @ts-ignore: decorator
@inline function h3(v: u32): u32 {
  return ((v & 0xffffff) * 0x9e3779b1) >>> (32 - HASH3_BITS);
}
// @ts-ignore: decorator
@inline function h4(v: u32, bits: u32): u32 {
  return (v * 0x2c1b3c6d + 0x297a2d39) >>> (32 - bits);
}

/** Length of the common prefix of a and b, from `len` up to `limit` (reads up to 7 bytes past a + limit). */
// @ts-ignore: decorator
@inline export function matchLen(a: usize, b: usize, len: u32, limit: u32): u32 {
  while (len + 8 <= limit) {
    const x = load<u64>(a + len) ^ load<u64>(b + len);
    if (x != 0) return len + (<u32>ctz<u64>(x) >>> 3);
    len += 8;
  }
  while (len < limit && load<u8>(a + len) == load<u8>(b + len)) len++;
  return len;
}

export function mfInit(src: usize, n: u32, bt: bool, depth: u32, nice: u32): void {
  mfSrc = src;
  mfPos = 0;
  mfEnd = n;
  mfBt = bt;
  mfDepth = depth;
  mfNice = nice;
  let bits: u32 = 10;
  while (bits < HASH4_MAX_BITS && (<u32>1 << bits) < n) bits++;
  hash4Bits = bits;
  memory.fill(HASH2, 0, 65536 * 4);
  memory.fill(HASH3, 0, (<usize>1 << HASH3_BITS) * 4);
  memory.fill(HASH4, 0, (<usize>1 << bits) * 4);
}

/** Bytes available from the next position to insert. */
// @ts-ignore: decorator
@inline export function mfAvail(): u32 {
  return mfEnd - mfPos;
}

/** Finds the matches at mfPos and inserts it. Returns the number of u32 written to MATCHES. */
export function mfFind(): u32 {
  const pos = mfPos;
  const avail = mfEnd - pos;
  mfPos = pos + 1;
  if (avail < 4) return 0;
  const lenLimit = avail < mfNice ? avail : mfNice;
  const cur = mfSrc + pos;
  const v = load<u32>(cur);
  const a2 = HASH2 + ((<usize>v & 0xffff) << 2);
  const a3 = HASH3 + (<usize>h3(v) << 2);
  const a4 = HASH4 + (<usize>h4(v, hash4Bits) << 2);
  const e2 = load<u32>(a2);
  const e3 = load<u32>(a3);
  let curMatch = load<u32>(a4);
  const me = pos + 1;
  store<u32>(a2, me);
  store<u32>(a3, me);
  store<u32>(a4, me);

  let count: u32 = 0;
  let maxLen: u32 = 1;
  if (e2 != 0) {
    // exact 2-byte table: the first two bytes match
    store<u32>(MATCHES, 2);
    store<u32>(MATCHES + 4, pos - e2);
    maxLen = 2;
    count = 2;
  }
  if (e3 != 0 && e3 != e2) {
    const d3 = me - e3;
    if ((load<u32>(cur - d3) & 0xffffff) == (v & 0xffffff)) {
      store<u32>(MATCHES + (<usize>count << 2), 3);
      store<u32>(MATCHES + (<usize>count << 2) + 4, d3 - 1);
      maxLen = 3;
      count += 2;
    }
  }
  if (count != 0) {
    const d = load<u32>(MATCHES + (<usize>count << 2) - 4) + 1;
    maxLen = matchLen(cur, cur - d, maxLen, lenLimit);
    store<u32>(MATCHES + (<usize>count << 2) - 8, maxLen);
    if (maxLen == lenLimit) {
      if (mfBt) btSkipTree(pos, cur, curMatch, lenLimit);
      else store<u32>(SON + (<usize>pos << 2), curMatch);
      return count;
    }
  }
  if (maxLen < 3) maxLen = 3;
  if (mfBt) return btFindTree(pos, cur, curMatch, lenLimit, maxLen, count);
  return hcFindChain(pos, cur, curMatch, lenLimit, maxLen, count);
}

function hcFindChain(pos: u32, cur: usize, curMatch: u32, lenLimit: u32, maxLen: u32, count: u32): u32 {
  store<u32>(SON + (<usize>pos << 2), curMatch);
  let depth = mfDepth;
  while (curMatch != 0 && depth-- != 0) {
    const m = curMatch - 1;
    const delta = pos - m;
    const pb = cur - delta;
    // quick reject on the byte that would make the match longer
    if (load<u8>(pb + maxLen) == load<u8>(cur + maxLen)) {
      const len = matchLen(cur, pb, 0, lenLimit);
      if (len > maxLen) {
        maxLen = len;
        store<u32>(MATCHES + (<usize>count << 2), len);
        store<u32>(MATCHES + (<usize>count << 2) + 4, delta - 1);
        count += 2;
        if (len == lenLimit) break;
      }
    }
    curMatch = load<u32>(SON + (<usize>m << 2));
  }
  return count;
}

function btFindTree(pos: u32, cur: usize, curMatch: u32, lenLimit: u32, maxLen: u32, count: u32): u32 {
  let ptr0: usize = SON + ((<usize>pos << 3) + 4); // greater child slot
  let ptr1: usize = SON + (<usize>pos << 3); // smaller child slot
  let len0: u32 = 0;
  let len1: u32 = 0;
  let depth = mfDepth;
  for (;;) {
    if (curMatch == 0 || depth-- == 0) {
      store<u32>(ptr0, 0);
      store<u32>(ptr1, 0);
      return count;
    }
    const m = curMatch - 1;
    const delta = pos - m;
    const pair = SON + (<usize>m << 3);
    const pb = cur - delta;
    let len = len0 < len1 ? len0 : len1;
    if (load<u8>(pb + len) == load<u8>(cur + len)) {
      len = matchLen(cur, pb, len + 1, lenLimit);
      if (maxLen < len) {
        maxLen = len;
        store<u32>(MATCHES + (<usize>count << 2), len);
        store<u32>(MATCHES + (<usize>count << 2) + 4, delta - 1);
        count += 2;
        if (len == lenLimit) {
          store<u32>(ptr1, load<u32>(pair));
          store<u32>(ptr0, load<u32>(pair + 4));
          return count;
        }
      }
    }
    if (load<u8>(pb + len) < load<u8>(cur + len)) {
      store<u32>(ptr1, curMatch);
      ptr1 = pair + 4;
      curMatch = load<u32>(ptr1);
      len1 = len;
    } else {
      store<u32>(ptr0, curMatch);
      ptr0 = pair;
      curMatch = load<u32>(ptr0);
      len0 = len;
    }
  }
  return count; // not reached
}

function btSkipTree(pos: u32, cur: usize, curMatch: u32, lenLimit: u32): void {
  let ptr0: usize = SON + ((<usize>pos << 3) + 4);
  let ptr1: usize = SON + (<usize>pos << 3);
  let len0: u32 = 0;
  let len1: u32 = 0;
  let depth = mfDepth;
  for (;;) {
    if (curMatch == 0 || depth-- == 0) {
      store<u32>(ptr0, 0);
      store<u32>(ptr1, 0);
      return;
    }
    const m = curMatch - 1;
    const delta = pos - m;
    const pair = SON + (<usize>m << 3);
    const pb = cur - delta;
    let len = len0 < len1 ? len0 : len1;
    if (load<u8>(pb + len) == load<u8>(cur + len)) {
      len = matchLen(cur, pb, len + 1, lenLimit);
      if (len == lenLimit) {
        store<u32>(ptr1, load<u32>(pair));
        store<u32>(ptr0, load<u32>(pair + 4));
        return;
      }
    }
    if (load<u8>(pb + len) < load<u8>(cur + len)) {
      store<u32>(ptr1, curMatch);
      ptr1 = pair + 4;
      curMatch = load<u32>(ptr1);
      len1 = len;
    } else {
      store<u32>(ptr0, curMatch);
      ptr0 = pair;
      curMatch = load<u32>(ptr0);
      len0 = len;
    }
  }
}

/** Inserts the next `num` positions without reporting matches. */
export function mfSkip(num: u32): void {
  while (num-- != 0) {
    const pos = mfPos;
    const avail = mfEnd - pos;
    mfPos = pos + 1;
    if (avail < 4) continue;
    const cur = mfSrc + pos;
    const v = load<u32>(cur);
    const me = pos + 1;
    store<u32>(HASH2 + ((<usize>v & 0xffff) << 2), me);
    store<u32>(HASH3 + (<usize>h3(v) << 2), me);
    const a4 = HASH4 + (<usize>h4(v, hash4Bits) << 2);
    const curMatch = load<u32>(a4);
    store<u32>(a4, me);
    if (mfBt) {
      const lenLimit = avail < mfNice ? avail : mfNice;
      btSkipTree(pos, cur, curMatch, lenLimit);
    } else {
      store<u32>(SON + (<usize>pos << 2), curMatch);
    }
  }
}
