// TOKEN "words" inverse (src/dhatu/stages/token.ts): expands a coded text through its word dictionary. Here because
// it runs on every decode of a text record and the JavaScript loop ran at 130–170 MB/s; it shares the decoder's
// regions (nothing else runs during the call):
//   IN: the coded text (tLen ≤ MAX_BLOCK) · LIT: the dictionary (dLen ≤ MAX_BLOCK), words each ended by `sep`
//   TABLES: role of each byte value, 256 i32 (−1 literal, j ≥ 0 single-byte code of word j, −2 − p prefix p)
//   OUT: the output (≤ max ≤ MAX_BLOCK); past MAX_BLOCK + 64, in OUT's margin: the word start table (≤ 65 281
//   u32), a per-byte-value table of 256 u64 (what the loop looks up: address | length << 32, or a flag) and a
//   256-byte identity table (each literal is a one-byte copy from it).
// Copies move 8 bytes at a time: they read at most 7 bytes past a word or identity byte (inside LIT's slack, or the
// margin's) and write at most 7 past the output's end (inside OUT's margin, before the tables).
import { IN, LIT, MAX_BLOCK, OUT, TABLES } from "./layout";

// @ts-ignore: decorator
@inline const PREFIX: u64 = 0xffffffff_ffffffff;
// @ts-ignore: decorator
@inline const BAD: u64 = 0xffffffff_fffffffe;

/** Word `w` as address | length << 32 (its start and the next word's start are in the table at `starts`). */
// @ts-ignore: decorator
@inline function wordEntry(starts: usize, dict: usize, w: u32): u64 {
  const a = load<u32>(starts + (<usize>w << 2));
  return <u64>(dict + a) | (<u64>(load<u32>(starts + (<usize>(w + 1) << 2)) - a - 1) << 32);
}

/** Returns the output length, or a negative code: the host re-runs its own loop for the error's message. */
export function tokenExpand(tLen: u32, dLen: u32, nS: u32, nP: u32, sep: u32, max: u32): i32 {
  if (tLen > MAX_BLOCK || dLen > MAX_BLOCK || max > MAX_BLOCK || nS + nP > 255) return -5;
  const maxWords: u32 = nS + 256 * nP;
  const starts: usize = OUT + MAX_BLOCK + 64;
  const byByte: usize = starts + ((<usize>maxWords + 2) << 2);
  const dict = LIT;
  let nw: u32 = 0;
  let st: u32 = 0;
  for (let q: u32 = 0; q < dLen; q++) {
    if (<u32>load<u8>(dict + q) == sep) {
      if (nw >= maxWords) return -4;
      store<u32>(starts + (<usize>nw << 2), st);
      nw++;
      st = q + 1;
    }
  }
  if (st != dLen) return -4;
  store<u32>(starts + (<usize>nw << 2), st);
  // per byte value, what to copy: its word (single-byte codes) or itself (literals: a one-byte slot of the identity
  // table) as address | length << 32, so every token is one copy; prefixes (and codes for words the dictionary lacks)
  // are flagged and take the slow path
  const ident: usize = byByte + 2048;
  for (let b: u32 = 0; b < 256; b++) {
    store<u8>(ident + b, <u8>b);
    const ro = load<i32>(TABLES + (<usize>b << 2));
    let e: u64 = <u64>(ident + b) | (<u64>1 << 32);
    if (ro < -1) e = PREFIX;
    else if (ro >= 0) {
      e = <u32>ro >= nw ? BAD : wordEntry(starts, dict, <u32>ro);
    }
    store<u64>(byByte + (<usize>b << 3), e);
  }
  let out: usize = OUT;
  const outEnd: usize = OUT + max;
  let p: usize = IN;
  const pEnd: usize = IN + tLen;
  while (p < pEnd) {
    const b = <usize>load<u8>(p);
    p++;
    let e = load<u64>(byByte + (b << 3));
    if (e >= BAD) {
      if (e != PREFIX) return -2;
      if (p >= pEnd) return -1;
      const w = nS + 256 * <u32>(-2 - load<i32>(TABLES + (b << 2))) + <u32>load<u8>(p);
      p++;
      if (w >= nw) return -2;
      e = wordEntry(starts, dict, w);
    }
    const len = <usize>(e >> 32);
    if (out + len > outEnd) return -3;
    let s: usize = <usize>(<u32>e);
    store<u64>(out, load<u64>(s));
    if (len > 8) {
      let o: usize = out + 8;
      const end: usize = out + len;
      s += 8;
      do {
        store<u64>(o, load<u64>(s));
        o += 8;
        s += 8;
      } while (o < end);
    }
    out += len;
  }
  return <i32>(out - OUT);
}
