// TOKEN "words" inverse (src/dhatu/stages/token.ts): expands a coded text through its word dictionary. Here because
// it runs on every decode of a text record and the JavaScript loop ran at 130–170 MB/s; it shares the decoder's
// regions (nothing else runs during the call):
//   IN: the coded text (tLen ≤ MAX_BLOCK) · LIT: the dictionary (dLen ≤ MAX_BLOCK), words each ended by `sep`
//   TABLES: role of each byte value, 256 i32 (−1 literal, j ≥ 0 single-byte code of word j, −2 − p prefix p)
//   OUT: the output (≤ max ≤ MAX_BLOCK); the word start table lies in OUT's margin, past MAX_BLOCK + 64.
// Word copies move 8 bytes at a time: they read at most 7 bytes past a word (inside LIT's slack) and write at most 7
// past the output's end (inside OUT's margin, before the start table).
import { IN, LIT, MAX_BLOCK, OUT, TABLES } from "./layout";

/** Returns the output length, or a negative code: the host re-runs its own loop for the error's message. */
export function tokenExpand(tLen: u32, dLen: u32, nS: u32, nP: u32, sep: u32, max: u32): i32 {
  if (tLen > MAX_BLOCK || dLen > MAX_BLOCK || max > MAX_BLOCK || nS + nP > 255) return -5;
  const maxWords: u32 = nS + 256 * nP;
  const starts: usize = OUT + MAX_BLOCK + 64;
  let nw: u32 = 0;
  let st: u32 = 0;
  for (let q: u32 = 0; q < dLen; q++) {
    if (<u32>load<u8>(LIT + q) == sep) {
      if (nw >= maxWords) return -4;
      store<u32>(starts + (<usize>nw << 2), st);
      nw++;
      st = q + 1;
    }
  }
  if (st != dLen) return -4;
  store<u32>(starts + (<usize>nw << 2), st);
  let o: u32 = 0;
  let q: u32 = 0;
  while (q < tLen) {
    const b = <u32>load<u8>(IN + q);
    q++;
    const ro = load<i32>(TABLES + (<usize>b << 2));
    if (ro == -1) {
      if (o >= max) return -3;
      store<u8>(OUT + o, <u8>b);
      o++;
      continue;
    }
    let w: u32 = <u32>ro;
    if (ro < -1) {
      if (q >= tLen) return -1;
      w = nS + 256 * <u32>(-2 - ro) + <u32>load<u8>(IN + q);
      q++;
    }
    if (w >= nw) return -2;
    const a = load<u32>(starts + (<usize>w << 2));
    const len = load<u32>(starts + (<usize>(w + 1) << 2)) - a - 1;
    if (o + len > max) return -3;
    let s: usize = LIT + a;
    let d: usize = OUT + o;
    const e: usize = d + len;
    while (d < e) {
      store<u64>(d, load<u64>(s));
      d += 8;
      s += 8;
    }
    o += len;
  }
  return <i32>o;
}
