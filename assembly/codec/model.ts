// The adaptive binary models of the plz bitstream (docs/CODEC.md "Bitstream"): offsets of each probability array in
// PROBS (in u16 units), the probability constants, the state machine and the props byte.
import { PROBS, PROBS_FIXED } from "./layout";

// TWO_RATE: each model is two 16-bit estimates of P(bit = 0) with 15-bit precision, a fast one (moves by 1/2^FAST
// of the error) and a slow one (1/2^SLOW); the coder uses their mean. Otherwise one 11-bit estimate moving by 1/32
// (LZMA's counter).
// @ts-ignore: decorator
@inline export const TWO_RATE: bool = false;
// @ts-ignore: decorator
@inline export const FAST_BITS: u32 = 4;
// @ts-ignore: decorator
@inline export const SLOW_BITS: u32 = 7;
// @ts-ignore: decorator
@inline export const PROB_BITS: u32 = TWO_RATE ? 15 : 11;
// @ts-ignore: decorator
@inline export const PROB_ONE: u32 = 1 << PROB_BITS;
// @ts-ignore: decorator
@inline export const MOVE_BITS: u32 = 5;
// @ts-ignore: decorator
@inline export const PROB_STRIDE_LOG: u32 = TWO_RATE ? 2 : 1;
// @ts-ignore: decorator
@inline export const PROB_INIT_RAW: u32 = TWO_RATE ? (PROB_ONE >> 1) | ((PROB_ONE >> 1) << 16) : PROB_ONE >> 1;

/** The stored form of the model at `pp`. */
// @ts-ignore: decorator
@inline export function probRaw(pp: usize): u32 {
  return TWO_RATE ? load<u32>(pp) : <u32>load<u16>(pp);
}
/** P(bit = 0) in PROB_BITS precision, from the stored form. */
// @ts-ignore: decorator
@inline export function probOf(raw: u32): u32 {
  return TWO_RATE ? ((raw & 0xffff) + (raw >>> 16)) >>> 1 : raw;
}
/** Stores the model updated after a 0 bit. */
// @ts-ignore: decorator
@inline export function probUpd0(pp: usize, raw: u32): void {
  if (TWO_RATE) {
    let f = raw & 0xffff;
    let s = raw >>> 16;
    f += (PROB_ONE - f) >>> FAST_BITS;
    s += (PROB_ONE - s) >>> SLOW_BITS;
    store<u32>(pp, f | (s << 16));
  } else {
    store<u16>(pp, <u16>(raw + ((PROB_ONE - raw) >>> MOVE_BITS)));
  }
}
/** Stores the model updated after `bit` (0 or 1), without a branch. */
// @ts-ignore: decorator
@inline export function probUpd(pp: usize, raw: u32, bit: u32): void {
  if (TWO_RATE) {
    let f = raw & 0xffff;
    let s = raw >>> 16;
    f = select<u32>(f - (f >>> FAST_BITS), f + ((PROB_ONE - f) >>> FAST_BITS), bit);
    s = select<u32>(s - (s >>> SLOW_BITS), s + ((PROB_ONE - s) >>> SLOW_BITS), bit);
    store<u32>(pp, f | (s << 16));
  } else {
    store<u16>(pp, <u16>select<u32>(raw - (raw >>> MOVE_BITS), raw + ((PROB_ONE - raw) >>> MOVE_BITS), bit));
  }
}
/** Stores the model updated after a 1 bit. */
// @ts-ignore: decorator
@inline export function probUpd1(pp: usize, raw: u32): void {
  if (TWO_RATE) {
    let f = raw & 0xffff;
    let s = raw >>> 16;
    f -= f >>> FAST_BITS;
    s -= s >>> SLOW_BITS;
    store<u32>(pp, f | (s << 16));
  } else {
    store<u16>(pp, <u16>(raw - (raw >>> MOVE_BITS)));
  }
}
// @ts-ignore: decorator
@inline export const RC_TOP: u32 = 1 << 24;

// @ts-ignore: decorator
@inline export const NUM_STATES: u32 = 12;
// @ts-ignore: decorator
@inline export const POS_STATES_MAX: u32 = 16;
// @ts-ignore: decorator
@inline export const MATCH_MIN: u32 = 2;
// @ts-ignore: decorator
@inline export const LEN_LOW_BITS: u32 = 3;
// @ts-ignore: decorator
@inline export const LEN_MID_BITS: u32 = 3;
// @ts-ignore: decorator
@inline export const LEN_HIGH_BITS: u32 = 8;
// @ts-ignore: decorator
@inline export const LEN_LOW_SYMBOLS: u32 = 1 << LEN_LOW_BITS;
// @ts-ignore: decorator
@inline export const LEN_MID_SYMBOLS: u32 = 1 << LEN_MID_BITS;
// @ts-ignore: decorator
@inline export const LEN_SYMBOLS: u32 = LEN_LOW_SYMBOLS + LEN_MID_SYMBOLS + (1 << LEN_HIGH_BITS); // 272: lengths 2..273
// @ts-ignore: decorator
@inline export const LEN_STATES: u32 = 4;
// @ts-ignore: decorator
@inline export const SLOT_BITS: u32 = 6;
// @ts-ignore: decorator
@inline export const START_POS_MODEL: u32 = 4;
// @ts-ignore: decorator
@inline export const END_POS_MODEL: u32 = 14;
// @ts-ignore: decorator
@inline export const FULL_DISTANCES: u32 = 1 << (END_POS_MODEL >> 1); // 128
// @ts-ignore: decorator
@inline export const ALIGN_BITS: u32 = 4;
// @ts-ignore: decorator
@inline export const ALIGN_SIZE: u32 = 1 << ALIGN_BITS;

// Model indexes (PROBS + index << PROB_STRIDE_LOG).
// @ts-ignore: decorator
@inline export const P_IS_MATCH: u32 = 0; // [state][posState] 12 × 16
// @ts-ignore: decorator
@inline export const P_IS_REP: u32 = 192; // [state]
// @ts-ignore: decorator
@inline export const P_IS_REP_G0: u32 = 204;
// @ts-ignore: decorator
@inline export const P_IS_REP_G1: u32 = 216;
// @ts-ignore: decorator
@inline export const P_IS_REP_G2: u32 = 228;
// @ts-ignore: decorator
@inline export const P_IS_REP0_LONG: u32 = 240; // [state][posState] 12 × 16
// @ts-ignore: decorator
@inline export const P_POS_SLOT: u32 = 432; // [lenState 4][64] bit trees
// @ts-ignore: decorator
@inline export const P_SPEC_POS: u32 = 688; // 114 (FULL_DISTANCES - END_POS_MODEL) reverse bit trees
// @ts-ignore: decorator
@inline export const P_ALIGN: u32 = 816; // 16: reverse bit tree of the 4 low distance bits
// @ts-ignore: decorator
@inline export const P_LEN: u32 = 832; // length coder, 514
// @ts-ignore: decorator
@inline export const P_REP_LEN: u32 = 1346; // rep length coder, 514
// @ts-ignore: decorator
@inline export const P_LITERAL: u32 = PROBS_FIXED; // [(pos & lpMask) << lc | prevByte >> (8 - lc)][0x300]
// inside a length coder
// @ts-ignore: decorator
@inline export const L_CHOICE: u32 = 0;
// @ts-ignore: decorator
@inline export const L_CHOICE2: u32 = 1;
// @ts-ignore: decorator
@inline export const L_LOW: u32 = 2; // [posState 16][8]
// @ts-ignore: decorator
@inline export const L_MID: u32 = 130; // [posState 16][8]
// @ts-ignore: decorator
@inline export const L_HIGH: u32 = 258; // [256]
// @ts-ignore: decorator
@inline export const LEN_CODER_SIZE: u32 = 514;

/** Address of the model at index `i`. */
// @ts-ignore: decorator
@inline export function pr(i: u32): usize {
  return PROBS + (<usize>i << PROB_STRIDE_LOG);
}

/** Sets every model used by literal contexts of width lc + lp to one half. */
export function initProbs(lcLp: u32): void {
  const count = P_LITERAL + (<u32>0x300 << lcLp);
  if (TWO_RATE) {
    for (let i: u32 = 0; i < count; i++) store<u32>(PROBS + (<usize>i << 2), PROB_INIT_RAW);
  } else {
    const v: u32 = PROB_INIT_RAW | (PROB_INIT_RAW << 16);
    for (let i: u32 = 0; i < count; i += 2) store<u32>(PROBS + (<usize>i << 1), v);
  }
}

// State machine: 0–6 after a literal, 7–11 after a match / rep / short rep.
// @ts-ignore: decorator
@inline export function stateAfterLiteral(s: u32): u32 {
  return s < 4 ? 0 : s < 10 ? s - 3 : s - 6;
}
// @ts-ignore: decorator
@inline export function stateAfterMatch(s: u32): u32 {
  return s < 7 ? 7 : 10;
}
// @ts-ignore: decorator
@inline export function stateAfterRep(s: u32): u32 {
  return s < 7 ? 8 : 11;
}
// @ts-ignore: decorator
@inline export function stateAfterShortRep(s: u32): u32 {
  return s < 7 ? 9 : 11;
}

// Payload header: a flags byte — 0 coded, 1 coded after the x86 filter (filter.ts), 0xFF raw (the block follows as
// is) — then, when coded, the props byte: (pb × 5 + lp) × 9 + lc, with lc + lp ≤ 8.
// @ts-ignore: decorator
@inline export const FLAG_PLAIN: u32 = 0;
// @ts-ignore: decorator
@inline export const FLAG_X86: u32 = 1;
// @ts-ignore: decorator
@inline export const FLAG_RAW: u32 = 0xff;
// @ts-ignore: decorator
@inline export const HEADER_SIZE: u32 = 2;
// @ts-ignore: decorator
@inline export function makeProps(lc: u32, lp: u32, pb: u32): u32 {
  return (pb * 5 + lp) * 9 + lc;
}
