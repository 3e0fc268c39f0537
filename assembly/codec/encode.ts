// The plz encoder: block in IN (n bytes), payload into OUT. Two parsers over the same match finders (mf.ts):
//   lazy    (levels 1–3): the heuristics of the LZMA SDK's fast mode, no prices
//   optimal (levels 4–9): a price-driven shortest path over up to OPT_NODES positions, with the literal + rep0 and
//           match/rep + literal + rep0 combinations (the LZMA SDK's normal mode)
// Levels 1–4 search hash chains, 5–9 binary trees (table LEVELS below). docs/CODEC.md has the bitstream.
import { IN, MATCHES, OPT, OPT_NODE_SIZE, OPT_NODES, OUT, SLACK, MATCH_LEN_MAX } from "./layout";
import {
  ALIGN_BITS, ALIGN_SIZE, END_POS_MODEL, L_CHOICE, L_CHOICE2, L_HIGH, L_LOW, L_MID, LEN_STATES, MATCH_MIN,
  P_ALIGN, P_IS_MATCH, P_IS_REP, P_IS_REP0_LONG, P_IS_REP_G0, P_IS_REP_G1, P_IS_REP_G2, P_LEN, P_LITERAL,
  P_POS_SLOT, P_REP_LEN, P_SPEC_POS, FLAG_PLAIN, FLAG_RAW, FLAG_X86, HEADER_SIZE, initProbs, makeProps, pr, stateAfterLiteral, stateAfterMatch,
  stateAfterRep, stateAfterShortRep,
} from "./model";
import { x86Filter } from "./filter";
import { encBit, encDirect, encTree, encTreeReverse, outPtr, rcFlush, rcInit, rcOverflow } from "./rcenc";
import { mfAvail, mfFind, mfInit, mfPos, mfSkip, matchLen } from "./mf";
import {
  INFINITY_PRICE, bitPrice, distPrice, distSlot, fillAlignPrices, fillDistPrices, fillLenPrices, initBitPrices,
  lenPrice, price0, price1, repLenPrice, treePrice,
} from "./price";

// ---- block parameters
let lc: u32 = 3;
let lp: u32 = 0;
let pb: u32 = 2;
let pbMask: u32 = 3;
let lpMask: u32 = 0;
let nice: u32 = 32;
let n: u32 = 0;
let src: usize = 0; // the bytes being coded (IN, or a sample of it when choosing the literal context)

// ---- coder state (at the coding position)
let state: u32 = 0;
let rep0: u32 = 0;
let rep1: u32 = 0;
let rep2: u32 = 0;
let rep3: u32 = 0;

// ---- parser state: positions the match finder is ahead of the coding position, pending matches
let additional: u32 = 0;
let pendingLen: u32 = 0;
let pendingCount: u32 = 0;
let numAvail: u32 = 0;
let backRes: u32 = 0;
// optimal parser: the decided path, consumed one step per call
let optCur: u32 = 0;
let optEnd: u32 = 0;
// price refresh counters
let matchPriceCount: u32 = 0;
let alignPriceCount: u32 = 0;
let lenPriceCount: u32 = 0;

// @ts-ignore: decorator
@inline const LIT: u32 = 0xffffffff;
// @ts-ignore: decorator
@inline const NUM_REPS: u32 = 4;

// @ts-ignore: decorator
@inline function litBase(pos: u32, prev: u32): u32 {
  return P_LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> (8 - lc)));
}
// @ts-ignore: decorator
@inline function getRep(i: u32): u32 {
  return i == 0 ? rep0 : i == 1 ? rep1 : i == 2 ? rep2 : rep3;
}
// @ts-ignore: decorator
@inline function byteAt(pos: u32): u32 {
  return <u32>load<u8>(src + pos);
}

// =====================================================================================================================
// Symbol coding

function encodeLiteral(pos: u32): void {
  const posState = pos & pbMask;
  encBit(pr(P_IS_MATCH + (state << 4) + posState), 0);
  const prev = pos > 0 ? byteAt(pos - 1) : 0;
  const base = litBase(pos, prev);
  const b = byteAt(pos);
  if (state < 7) {
    encTree(base, 8, b);
  } else {
    let matchByte = byteAt(pos - rep0 - 1);
    let offs: u32 = 0x100;
    let sym: u32 = 1;
    for (let i: i32 = 7; i >= 0; i--) {
      const bit = (b >>> <u32>i) & 1;
      matchByte <<= 1;
      const matchBit = matchByte & offs;
      encBit(pr(base + offs + matchBit + sym), bit);
      sym = (sym << 1) | bit;
      offs &= bit ? matchBit : ~matchBit;
    }
  }
  state = stateAfterLiteral(state);
}

function encodeLen(coder: u32, len: u32, posState: u32): void {
  let l = len - MATCH_MIN;
  if (l < 8) {
    encBit(pr(coder + L_CHOICE), 0);
    encTree(coder + L_LOW + (posState << 3), 3, l);
  } else {
    encBit(pr(coder + L_CHOICE), 1);
    if (l < 16) {
      encBit(pr(coder + L_CHOICE2), 0);
      encTree(coder + L_MID + (posState << 3), 3, l - 8);
    } else {
      encBit(pr(coder + L_CHOICE2), 1);
      encTree(coder + L_HIGH, 8, l - 16);
    }
  }
}

function encodeMatch(pos: u32, dist: u32, len: u32): void {
  const posState = pos & pbMask;
  encBit(pr(P_IS_MATCH + (state << 4) + posState), 1);
  encBit(pr(P_IS_REP + state), 0);
  encodeLen(P_LEN, len, posState);
  const ls: u32 = len - 2 < LEN_STATES - 1 ? len - 2 : LEN_STATES - 1;
  const slot = distSlot(dist);
  encTree(P_POS_SLOT + (ls << 6), 6, slot);
  if (slot >= 4) {
    const footer = (slot >>> 1) - 1;
    const base = (2 | (slot & 1)) << footer;
    const reduced = dist - base;
    if (slot < END_POS_MODEL) {
      encTreeReverse(P_SPEC_POS + base - slot - 1, footer, reduced);
    } else {
      encDirect(reduced >>> ALIGN_BITS, footer - ALIGN_BITS);
      encTreeReverse(P_ALIGN, ALIGN_BITS, reduced & (ALIGN_SIZE - 1));
      alignPriceCount++;
    }
  }
  rep3 = rep2;
  rep2 = rep1;
  rep1 = rep0;
  rep0 = dist;
  state = stateAfterMatch(state);
  matchPriceCount++;
  lenPriceCount++;
}

/** Rep match `idx` (0–3) of length `len`; len 1 with idx 0 is the short rep. */
function encodeRep(pos: u32, idx: u32, len: u32): void {
  const posState = pos & pbMask;
  encBit(pr(P_IS_MATCH + (state << 4) + posState), 1);
  encBit(pr(P_IS_REP + state), 1);
  if (idx == 0) {
    encBit(pr(P_IS_REP_G0 + state), 0);
    encBit(pr(P_IS_REP0_LONG + (state << 4) + posState), len == 1 ? 0 : 1);
    if (len == 1) {
      state = stateAfterShortRep(state);
      return;
    }
  } else {
    encBit(pr(P_IS_REP_G0 + state), 1);
    let dist: u32;
    if (idx == 1) {
      encBit(pr(P_IS_REP_G1 + state), 0);
      dist = rep1;
    } else {
      encBit(pr(P_IS_REP_G1 + state), 1);
      encBit(pr(P_IS_REP_G2 + state), idx - 2);
      if (idx == 3) {
        dist = rep3;
        rep3 = rep2;
      } else {
        dist = rep2;
      }
      rep2 = rep1;
    }
    rep1 = rep0;
    rep0 = dist;
  }
  encodeLen(P_REP_LEN, len, posState);
  state = stateAfterRep(state);
  lenPriceCount++;
}

// =====================================================================================================================
// Match finder access with the parser's bookkeeping (as ReadMatchDistances / MovePos in the LZMA SDK)

/** Matches at the match finder's position; returns the longest length (extended past nice), sets pendingCount. */
function readMatches(): u32 {
  numAvail = mfAvail();
  const count = mfFind();
  pendingCount = count;
  additional++;
  if (count == 0) return 0;
  let len = load<u32>(MATCHES + (<usize>(count - 2) << 2));
  if (len == nice) {
    const dist = load<u32>(MATCHES + (<usize>(count - 1) << 2)) + 1;
    const limit = numAvail < MATCH_LEN_MAX ? numAvail : MATCH_LEN_MAX;
    const cur = src + mfPos - 1;
    len = matchLen(cur, cur - dist, len, limit);
  }
  return len;
}

// @ts-ignore: decorator
@inline function movePos(num: u32): void {
  if (num != 0) {
    additional += num;
    mfSkip(num);
  }
}

// @ts-ignore: decorator
@inline function changePair(smallDist: u32, bigDist: u32): bool {
  return (bigDist >>> 7) > smallDist;
}

// =====================================================================================================================
// Lazy parser (levels 1–3)

function getOptimumFast(): u32 {
  let mainLen: u32;
  let numPairs: u32;
  if (additional == 0) {
    mainLen = readMatches();
    numPairs = pendingCount;
  } else {
    mainLen = pendingLen;
    numPairs = pendingCount;
  }
  let avail = numAvail;
  backRes = LIT;
  if (avail < 2) return 1;
  if (avail > MATCH_LEN_MAX) avail = MATCH_LEN_MAX;
  const data = src + mfPos - 1;

  let repLen: u32 = 0;
  let repIndex: u32 = 0;
  for (let i: u32 = 0; i < NUM_REPS; i++) {
    const data2 = data - getRep(i) - 1;
    if (data2 < src) continue;
    if (load<u16>(data) != load<u16>(data2)) continue;
    const len = matchLen(data, data2, 2, avail);
    if (len >= nice) {
      backRes = i;
      movePos(len - 1);
      return len;
    }
    if (len > repLen) {
      repIndex = i;
      repLen = len;
    }
  }
  if (mainLen >= nice) {
    backRes = load<u32>(MATCHES + (<usize>(numPairs - 1) << 2)) + NUM_REPS;
    movePos(mainLen - 1);
    return mainLen;
  }
  let mainDist: u32 = 0;
  if (mainLen >= 2) {
    mainDist = load<u32>(MATCHES + (<usize>(numPairs - 1) << 2));
    while (numPairs > 2 && mainLen == load<u32>(MATCHES + (<usize>(numPairs - 4) << 2)) + 1) {
      if (!changePair(load<u32>(MATCHES + (<usize>(numPairs - 3) << 2)), mainDist)) break;
      numPairs -= 2;
      mainLen = load<u32>(MATCHES + (<usize>(numPairs - 2) << 2));
      mainDist = load<u32>(MATCHES + (<usize>(numPairs - 1) << 2));
    }
    if (mainLen == 2 && mainDist >= 0x80) mainLen = 1;
  }
  if (repLen >= 2 && (repLen + 1 >= mainLen || (repLen + 2 >= mainLen && mainDist >= (1 << 9)) ||
      (repLen + 3 >= mainLen && mainDist >= (1 << 15)))) {
    backRes = repIndex;
    movePos(repLen - 1);
    return repLen;
  }
  if (mainLen < 2 || avail <= 2) return 1;

  // lazy: look at the next position
  pendingLen = readMatches();
  if (pendingLen >= 2) {
    const newDist = load<u32>(MATCHES + (<usize>(pendingCount - 1) << 2));
    if ((pendingLen >= mainLen && newDist < mainDist) ||
        (pendingLen == mainLen + 1 && !changePair(mainDist, newDist)) ||
        pendingLen > mainLen + 1 ||
        (pendingLen + 1 >= mainLen && mainLen >= 3 && changePair(newDist, mainDist))) {
      return 1;
    }
  }
  const data1 = src + mfPos - 1;
  for (let i: u32 = 0; i < NUM_REPS; i++) {
    const data2 = data1 - getRep(i) - 1;
    if (data2 < src) continue;
    if (load<u16>(data1) != load<u16>(data2)) continue;
    const limit = mainLen - 1;
    const len = matchLen(data1, data2, 2, limit);
    if (len >= limit) return 1;
  }
  backRes = mainDist + NUM_REPS;
  movePos(mainLen - 2);
  return mainLen;
}

// =====================================================================================================================
// Optimal parser (levels 4–9)

// node fields (byte offsets)
// @ts-ignore: decorator
@inline const O_PRICE: usize = 0;
// @ts-ignore: decorator
@inline const O_POS_PREV: usize = 4;
// @ts-ignore: decorator
@inline const O_BACK_PREV: usize = 8;
// @ts-ignore: decorator
@inline const O_STATE: usize = 12;
// @ts-ignore: decorator
@inline const O_REPS: usize = 16; // 4 × u32
// @ts-ignore: decorator
@inline const O_PREV1_IS_CHAR: usize = 32;
// @ts-ignore: decorator
@inline const O_PREV2: usize = 36;
// @ts-ignore: decorator
@inline const O_POS_PREV2: usize = 40;
// @ts-ignore: decorator
@inline const O_BACK_PREV2: usize = 44;

// @ts-ignore: decorator
@inline function node(i: u32): usize {
  return OPT + <usize>i * OPT_NODE_SIZE;
}
// @ts-ignore: decorator
@inline function getU(i: u32, f: usize): u32 {
  return load<u32>(node(i) + f);
}
// @ts-ignore: decorator
@inline function setU(i: u32, f: usize, v: u32): void {
  store<u32>(node(i) + f, v);
}
// @ts-ignore: decorator
@inline function makeAsChar(i: u32): void {
  setU(i, O_BACK_PREV, LIT);
  setU(i, O_PREV1_IS_CHAR, 0);
}
// @ts-ignore: decorator
@inline function makeAsShortRep(i: u32): void {
  setU(i, O_BACK_PREV, 0);
  setU(i, O_PREV1_IS_CHAR, 0);
}
// @ts-ignore: decorator
@inline function setOpt(i: u32, price: u32, posPrev: u32, backPrev: u32): void {
  const p = node(i);
  store<u32>(p + O_PRICE, price);
  store<u32>(p + O_POS_PREV, posPrev);
  store<u32>(p + O_BACK_PREV, backPrev);
  store<u32>(p + O_PREV1_IS_CHAR, 0);
}

function literalPrice(pos: u32, st: u32, cur: u32, matchByte: u32): u32 {
  const prev = pos > 0 ? byteAt(pos - 1) : 0;
  const base = litBase(pos, prev);
  if (st < 7) return treePrice(base, 8, cur);
  let price: u32 = 0;
  let offs: u32 = 0x100;
  let sym: u32 = 1;
  for (let i: i32 = 7; i >= 0; i--) {
    const bit = (cur >>> <u32>i) & 1;
    matchByte <<= 1;
    const matchBit = matchByte & offs;
    price += bitPrice(pr(base + offs + matchBit + sym), bit);
    sym = (sym << 1) | bit;
    offs &= bit ? matchBit : ~matchBit;
  }
  return price;
}

// @ts-ignore: decorator
@inline function repLen1Price(st: u32, posState: u32): u32 {
  return price0(pr(P_IS_REP_G0 + st)) + price0(pr(P_IS_REP0_LONG + (st << 4) + posState));
}

function pureRepPrice(idx: u32, st: u32, posState: u32): u32 {
  if (idx == 0) return price0(pr(P_IS_REP_G0 + st)) + price1(pr(P_IS_REP0_LONG + (st << 4) + posState));
  let price = price1(pr(P_IS_REP_G0 + st));
  if (idx == 1) return price + price0(pr(P_IS_REP_G1 + st));
  return price + price1(pr(P_IS_REP_G1 + st)) + bitPrice(pr(P_IS_REP_G2 + st), idx - 2);
}

// @ts-ignore: decorator
@inline function repPrice(idx: u32, len: u32, st: u32, posState: u32): u32 {
  return repLenPrice(len, posState) + pureRepPrice(idx, st, posState);
}

/** Walks the decided path backwards from `cur`, reversing the links; returns the first step's length. */
function backward(cur: u32): u32 {
  let posMem = getU(cur, O_POS_PREV);
  let backMem = getU(cur, O_BACK_PREV);
  optEnd = cur;
  do {
    if (getU(cur, O_PREV1_IS_CHAR) != 0) {
      makeAsChar(posMem);
      setU(posMem, O_POS_PREV, posMem - 1);
      if (getU(cur, O_PREV2) != 0) {
        setU(posMem - 1, O_PREV1_IS_CHAR, 0);
        setU(posMem - 1, O_POS_PREV, getU(cur, O_POS_PREV2));
        setU(posMem - 1, O_BACK_PREV, getU(cur, O_BACK_PREV2));
      }
    }
    const posPrev = posMem;
    const backCur = backMem;
    backMem = getU(posPrev, O_BACK_PREV);
    posMem = getU(posPrev, O_POS_PREV);
    setU(posPrev, O_BACK_PREV, backCur);
    setU(posPrev, O_POS_PREV, cur);
    cur = posPrev;
  } while (cur != 0);
  backRes = getU(0, O_BACK_PREV);
  optCur = getU(0, O_POS_PREV);
  return optCur;
}

// scratch for the rep lengths and reps at the start of a step
const REPS_TMP = memory.data(16);
const REP_LENS = memory.data(16);

function getOptimum(position: u32): u32 {
  if (optEnd != optCur) {
    const next = getU(optCur, O_POS_PREV);
    const lenRes = next - optCur;
    backRes = getU(optCur, O_BACK_PREV);
    optCur = next;
    return lenRes;
  }
  optCur = 0;
  optEnd = 0;

  let mainLen: u32;
  let numPairs: u32;
  if (additional == 0) {
    mainLen = readMatches();
    numPairs = pendingCount;
  } else {
    mainLen = pendingLen;
    numPairs = pendingCount;
  }
  let avail = numAvail;
  if (avail < 2) {
    backRes = LIT;
    return 1;
  }
  if (avail > MATCH_LEN_MAX) avail = MATCH_LEN_MAX;

  const data = src + position;
  let repMaxIndex: u32 = 0;
  for (let i: u32 = 0; i < NUM_REPS; i++) {
    const r = getRep(i);
    store<u32>(REPS_TMP + (i << 2), r);
    const data2 = data - r - 1;
    if (data2 < src || load<u16>(data) != load<u16>(data2)) {
      store<u32>(REP_LENS + (i << 2), 0);
      continue;
    }
    const len = matchLen(data, data2, 2, avail);
    store<u32>(REP_LENS + (i << 2), len);
    if (len > load<u32>(REP_LENS + (repMaxIndex << 2))) repMaxIndex = i;
  }
  const repMaxLen = load<u32>(REP_LENS + (repMaxIndex << 2));
  if (repMaxLen >= nice) {
    backRes = repMaxIndex;
    movePos(repMaxLen - 1);
    return repMaxLen;
  }
  if (mainLen >= nice) {
    backRes = load<u32>(MATCHES + (<usize>(numPairs - 1) << 2)) + NUM_REPS;
    movePos(mainLen - 1);
    return mainLen;
  }
  const curByte = byteAt(position);
  const matchByte = position > rep0 ? byteAt(position - rep0 - 1) : 0x100;
  if (mainLen < 2 && curByte != matchByte && repMaxLen < 2) {
    backRes = LIT;
    return 1;
  }

  setU(0, O_STATE, state);
  const posState = position & pbMask;
  setU(1, O_PRICE, price0(pr(P_IS_MATCH + (state << 4) + posState)) +
    literalPrice(position, state, curByte, matchByte));
  makeAsChar(1);
  const matchPrice = price1(pr(P_IS_MATCH + (state << 4) + posState));
  const repMatchPrice = matchPrice + price1(pr(P_IS_REP + state));
  if (matchByte == curByte) {
    const shortRepPrice = repMatchPrice + repLen1Price(state, posState);
    if (shortRepPrice < getU(1, O_PRICE)) {
      setU(1, O_PRICE, shortRepPrice);
      makeAsShortRep(1);
    }
  }
  let lenEnd: u32 = mainLen >= repMaxLen ? mainLen : repMaxLen;
  if (lenEnd < 2) {
    backRes = getU(1, O_BACK_PREV);
    return 1;
  }
  setU(1, O_POS_PREV, 0);
  for (let i: u32 = 0; i < NUM_REPS; i++) setU(0, O_REPS + (i << 2), load<u32>(REPS_TMP + (i << 2)));
  for (let l = lenEnd; l >= 2; l--) setU(l, O_PRICE, INFINITY_PRICE);

  for (let i: u32 = 0; i < NUM_REPS; i++) {
    let repLen = load<u32>(REP_LENS + (i << 2));
    if (repLen < 2) continue;
    const price = repMatchPrice + pureRepPrice(i, state, posState);
    do {
      const p = price + repLenPrice(repLen, posState);
      if (p < getU(repLen, O_PRICE)) setOpt(repLen, p, 0, i);
    } while (--repLen >= 2);
  }

  const normalMatchPrice = matchPrice + price0(pr(P_IS_REP + state));
  let len: u32 = load<u32>(REP_LENS) >= 2 ? load<u32>(REP_LENS) + 1 : 2;
  if (len <= mainLen) {
    let offs: u32 = 0;
    while (len > load<u32>(MATCHES + (<usize>offs << 2))) offs += 2;
    for (;; len++) {
      const dist = load<u32>(MATCHES + (<usize>(offs + 1) << 2));
      const p = normalMatchPrice + lenPrice(len, posState) + distPrice(dist, len);
      if (p < getU(len, O_PRICE)) setOpt(len, p, 0, dist + NUM_REPS);
      if (len == load<u32>(MATCHES + (<usize>offs << 2))) {
        offs += 2;
        if (offs == numPairs) break;
      }
    }
  }

  let cur: u32 = 0;
  for (;;) {
    cur++;
    if (cur == lenEnd) return backward(cur);
    let newLen = readMatches();
    numPairs = pendingCount;
    if (newLen >= nice) {
      pendingLen = newLen;
      return backward(cur);
    }
    position++;
    let posPrev = getU(cur, O_POS_PREV);
    let st: u32;
    const prev1IsChar = getU(cur, O_PREV1_IS_CHAR) != 0;
    const prev2 = getU(cur, O_PREV2) != 0;
    if (prev1IsChar) {
      posPrev--;
      if (prev2) {
        st = getU(getU(cur, O_POS_PREV2), O_STATE);
        if (getU(cur, O_BACK_PREV2) < NUM_REPS) st = stateAfterRep(st);
        else st = stateAfterMatch(st);
      } else {
        st = getU(posPrev, O_STATE);
      }
      st = stateAfterLiteral(st);
    } else {
      st = getU(posPrev, O_STATE);
    }
    let r0: u32, r1: u32, r2: u32, r3: u32;
    if (posPrev == cur - 1) {
      if (getU(cur, O_BACK_PREV) == 0) st = stateAfterShortRep(st);
      else st = stateAfterLiteral(st);
      r0 = getU(posPrev, O_REPS);
      r1 = getU(posPrev, O_REPS + 4);
      r2 = getU(posPrev, O_REPS + 8);
      r3 = getU(posPrev, O_REPS + 12);
    } else {
      let back: u32;
      if (prev1IsChar && prev2) {
        posPrev = getU(cur, O_POS_PREV2);
        back = getU(cur, O_BACK_PREV2);
        st = stateAfterRep(st);
      } else {
        back = getU(cur, O_BACK_PREV);
        st = back < NUM_REPS ? stateAfterRep(st) : stateAfterMatch(st);
      }
      const b0 = getU(posPrev, O_REPS), b1 = getU(posPrev, O_REPS + 4);
      const b2 = getU(posPrev, O_REPS + 8), b3 = getU(posPrev, O_REPS + 12);
      if (back < NUM_REPS) {
        if (back == 0) { r0 = b0; r1 = b1; r2 = b2; r3 = b3; }
        else if (back == 1) { r0 = b1; r1 = b0; r2 = b2; r3 = b3; }
        else if (back == 2) { r0 = b2; r1 = b0; r2 = b1; r3 = b3; }
        else { r0 = b3; r1 = b0; r2 = b1; r3 = b2; }
      } else {
        r0 = back - NUM_REPS; r1 = b0; r2 = b1; r3 = b2;
      }
    }
    setU(cur, O_STATE, st);
    setU(cur, O_REPS, r0);
    setU(cur, O_REPS + 4, r1);
    setU(cur, O_REPS + 8, r2);
    setU(cur, O_REPS + 12, r3);
    const curPrice = getU(cur, O_PRICE);
    let nextIsChar = false;
    const cdata = src + position;
    const cByte = <u32>load<u8>(cdata);
    const mByte: u32 = position > r0 ? <u32>load<u8>(cdata - r0 - 1) : 0x100;
    const ps = position & pbMask;

    const curAnd1Price = curPrice + price0(pr(P_IS_MATCH + (st << 4) + ps)) + literalPrice(position, st, cByte, mByte);
    if (curAnd1Price < getU(cur + 1, O_PRICE)) {
      setU(cur + 1, O_PRICE, curAnd1Price);
      setU(cur + 1, O_POS_PREV, cur);
      makeAsChar(cur + 1);
      nextIsChar = true;
    }
    const mPrice = curPrice + price1(pr(P_IS_MATCH + (st << 4) + ps));
    const rmPrice = mPrice + price1(pr(P_IS_REP + st));
    if (mByte == cByte && !(getU(cur + 1, O_POS_PREV) < cur && getU(cur + 1, O_BACK_PREV) == 0)) {
      const shortRepPrice = rmPrice + repLen1Price(st, ps);
      if (shortRepPrice <= getU(cur + 1, O_PRICE)) {
        setU(cur + 1, O_PRICE, shortRepPrice);
        setU(cur + 1, O_POS_PREV, cur);
        makeAsShortRep(cur + 1);
        nextIsChar = true;
      }
    }
    let availFull = numAvail;
    {
      const temp = OPT_NODES - 1 - cur;
      if (temp < availFull) availFull = temp;
    }
    if (availFull < 2) continue;
    const av = availFull <= nice ? availFull : nice;

    if (!nextIsChar && mByte != cByte) {
      // literal + rep0
      const data2 = cdata - r0 - 1;
      let limit = nice + 1;
      if (limit > availFull) limit = availFull;
      const t = data2 >= src ? matchLen(cdata + 1, data2 + 1, 0, limit - 1) : 0;
      const lenTest2 = t;
      if (lenTest2 >= 2) {
        const st2 = stateAfterLiteral(st);
        const psNext = (position + 1) & pbMask;
        const nextRepMatchPrice = curAnd1Price + price1(pr(P_IS_MATCH + (st2 << 4) + psNext)) + price1(pr(P_IS_REP + st2));
        const offset = cur + 1 + lenTest2;
        while (lenEnd < offset) setU(++lenEnd, O_PRICE, INFINITY_PRICE);
        const p = nextRepMatchPrice + repPrice(0, lenTest2, st2, psNext);
        if (p < getU(offset, O_PRICE)) {
          setU(offset, O_PRICE, p);
          setU(offset, O_POS_PREV, cur + 1);
          setU(offset, O_BACK_PREV, 0);
          setU(offset, O_PREV1_IS_CHAR, 1);
          setU(offset, O_PREV2, 0);
        }
      }
    }

    let startLen: u32 = 2;
    for (let repIndex: u32 = 0; repIndex < NUM_REPS; repIndex++) {
      const r = repIndex == 0 ? r0 : repIndex == 1 ? r1 : repIndex == 2 ? r2 : r3;
      const data2 = cdata - r - 1;
      if (data2 < src || load<u16>(cdata) != load<u16>(data2)) continue;
      let lenTest = matchLen(cdata, data2, 2, av);
      while (lenEnd < cur + lenTest) setU(++lenEnd, O_PRICE, INFINITY_PRICE);
      const lenTestTemp = lenTest;
      const price = rmPrice + pureRepPrice(repIndex, st, ps);
      do {
        const p = price + repLenPrice(lenTest, ps);
        if (p < getU(cur + lenTest, O_PRICE)) setOpt(cur + lenTest, p, cur, repIndex);
      } while (--lenTest >= 2);
      lenTest = lenTestTemp;
      if (repIndex == 0) startLen = lenTest + 1;
      // rep + literal + rep0
      {
        let limit = lenTest + 1 + nice;
        if (limit > availFull) limit = availFull;
        let lenTest2: u32 = lenTest + 1 < limit ? matchLen(cdata, data2, lenTest + 1, limit) : lenTest + 1;
        lenTest2 -= lenTest + 1;
        if (lenTest2 >= 2) {
          let st2 = stateAfterRep(st);
          let psNext = (position + lenTest) & pbMask;
          const curAndLenCharPrice = price + repLenPrice(lenTest, ps) + price0(pr(P_IS_MATCH + (st2 << 4) + psNext)) +
            literalPrice(position + lenTest, st2, <u32>load<u8>(cdata + lenTest), <u32>load<u8>(data2 + lenTest));
          st2 = stateAfterLiteral(st2);
          psNext = (position + lenTest + 1) & pbMask;
          const nextRepMatchPrice = curAndLenCharPrice + price1(pr(P_IS_MATCH + (st2 << 4) + psNext)) + price1(pr(P_IS_REP + st2));
          const offset = cur + lenTest + 1 + lenTest2;
          while (lenEnd < offset) setU(++lenEnd, O_PRICE, INFINITY_PRICE);
          const p = nextRepMatchPrice + repPrice(0, lenTest2, st2, psNext);
          if (p < getU(offset, O_PRICE)) {
            setU(offset, O_PRICE, p);
            setU(offset, O_POS_PREV, cur + lenTest + 1);
            setU(offset, O_BACK_PREV, 0);
            setU(offset, O_PREV1_IS_CHAR, 1);
            setU(offset, O_PREV2, 1);
            setU(offset, O_POS_PREV2, cur);
            setU(offset, O_BACK_PREV2, repIndex);
          }
        }
      }
    }

    if (newLen > av) {
      newLen = av;
      let np: u32 = 0;
      while (newLen > load<u32>(MATCHES + (<usize>np << 2))) np += 2;
      store<u32>(MATCHES + (<usize>np << 2), newLen);
      numPairs = np + 2;
    }
    if (newLen >= startLen) {
      const nmPrice = mPrice + price0(pr(P_IS_REP + st));
      while (lenEnd < cur + newLen) setU(++lenEnd, O_PRICE, INFINITY_PRICE);
      let offs: u32 = 0;
      while (startLen > load<u32>(MATCHES + (<usize>offs << 2))) offs += 2;
      let curBack = load<u32>(MATCHES + (<usize>(offs + 1) << 2));
      for (let lenTest = startLen; ; lenTest++) {
        const curAndLenPrice = nmPrice + lenPrice(lenTest, ps) + distPrice(curBack, lenTest);
        if (curAndLenPrice < getU(cur + lenTest, O_PRICE)) setOpt(cur + lenTest, curAndLenPrice, cur, curBack + NUM_REPS);
        if (lenTest == load<u32>(MATCHES + (<usize>offs << 2))) {
          // match + literal + rep0
          const data2 = cdata - curBack - 1;
          let limit = lenTest + 1 + nice;
          if (limit > availFull) limit = availFull;
          let lenTest2: u32 = lenTest + 1 < limit ? matchLen(cdata, data2, lenTest + 1, limit) : lenTest + 1;
          lenTest2 -= lenTest + 1;
          if (lenTest2 >= 2) {
            let st2 = stateAfterMatch(st);
            let psNext = (position + lenTest) & pbMask;
            const curAndLenCharPrice = curAndLenPrice + price0(pr(P_IS_MATCH + (st2 << 4) + psNext)) +
              literalPrice(position + lenTest, st2, <u32>load<u8>(cdata + lenTest), <u32>load<u8>(data2 + lenTest));
            st2 = stateAfterLiteral(st2);
            psNext = (psNext + 1) & pbMask;
            const nextRepMatchPrice = curAndLenCharPrice + price1(pr(P_IS_MATCH + (st2 << 4) + psNext)) + price1(pr(P_IS_REP + st2));
            const offset = cur + lenTest + 1 + lenTest2;
            while (lenEnd < offset) setU(++lenEnd, O_PRICE, INFINITY_PRICE);
            const p = nextRepMatchPrice + repPrice(0, lenTest2, st2, psNext);
            if (p < getU(offset, O_PRICE)) {
              setU(offset, O_PRICE, p);
              setU(offset, O_POS_PREV, cur + lenTest + 1);
              setU(offset, O_BACK_PREV, 0);
              setU(offset, O_PREV1_IS_CHAR, 1);
              setU(offset, O_PREV2, 1);
              setU(offset, O_POS_PREV2, cur);
              setU(offset, O_BACK_PREV2, curBack + NUM_REPS);
            }
          }
          offs += 2;
          if (offs == numPairs) break;
          curBack = load<u32>(MATCHES + (<usize>(offs + 1) << 2));
        }
      }
    }
  }
  return 1; // not reached
}

// =====================================================================================================================
// Levels and the block loop

/** Codes `len` bytes at `base` into OUT with the given parameters; returns the payload length, or len + 1 when
 *  the coded form would not be shorter than the raw one (then OUT holds no valid payload). */
function encodeCore(base: usize, len: u32, fast: bool, bt: bool, depth: u32, niceLen: u32, lc_: u32, lp_: u32, pb_: u32, flags: u32): u32 {
  src = base;
  n = len;
  nice = niceLen;
  lc = lc_; lp = lp_; pb = pb_;
  pbMask = (1 << pb) - 1;
  lpMask = (1 << lp) - 1;
  store<u8>(OUT, <u8>flags);
  store<u8>(OUT + 1, <u8>makeProps(lc, lp, pb));
  initProbs(lc + lp);
  // coded form must be shorter than the raw form (n + 1 bytes): stop writing at n
  rcInit(OUT + HEADER_SIZE, OUT + n);
  mfInit(src, n, bt, depth, nice);
  state = 0; rep0 = 0; rep1 = 0; rep2 = 0; rep3 = 0;
  additional = 0; pendingLen = 0; pendingCount = 0; numAvail = 0;
  optCur = 0; optEnd = 0;
  const numPosStates: u32 = 1 << pb;
  if (!fast) {
    initBitPrices();
    fillLenPrices(P_LEN, false, numPosStates);
    fillLenPrices(P_REP_LEN, true, numPosStates);
    fillDistPrices();
    fillAlignPrices();
  }
  matchPriceCount = 0; alignPriceCount = 0; lenPriceCount = 0;

  // the first byte is always a literal
  readMatches();
  additional--;
  encodeLiteral(0);
  let pos: u32 = 1;
  while (pos < n) {
    const l = fast ? getOptimumFast() : getOptimum(pos);
    if (l == 1 && backRes == LIT) {
      encodeLiteral(pos);
    } else if (backRes < NUM_REPS) {
      encodeRep(pos, backRes, l);
    } else {
      encodeMatch(pos, backRes - NUM_REPS, l);
    }
    additional -= l;
    pos += l;
    if (additional == 0) {
      if (rcOverflow) break;
      if (!fast) {
        if (matchPriceCount >= 128) { fillDistPrices(); matchPriceCount = 0; }
        if (alignPriceCount >= 16) { fillAlignPrices(); alignPriceCount = 0; }
        if (lenPriceCount >= 256) {
          fillLenPrices(P_LEN, false, numPosStates);
          fillLenPrices(P_REP_LEN, true, numPosStates);
          lenPriceCount = 0;
        }
      }
    }
  }
  if (!rcOverflow) rcFlush();
  const size = outPtr - OUT;
  if (rcOverflow || size >= <usize>n + 1) return n + 1;
  return <u32>size;
}

// Every level chooses the filter, and levels 5–9 the literal context, by coding a sample from the middle of the
// block with the fastest settings (lp = 0 and pb = 0 always): first the x86 filter or none (with lc 3), then lc 3,
// 4 or 8 (3 suits most data, 4 text, 8 machine code).
// @ts-ignore: decorator
@inline const TRIAL_SAMPLE: u32 = 256 << 10;

// Per level 1–9: fast parser (1) or optimal (0), binary tree (1) or hash chain (0), search depth (u16 LE).
const LEVELS = memory.data<u8>([
  1, 0, 4, 0, // 1: lazy, hash chain, 4
  1, 0, 16, 0, // 2: lazy, hash chain, 16
  1, 0, 32, 0, // 3: lazy, hash chain, 32
  0, 0, 4, 0, // 4: optimal, hash chain, 4
  0, 1, 16, 0, // 5: optimal, binary tree, 16
  0, 1, 24, 0, // 6: optimal, binary tree, 24
  0, 1, 48, 0, // 7: optimal, binary tree, 48
  0, 1, 128, 0, // 8: optimal, binary tree, 128
  0, 1, 0, 2, // 9: optimal, binary tree, 512
]);
// Nice length per level: a match this long is taken without looking further.
const LEVELS_NICE = memory.data<u16>([16, 32, 64, 16, 32, 64, 96, 192, 273]);

function trial(sample: usize, len: u32, lc_: u32, flags: u32): u32 {
  return encodeCore(sample, len, true, false, 4, 16, lc_, 0, 0, flags);
}

/** Returns the payload length in OUT (at most len + 1). */
export function encodeBlock(len: u32, level: u32): i32 {
  if (level < 1) level = 1;
  if (level > 9) level = 9;
  if (len == 0) {
    store<u8>(OUT, <u8>FLAG_RAW);
    return 1;
  }
  // deterministic bytes after the block for the 8-byte compares
  memory.fill(IN + len, 0, SLACK);

  // level → parser, match finder, search depth, nice length (measured trade-offs: docs/CODEC.md "Levels")
  const p = LEVELS + ((level - 1) << 2);
  const fast = load<u8>(p) != 0;
  const bt = load<u8>(p + 1) != 0;
  const depth = <u32>load<u16>(p + 2);
  const niceLen = <u32>load<u16>(LEVELS_NICE + ((level - 1) << 1));
  let lc_: u32 = 3;
  let flags: u32 = FLAG_PLAIN;
  {
    // levels 1–4: only the filter, on up to 64 KiB; levels 5–9: the filter, then lc, on up to 256 KiB. The
    // sample is an eighth of the block (at least 4 KiB), so the trials cost about 10 % of the block's coding time
    const full = level >= 5;
    const cap = full ? TRIAL_SAMPLE : TRIAL_SAMPLE >> 2;
    let sampleLen = len >> 3;
    if (sampleLen < 4096) sampleLen = len < 4096 ? len : 4096;
    if (sampleLen > cap) sampleLen = cap;
    const sample = IN + ((len - sampleLen) >> 1);
    let best = trial(sample, sampleLen, 3, FLAG_PLAIN);
    x86Filter(sample, sampleLen, true);
    const withX86 = trial(sample, sampleLen, 3, FLAG_X86);
    if (withX86 < best) {
      best = withX86;
      flags = FLAG_X86;
    } else {
      x86Filter(sample, sampleLen, false);
    }
    if (full) {
      for (let c: u32 = 4; c <= 8; c += 4) {
        const size = trial(sample, sampleLen, c, flags);
        if (size < best) { best = size; lc_ = c; }
      }
    }
    if (flags == FLAG_X86) x86Filter(sample, sampleLen, false);
  }
  if (flags == FLAG_X86) x86Filter(IN, len, true);
  const size = encodeCore(IN, len, fast, bt, depth, niceLen, lc_, 0, 0, flags);
  if (size > len) {
    if (flags == FLAG_X86) x86Filter(IN, len, false);
    store<u8>(OUT, <u8>FLAG_RAW);
    memory.copy(OUT + 1, IN, len);
    return <i32>(len + 1);
  }
  return <i32>size;
}
