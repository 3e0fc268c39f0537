// The plz decoder: payload in IN, exactly `outLen` bytes into OUT. The range decoder's state lives in locals of this
// one function (the bit decoding is written out at each use, so V8 keeps range/code/input pointer in registers).
//
// Safety on hostile input: the loop produces at least one byte per iteration and stops at outLen, so it ends; every
// match is checked against the bytes produced so far (distance) and the bytes left (length) before it is copied;
// the IN_SLACK bytes after the payload are zeroed and read as the stream's continuation, and the read pointer is
// checked once per symbol (a symbol reads at most 48 bytes): a decoder that needed bytes past the payload reports
// truncation, one that ends before the payload's end reports trailing bytes (the encoder's output is consumed
// exactly).
// OUT has SLACK bytes after the block, so 8-byte copies may overshoot the block's end by up to 7 bytes.
import { IN, IN_SLACK, OUT } from "./layout";
import { x86Filter } from "./filter";
import {
  ALIGN_BITS, END_POS_MODEL, L_CHOICE, L_CHOICE2, L_HIGH, L_LOW, L_MID, LEN_STATES, MATCH_MIN,
  P_ALIGN, P_IS_MATCH, P_IS_REP, P_IS_REP0_LONG, P_IS_REP_G0, P_IS_REP_G1, P_IS_REP_G2, P_LEN, P_LITERAL,
  P_POS_SLOT, P_REP_LEN, P_SPEC_POS, PROB_BITS, PROB_STRIDE_LOG, FLAG_RAW, FLAG_X86, HEADER_SIZE, RC_TOP, initProbs, pr, probOf, probRaw,
  probUpd, probUpd0, probUpd1,
} from "./model";

// Error codes (negative results of decode()).
// @ts-ignore: decorator
@inline export const E_PROPS: i32 = -1; // bad flags or props byte
// @ts-ignore: decorator
@inline export const E_DATA: i32 = -2; // impossible symbol: distance beyond the start, length beyond the end
// @ts-ignore: decorator
@inline export const E_TRUNCATED: i32 = -3; // the decoder needed bytes past the payload's end
// @ts-ignore: decorator
@inline export const E_RAW_LENGTH: i32 = -4; // raw payload whose length is not originalLength + 1
// @ts-ignore: decorator
@inline export const E_TRAILING: i32 = -6; // bytes left after the last symbol

/** Decodes the `inLen`-byte payload in IN into `outLen` bytes in OUT. Returns outLen, or a negative error code. */
export function decodeBlock(inLen: u32, outLen: u32): i32 {
  if (inLen < 1) return E_PROPS;
  const flags = <u32>load<u8>(IN);
  if (flags == FLAG_RAW) {
    if (inLen != outLen + 1) return E_RAW_LENGTH;
    memory.copy(OUT, IN + 1, outLen);
    return <i32>outLen;
  }
  if (flags > FLAG_X86) return E_PROPS;
  if (inLen < HEADER_SIZE + 4) return E_TRUNCATED;
  let props = <u32>load<u8>(IN + 1);
  if (props >= 9 * 5 * 5) return E_PROPS;
  const lc = props % 9;
  props /= 9;
  const lp = props % 5;
  const pb = props / 5;
  if (lc + lp > 8) return E_PROPS;
  if (outLen == 0) return E_DATA; // an empty block is always raw
  initProbs(lc + lp);

  const pbMask: u32 = (1 << pb) - 1;
  const lpMask: u32 = (1 << lp) - 1;
  const litShift: u32 = 8 - lc;

  // range decoder: the code starts with the stream's first 4 bytes (the encoder drops LZMA's leading zero byte)
  const ie: usize = IN + inLen;
  memory.fill(ie, 0, IN_SLACK);
  let range: u32 = 0xffffffff;
  let code: u32 = bswap<u32>(load<u32>(IN + HEADER_SIZE));
  let ip: usize = IN + HEADER_SIZE + 4;

  const out = OUT;
  let pos: u32 = 0;
  let state: u32 = 0;
  let rep0: u32 = 0, rep1: u32 = 0, rep2: u32 = 0, rep3: u32 = 0;
  let prevByte: u32 = 0;

  while (pos < outLen) {
    // one symbol reads at most 48 bytes (one per coded bit), so checking once per symbol keeps every read within
    // the zeroed slack after the payload
    if (ip > ie) return E_TRUNCATED;
    const posState = pos & pbMask;
    // isMatch[state][posState]
    let pp = pr(P_IS_MATCH + (state << 4) + posState);
    let raw = probRaw(pp);
    let prob = probOf(raw);
    let bound = (range >>> PROB_BITS) * prob;
    if (code < bound) {
      range = bound;
      probUpd0(pp, raw);
      if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
      // ---- literal
      const base = pr(P_LITERAL + 0x300 * ((((pos & lpMask) << lc) + (prevByte >>> litShift))));
      let sym: u32 = 1;
      if (state < 7) {
        do {
          pp = base + (<usize>sym << PROB_STRIDE_LOG);
          raw = probRaw(pp); prob = probOf(raw);
          bound = (range >>> PROB_BITS) * prob;
          // branchless: literal bits are close to unpredictable
          const bit = <u32>(code >= bound);
          code -= bound & (0 - bit);
          range = select<u32>(range - bound, bound, bit);
          probUpd(pp, raw, bit);
          sym = (sym << 1) | bit;
          if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
        } while (sym < 0x100);
        state = state < 4 ? 0 : state - 3;
      } else {
        // matched literal: the byte at rep0 steers the model until the first differing bit
        let matchByte = <u32>load<u8>(out + pos - rep0 - 1);
        let offs: u32 = 0x100;
        do {
          matchByte <<= 1;
          const matchBit = matchByte & offs;
          pp = base + (<usize>(offs + matchBit + sym) << PROB_STRIDE_LOG);
          raw = probRaw(pp); prob = probOf(raw);
          bound = (range >>> PROB_BITS) * prob;
          const bit = <u32>(code >= bound);
          code -= bound & (0 - bit);
          range = select<u32>(range - bound, bound, bit);
          probUpd(pp, raw, bit);
          sym = (sym << 1) | bit;
          offs &= select<u32>(matchBit, ~matchBit, bit);
          if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
        } while (sym < 0x100);
        state = state < 10 ? state - 3 : state - 6;
      }
      prevByte = sym & 0xff;
      store<u8>(out + pos, <u8>prevByte);
      pos++;
      continue;
    }
    range -= bound; code -= bound;
    probUpd1(pp, raw);
    if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }

    let lenBase: u32;
    // isRep[state]
    pp = pr(P_IS_REP + state);
    raw = probRaw(pp); prob = probOf(raw);
    bound = (range >>> PROB_BITS) * prob;
    if (code < bound) {
      range = bound; probUpd0(pp, raw);
      if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
      // simple match: the distance follows the length
      rep3 = rep2; rep2 = rep1; rep1 = rep0;
      lenBase = P_LEN;
      state = state < 7 ? 7 : 10;
    } else {
      range -= bound; code -= bound; probUpd1(pp, raw);
      if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
      if (pos == 0) return E_DATA;
      // isRepG0[state]
      pp = pr(P_IS_REP_G0 + state);
      raw = probRaw(pp); prob = probOf(raw);
      bound = (range >>> PROB_BITS) * prob;
      if (code < bound) {
        range = bound; probUpd0(pp, raw);
        if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
        // isRep0Long[state][posState]
        pp = pr(P_IS_REP0_LONG + (state << 4) + posState);
        raw = probRaw(pp); prob = probOf(raw);
        bound = (range >>> PROB_BITS) * prob;
        if (code < bound) {
          range = bound; probUpd0(pp, raw);
          if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
          // short rep: one byte at rep0
          state = state < 7 ? 9 : 11;
          prevByte = <u32>load<u8>(out + pos - rep0 - 1);
          store<u8>(out + pos, <u8>prevByte);
          pos++;
          continue;
        }
        range -= bound; code -= bound; probUpd1(pp, raw);
        if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
      } else {
        range -= bound; code -= bound; probUpd1(pp, raw);
        if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
        let dist: u32;
        // isRepG1[state]
        pp = pr(P_IS_REP_G1 + state);
        raw = probRaw(pp); prob = probOf(raw);
        bound = (range >>> PROB_BITS) * prob;
        if (code < bound) {
          range = bound; probUpd0(pp, raw);
          if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
          dist = rep1;
        } else {
          range -= bound; code -= bound; probUpd1(pp, raw);
          if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
          // isRepG2[state]
          pp = pr(P_IS_REP_G2 + state);
          raw = probRaw(pp); prob = probOf(raw);
          bound = (range >>> PROB_BITS) * prob;
          if (code < bound) {
            range = bound; probUpd0(pp, raw);
            if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
            dist = rep2;
          } else {
            range -= bound; code -= bound; probUpd1(pp, raw);
            if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
            dist = rep3;
            rep3 = rep2;
          }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      lenBase = P_REP_LEN;
      state = state < 7 ? 8 : 11;
    }

    // ---- length (2..273)
    let len: u32;
    {
      pp = pr(lenBase + L_CHOICE);
      raw = probRaw(pp); prob = probOf(raw);
      bound = (range >>> PROB_BITS) * prob;
      let treeBase: u32;
      let treeBits: u32;
      if (code < bound) {
        range = bound; probUpd0(pp, raw);
        if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
        treeBase = lenBase + L_LOW + (posState << 3); treeBits = 3; len = MATCH_MIN;
      } else {
        range -= bound; code -= bound; probUpd1(pp, raw);
        if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
        pp = pr(lenBase + L_CHOICE2);
        raw = probRaw(pp); prob = probOf(raw);
        bound = (range >>> PROB_BITS) * prob;
        if (code < bound) {
          range = bound; probUpd0(pp, raw);
          if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
          treeBase = lenBase + L_MID + (posState << 3); treeBits = 3; len = MATCH_MIN + 8;
        } else {
          range -= bound; code -= bound; probUpd1(pp, raw);
          if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
          treeBase = lenBase + L_HIGH; treeBits = 8; len = MATCH_MIN + 16;
        }
      }
      const tb = pr(treeBase);
      const limit: u32 = 1 << treeBits;
      let sym: u32 = 1;
      do {
        pp = tb + (<usize>sym << PROB_STRIDE_LOG);
        raw = probRaw(pp); prob = probOf(raw);
        bound = (range >>> PROB_BITS) * prob;
        if (code < bound) {
          range = bound; probUpd0(pp, raw); sym <<= 1;
        } else {
          range -= bound; code -= bound; probUpd1(pp, raw); sym = (sym << 1) | 1;
        }
        if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
      } while (sym < limit);
      len += sym - limit;
    }

    if (lenBase == P_LEN) {
      // ---- distance: slot (6-bit tree per length state), then extra bits
      const lenState = len - MATCH_MIN < LEN_STATES - 1 ? len - MATCH_MIN : LEN_STATES - 1;
      const tb = pr(P_POS_SLOT + (lenState << 6));
      let slot: u32 = 1;
      do {
        pp = tb + (<usize>slot << PROB_STRIDE_LOG);
        raw = probRaw(pp); prob = probOf(raw);
        bound = (range >>> PROB_BITS) * prob;
        if (code < bound) {
          range = bound; probUpd0(pp, raw); slot <<= 1;
        } else {
          range -= bound; code -= bound; probUpd1(pp, raw); slot = (slot << 1) | 1;
        }
        if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
      } while (slot < 64);
      slot -= 64;
      let dist: u32;
      if (slot < 4) {
        dist = slot;
      } else {
        const numDirect = (slot >>> 1) - 1;
        dist = (2 | (slot & 1)) << numDirect;
        let rb: usize;
        let rbits: u32;
        if (slot < END_POS_MODEL) {
          rb = pr(P_SPEC_POS + dist - slot - 1);
          rbits = numDirect;
        } else {
          // direct bits, then the 4 align bits
          let n = numDirect - ALIGN_BITS;
          let d: u32 = 0;
          do {
            range >>>= 1;
            const t = (code - range) >>> 31; // 1 when code < range: bit 0
            code -= range & (t - 1);
            d = (d << 1) | (1 - t);
            if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
          } while (--n != 0);
          dist += d << ALIGN_BITS;
          rb = pr(P_ALIGN);
          rbits = ALIGN_BITS;
        }
        // reverse bit tree
        let m: u32 = 1;
        for (let i: u32 = 0; i < rbits; i++) {
          pp = rb + (<usize>m << PROB_STRIDE_LOG);
          raw = probRaw(pp); prob = probOf(raw);
          bound = (range >>> PROB_BITS) * prob;
          if (code < bound) {
            range = bound; probUpd0(pp, raw); m <<= 1;
          } else {
            range -= bound; code -= bound; probUpd1(pp, raw); m = (m << 1) | 1;
            dist |= <u32>1 << i;
          }
          if (range < RC_TOP) { range <<= 8; code = (code << 8) | <u32>load<u8>(ip); ip++; }
        }
      }
      if (dist >= pos) return E_DATA; // also catches 0xffffffff: plz has no end marker
      rep0 = dist;
    }

    // ---- copy the match
    if (len > outLen - pos) return E_DATA;
    const dist1 = rep0 + 1;
    let dst = out + pos;
    let src = dst - dist1;
    const end = dst + len;
    if (dist1 >= 8) {
      do {
        store<u64>(dst, load<u64>(src));
        dst += 8; src += 8;
      } while (dst < end);
    } else if (dist1 == 1) {
      memory.fill(dst, load<u8>(src), len);
    } else {
      do {
        store<u8>(dst, load<u8>(src));
        dst++; src++;
      } while (dst < end);
    }
    pos += len;
    prevByte = <u32>load<u8>(out + pos - 1);
  }
  // the decoder reads exactly the bytes the encoder wrote: fewer means trailing garbage (or a wrong length)
  if (ip > ie) return E_TRUNCATED;
  if (ip < ie) return E_TRAILING;
  if (flags == FLAG_X86) x86Filter(out, outLen, false);
  return <i32>outLen;
}
