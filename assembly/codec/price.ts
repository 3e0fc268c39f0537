// Price tables for the optimal parser: the cost, in 1/16 bit, of coding symbols with the current probabilities.
// Integer only (deterministic): the bit price table is built by repeated squaring, as in the LZMA SDK.
import { PRICES } from "./layout";
import {
  ALIGN_BITS, ALIGN_SIZE, END_POS_MODEL, FULL_DISTANCES, L_CHOICE, L_CHOICE2, L_HIGH, L_LOW, L_MID, LEN_STATES,
  LEN_SYMBOLS, P_ALIGN, P_POS_SLOT, P_SPEC_POS, PROB_BITS, PROB_ONE, pr, probOf, probRaw,
} from "./model";

// @ts-ignore: decorator
@inline export const PRICE_SHIFT: u32 = 4; // prices in 1/16 bit
// @ts-ignore: decorator
@inline const PRICE_INDEX_BITS: u32 = 7; // bit prices looked up by the top 7 bits of the probability
// @ts-ignore: decorator
@inline export const INFINITY_PRICE: u32 = 1 << 30;

// Regions inside PRICES (u32 entries).
// @ts-ignore: decorator
@inline const T_BIT: usize = 0; // [PROB_ONE >> REDUCE_BITS]
// @ts-ignore: decorator
@inline const T_LEN: usize = T_BIT + (1 << PRICE_INDEX_BITS) * 4; // [posState 16][LEN_SYMBOLS]
// @ts-ignore: decorator
@inline const T_REP_LEN: usize = T_LEN + 16 * LEN_SYMBOLS * 4;
// @ts-ignore: decorator
@inline const T_SLOT: usize = T_REP_LEN + 16 * LEN_SYMBOLS * 4; // [lenState][64]
// @ts-ignore: decorator
@inline const T_DIST: usize = T_SLOT + LEN_STATES * 64 * 4; // [lenState][FULL_DISTANCES]
// @ts-ignore: decorator
@inline const T_ALIGN: usize = T_DIST + LEN_STATES * FULL_DISTANCES * 4; // [16]

export function initBitPrices(): void {
  // entry k: the price of a probability (k + 1/2) / 128, computed on its 11-bit value as in the LZMA SDK
  for (let k: u32 = 0; k < (1 << PRICE_INDEX_BITS); k++) {
    const i: u32 = (k << 4) + 8;
    let w: u32 = i;
    let bitCount: u32 = 0;
    for (let j: u32 = 0; j < PRICE_SHIFT; j++) {
      w = w * w;
      bitCount <<= 1;
      while (w >= (<u32>1 << 16)) {
        w >>>= 1;
        bitCount++;
      }
    }
    store<u32>(PRICES + T_BIT + (<usize>k << 2), (11 << PRICE_SHIFT) - 15 - bitCount);
  }
}

/** Price of coding `bit` with the probability stored at address `p`. */
// @ts-ignore: decorator
@inline export function bitPrice(p: usize, bit: u32): u32 {
  const prob = probOf(probRaw(p));
  const q = bit ? PROB_ONE - prob : prob;
  return load<u32>(PRICES + T_BIT + ((<usize>q >> (PROB_BITS - PRICE_INDEX_BITS)) << 2));
}
// @ts-ignore: decorator
@inline export function price0(p: usize): u32 {
  return load<u32>(PRICES + T_BIT + ((<usize>probOf(probRaw(p)) >> (PROB_BITS - PRICE_INDEX_BITS)) << 2));
}
// @ts-ignore: decorator
@inline export function price1(p: usize): u32 {
  return load<u32>(PRICES + T_BIT + ((<usize>(PROB_ONE - probOf(probRaw(p))) >> (PROB_BITS - PRICE_INDEX_BITS)) << 2));
}

export function treePrice(base: u32, numBits: u32, symbol: u32): u32 {
  let price: u32 = 0;
  symbol |= <u32>1 << numBits;
  while (symbol > 1) {
    price += bitPrice(pr(base + (symbol >>> 1)), symbol & 1);
    symbol >>>= 1;
  }
  return price;
}

export function treeReversePrice(base: u32, numBits: u32, symbol: u32): u32 {
  let price: u32 = 0;
  let m: u32 = 1;
  for (let i: u32 = 0; i < numBits; i++) {
    const bit = symbol & 1;
    symbol >>>= 1;
    price += bitPrice(pr(base + m), bit);
    m = (m << 1) | bit;
  }
  return price;
}

/** Fills the length price table of the coder at `coder` (P_LEN or P_REP_LEN) for posStates 0..numPosStates-1. */
export function fillLenPrices(coder: u32, rep: bool, numPosStates: u32): void {
  const table = PRICES + (rep ? T_REP_LEN : T_LEN);
  const c0 = price0(pr(coder + L_CHOICE));
  const c1 = price1(pr(coder + L_CHOICE));
  const c10 = c1 + price0(pr(coder + L_CHOICE2));
  const c11 = c1 + price1(pr(coder + L_CHOICE2));
  for (let ps: u32 = 0; ps < numPosStates; ps++) {
    const row = table + <usize>(ps * LEN_SYMBOLS) * 4;
    for (let i: u32 = 0; i < 8; i++) store<u32>(row + (<usize>i << 2), c0 + treePrice(coder + L_LOW + (ps << 3), 3, i));
    for (let i: u32 = 0; i < 8; i++) store<u32>(row + (<usize>(i + 8) << 2), c10 + treePrice(coder + L_MID + (ps << 3), 3, i));
    for (let i: u32 = 0; i < 256; i++) store<u32>(row + (<usize>(i + 16) << 2), c11 + treePrice(coder + L_HIGH, 8, i));
  }
}

/** Price of a match length `len` (2..273) in posState `ps`. */
// @ts-ignore: decorator
@inline export function lenPrice(len: u32, ps: u32): u32 {
  return load<u32>(PRICES + T_LEN + (<usize>(ps * LEN_SYMBOLS + len - 2) << 2));
}
// @ts-ignore: decorator
@inline export function repLenPrice(len: u32, ps: u32): u32 {
  return load<u32>(PRICES + T_REP_LEN + (<usize>(ps * LEN_SYMBOLS + len - 2) << 2));
}

/** Distance slot of a 0-based distance. */
// @ts-ignore: decorator
@inline export function distSlot(dist: u32): u32 {
  if (dist < 4) return dist;
  const n = 31 - clz<u32>(dist);
  return (n << 1) | ((dist >>> (n - 1)) & 1);
}

export function fillDistPrices(): void {
  for (let ls: u32 = 0; ls < LEN_STATES; ls++) {
    const slotRow = PRICES + T_SLOT + <usize>(ls * 64) * 4;
    for (let slot: u32 = 0; slot < 64; slot++) {
      let p = treePrice(P_POS_SLOT + (ls << 6), 6, slot);
      if (slot >= END_POS_MODEL) p += (((slot >>> 1) - 1 - ALIGN_BITS) << PRICE_SHIFT);
      store<u32>(slotRow + (<usize>slot << 2), p);
    }
    const distRow = PRICES + T_DIST + <usize>(ls * FULL_DISTANCES) * 4;
    for (let d: u32 = 0; d < FULL_DISTANCES; d++) {
      const slot = distSlot(d);
      let p = load<u32>(slotRow + (<usize>slot << 2));
      if (slot >= 4) {
        const footer = (slot >>> 1) - 1;
        const base = (2 | (slot & 1)) << footer;
        p += treeReversePrice(P_SPEC_POS + base - slot - 1, footer, d - base);
      }
      store<u32>(distRow + (<usize>d << 2), p);
    }
  }
}

export function fillAlignPrices(): void {
  for (let i: u32 = 0; i < ALIGN_SIZE; i++) {
    store<u32>(PRICES + T_ALIGN + (<usize>i << 2), treeReversePrice(P_ALIGN, ALIGN_BITS, i));
  }
}

/** Price of a 0-based distance `dist` for a match of length `len`. */
// @ts-ignore: decorator
@inline export function distPrice(dist: u32, len: u32): u32 {
  const ls: u32 = len - 2 < LEN_STATES - 1 ? len - 2 : LEN_STATES - 1;
  if (dist < FULL_DISTANCES) return load<u32>(PRICES + T_DIST + (<usize>(ls * FULL_DISTANCES + dist) << 2));
  return load<u32>(PRICES + T_SLOT + (<usize>(ls * 64 + distSlot(dist)) << 2)) +
    load<u32>(PRICES + T_ALIGN + (<usize>(dist & (ALIGN_SIZE - 1)) << 2));
}
