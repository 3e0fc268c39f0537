// The panini-fs context-mixing coder ("pcm", docs/CODEC.md "context-mixing coder"), a module of its own with a static
// memory map: bitwise prediction from 12 hashed context models (orders 1–6 and 8, two word contexts, a column
// context, two sparse contexts) whose bit histories feed adaptive state maps, an order-0 model and a match model,
// mixed by three gated logistic mixers and a final one, refined by two APM/SSE stages, coded with a 32-bit binary
// arithmetic coder. Integer arithmetic only: every engine decodes the same bits. Nothing is allocated per call; each
// call starts from the same zeroed state, so blocks are independent.
//
// Memory map (from BASE): BUF (the block: input when encoding, output when decoding) · PAY (the payload) · small
// tables (stretch, state maps, mixers, APMs) · MATCH (2^22 × u32) · MODELS (NMODELS × 16 × 2^bits bytes).

// @ts-ignore: decorator
@inline const MAX_BLOCK: u32 = 1 << 24;
// @ts-ignore: decorator
@inline const PAY_CAP: u32 = MAX_BLOCK + (MAX_BLOCK >> 6) + 1024;
// @ts-ignore: decorator
@inline const NMODELS: i32 = 12;
// @ts-ignore: decorator
@inline const NIN: i32 = NMODELS + 4; // + order 0, match (2), bias
// @ts-ignore: decorator
@inline const MATCH_BITS: u32 = 22;
// @ts-ignore: decorator
@inline const MIN_BITS: u32 = 16;
// @ts-ignore: decorator
@inline const MAX_BITS: u32 = 22;
// mixer weight sets: c0 (256) · c1 (256) · match length bucket × bit position (32); final mixer: 1 set of 4
// @ts-ignore: decorator
@inline const NSETS: i32 = 256 + 256 + 32;

// @ts-ignore: decorator
@inline const ALIGN: usize = 65536;
export const BASE: usize = (__heap_base + ALIGN - 1) & ~(ALIGN - 1);
export const BUF: usize = BASE;
export const PAY: usize = (BUF + MAX_BLOCK + 4096 + 63) & ~63;
const STRETCH: usize = (PAY + PAY_CAP + 63) & ~63; // 4096 × i16
const SM: usize = STRETCH + 8192; // (NMODELS) × 256 × u32 state maps
const SM0: usize = SM + <usize>NMODELS * 1024; // order 0: 256 × u32 (direct)
const SMM: usize = SM0 + 1024; // match: 64 × u32
const WTS: usize = SMM + 256; // NSETS × NIN × i32
const WF: usize = WTS + <usize>NSETS * <usize>NIN * 4; // final mixer: 4 × i32
const APM1: usize = (WF + 64 + 63) & ~63; // 256 × 33 × u16
const APM2: usize = APM1 + 256 * 33 * 2; // 65536 × 33 × u16
const APM3: usize = APM2 + 65536 * 33 * 2; // 65536 × 33 × u16
const MATCH: usize = (APM3 + 65536 * 33 * 2 + 63) & ~63; // 2^22 × u32
const MODELS: usize = MATCH + (<usize>4 << MATCH_BITS);

export function modelEnd(bits: u32): usize {
  return MODELS + (<usize>NMODELS << (bits + 4));
}

/** Grows the memory to hold the models of `bits` (0 on success, 1 if the host refused). */
export function reserve(bits: u32): i32 {
  if (bits < MIN_BITS || bits > MAX_BITS) return 1;
  const need = <i32>((modelEnd(bits) + 65535) >> 16);
  const have = memory.size();
  if (have < need) return memory.grow(need - have) >= 0 ? 0 : 1;
  return 0;
}
export function bufPtr(): usize { return BUF; }
export function payPtr(): usize { return PAY; }
export function payCap(): u32 { return PAY_CAP; }

// squash: stretch domain (−2047..2047) → probability (0..4095), interpolated from 33 points of 4096/(1+e^−x/256)
// @ts-ignore: decorator
@inline function squashT(i: i32): i32 {
  return <i32>load<u16>(changetype<usize>(SQ) + (<usize>i << 1));
}
const SQ: StaticArray<u16> = [1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785, 3901, 3975, 4022, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094];
function squash(d: i32): i32 {
  if (d > 2047) return 4095;
  if (d < -2047) return 1;
  const w = d & 127;
  const i = (d >> 7) + 16;
  return (squashT(i) * (128 - w) + squashT(i + 1) * w + 64) >> 7;
}
// @ts-ignore: decorator
@inline function stretch(p: i32): i32 {
  return <i32>load<i16>(STRETCH + (<usize>p << 1));
}
// reciprocal table for adaptive-rate counters: DT[n] = 16384 / (n + n + 3)
const DT: StaticArray<i32> = new StaticArray<i32>(1024);

// ---- state: bit histories are (n0, n1) counts 0..15 in one byte, n0 << 4 | n1 ----
// @ts-ignore: decorator
@inline function nextState(s: i32, y: i32): i32 {
  let n0 = s >> 4, n1 = s & 15;
  if (y) { if (n1 < 15) n1++; if (n0 > 2) n0 = (n0 >> 1) + 1; }
  else { if (n0 < 15) n0++; if (n1 > 2) n1 = (n1 >> 1) + 1; }
  return (n0 << 4) | n1;
}

// adaptive probability with count: u32 = p (22 bits) << 10 | n (10 bits)
// @ts-ignore: decorator
@inline function smUpdate(a: usize, y: i32, limit: i32): void {
  let t = load<u32>(a);
  const n = <i32>(t & 1023);
  const p = <i32>(t >> 10);
  if (n < limit) t++;
  else t = (t & 0xfffffc00) | <u32>limit;
  t += <u32>((((y << 22) - p) >> 3) * unchecked(DT[n])) & 0xfffffc00;
  store<u32>(a, t);
}

// ---- coder state (globals) ----
let bits: u32 = 20;
let pos: u32 = 0; // bytes done
let c0: i32 = 1; // partial byte with leading 1
let c4: u32 = 0; // last 4 bytes
let c8: u32 = 0; // the 4 before
let bitPos: i32 = 0;
let nib: i32 = 1; // node in the nibble tree (1..15)
let word0: u32 = 0;
let word1: u32 = 0;
let lineStart: u32 = 0;
let prevLine: u32 = 0;
let matchPtr: u32 = 0;
let matchLen: u32 = 0;
let matchHash: u32 = 0;
let expectByte: i32 = 0;
let prMix: i32 = 2048;
let pr: i32 = 2048;
let wsel0: usize = 0;
let wsel1: usize = 0;
let wsel2: usize = 0;
let apmIdx1: usize = 0;
let apmIdx2: usize = 0;
let apmIdx3: usize = 0;
let pA: i32 = 0;
let pB: i32 = 0;
let pC: i32 = 0;
let pFinal: i32 = 0;
let smIdx0: usize = 0;
let smIdxM: usize = 0;

const HASH: StaticArray<u32> = new StaticArray<u32>(NMODELS); // context hashes at the byte boundary
const SLOT: StaticArray<u32> = new StaticArray<u32>(NMODELS); // bucket addresses for the current nibble
const STA: StaticArray<u32> = new StaticArray<u32>(NMODELS); // the state byte addresses for this bit
const INP: StaticArray<i32> = new StaticArray<i32>(NIN); // mixer inputs
const MO: StaticArray<i32> = new StaticArray<i32>(4); // mixer outputs (stretch domain)

// @ts-ignore: decorator
@inline function hash2(a: u32, b: u32): u32 {
  let h = a * 0x9E3779B1 ^ (b + 0x7F4A7C15) * 0x85EBCA77;
  h ^= h >> 15;
  h *= 0xC2B2AE3D;
  return h ^ (h >> 13);
}

function resetState(b: u32): void {
  bits = b;
  // models, match table, mixers, APMs and maps: from the same state on every call
  memory.fill(MATCH, 0, modelEnd(b) - MATCH);
  for (let i = 0; i < 4096; i++) {
    // stretch = inverse of squash
    store<i16>(STRETCH + (<usize>i << 1), 0);
  }
  let pi = 0;
  for (let x = -2047; x <= 2047; x++) {
    const v = squash(x);
    for (let j = pi; j <= v; j++) store<i16>(STRETCH + (<usize>j << 1), <i16>x);
    pi = v + 1;
  }
  for (let j = pi; j < 4096; j++) store<i16>(STRETCH + (<usize>j << 1), 2047);
  for (let i = 0; i < 1024; i++) DT[i] = 16384 / (i + i + 3);
  for (let m = 0; m < NMODELS; m++) {
    for (let s = 0; s < 256; s++) {
      const n0 = s >> 4, n1 = s & 15;
      const p = (((n1 << 1) + 1) << 22) / ((n0 + n1 + 1) << 1); // (n1 + 1/2) / (n0 + n1 + 1)
      store<u32>(SM + ((<usize>m * 256 + s) << 2), <u32>p << 10);
    }
  }
  for (let i = 0; i < 256; i++) store<u32>(SM0 + (<usize>i << 2), 1 << 31);
  for (let i = 0; i < 64; i++) store<u32>(SMM + (<usize>i << 2), 1 << 31);
  for (let i = 0; i < NSETS * NIN; i++) store<i32>(WTS + (<usize>i << 2), (1 << 16) / 4);
  for (let i = 0; i < 4; i++) store<i32>(WF + (<usize>i << 2), i < 3 ? 22000 : 0);
  for (let c = 0; c < 256 + 65536 * 2; c++) {
    for (let j = 0; j < 33; j++) store<u16>(APM1 + ((<usize>c * 33 + j) << 1), <u16>(squash((j - 16) * 128) * 16));
  }
  pos = 0; c0 = 1; c4 = 0; c8 = 0; bitPos = 0; nib = 1;
  word0 = 0; word1 = 0; lineStart = 0; prevLine = 0;
  matchPtr = 0; matchLen = 0; matchHash = 0; expectByte = 0;
  for (let i = 0; i < NMODELS; i++) { HASH[i] = 0; SLOT[i] = 0; }
  byteUpdate(0, true);
}

// a bucket of 16 bytes for context hash h: byte 0 a check, bytes 1..15 the nibble tree's states; 2-way, the less
// used bucket (smaller n0 + n1 at the root) is replaced
function findBucket(m: i32, h: u32): u32 {
  const hh = hash2(h, <u32>m + 0x51ED27);
  const chk = <u8>(hh & 255);
  const base = MODELS + (<usize>m << (bits + 4));
  const i = <usize>(hh >> (32 - bits));
  const a = base + (i << 4);
  if (load<u8>(a) == chk) return <u32>a;
  const b = base + ((i ^ 1) << 4);
  if (load<u8>(b) == chk) return <u32>b;
  const sa = <i32>load<u8>(a + 1), sb = <i32>load<u8>(b + 1);
  const pa = (sa >> 4) + (sa & 15), pb = (sb >> 4) + (sb & 15);
  const r = pb < pa ? b : a;
  memory.fill(r, 0, 16);
  store<u8>(r, chk);
  return <u32>r;
}

// @ts-ignore: decorator
@inline function isWordByte(c: u32): bool {
  return (c - 97 < 26) || (c - 65 < 26) || c >= 128 || (c - 48 < 10);
}

// after a whole byte (or at the start): the context hashes, the match model
function byteUpdate(c: u32, start: bool): void {
  const buf = BUF;
  if (!start) {
    c8 = (c8 << 8) | (c4 >> 24);
    c4 = (c4 << 8) | c;
    pos++;
    if (isWordByte(c)) {
      const lc = c - 65 < 26 ? c + 32 : c;
      word0 = (word0 + lc + 1) * 0x2F0F1E1;
    } else if (word0 != 0) {
      word1 = word0;
      word0 = 0;
    }
    if (c == 10) { prevLine = lineStart; lineStart = pos; }
    // match model: follow the match, or look one up by the hash of the last bytes
    matchHash = (matchHash * (29 << 5) + c + 1) & ((1 << MATCH_BITS) - 1);
    if (matchLen > 0 && <u32>expectByte == c) {
      if (matchLen < 65535) matchLen++;
      matchPtr++;
    } else {
      matchLen = 0;
    }
    if (matchLen == 0 && pos >= 6) {
      const cand = load<u32>(MATCH + (<usize>matchHash << 2));
      if (cand > 0 && cand < pos) {
        let l: u32 = 0;
        while (l < 32 && l < cand && load<u8>(buf + cand - 1 - l) == load<u8>(buf + pos - 1 - l)) l++;
        if (l >= 4) { matchLen = l; matchPtr = cand; }
      }
    }
    store<u32>(MATCH + (<usize>matchHash << 2), pos);
  }
  expectByte = matchLen > 0 ? <i32>load<u8>(buf + matchPtr) : -1;
  const col = pos - lineStart;
  const above: u32 = prevLine + col < lineStart ? <u32>load<u8>(buf + prevLine + col) : 0;
  const c1 = c4 & 255;
  HASH[0] = c1;
  HASH[1] = (c4 & 0xffff) | 0x1000000;
  HASH[2] = (c4 & 0xffffff) | 0x2000000;
  HASH[3] = hash2(c4, 3);
  HASH[4] = hash2(c4, (c8 & 255) | 0x400);
  HASH[5] = hash2(c4, (c8 & 0xffff) | 0x50000);
  HASH[6] = hash2(c4, c8 + 6);
  HASH[7] = hash2(word0, c1 | 0x700);
  HASH[8] = hash2(word0, word1 + 8);
  HASH[9] = hash2(above | (c1 << 8), (col < 255 ? col : 255) | 0x900);
  HASH[10] = hash2(c4 & 0xffff00, 10);
  HASH[11] = hash2((c4 >> 24) | ((c8 & 255) << 8), (pos & 3) | 0xB00);
  for (let m = 0; m < NMODELS; m++) SLOT[m] = findBucket(m, unchecked(HASH[m]));
  wsel1 = WTS + <usize>(256 + c1) * NIN * 4;
}

// the probability (12 bits) that the next bit is 1
function predict(): i32 {
  // context models
  for (let m = 0; m < NMODELS; m++) {
    const a = unchecked(SLOT[m]) + <u32>nib;
    STA[m] = a;
    const s = <usize>load<u8>(a);
    const p = <i32>(load<u32>(SM + ((<usize>m * 256 + s) << 2)) >> 20);
    INP[m] = stretch(p);
  }
  smIdx0 = SM0 + (<usize>c0 << 2);
  INP[NMODELS] = stretch(<i32>(load<u32>(smIdx0) >> 20));
  // match model
  let lb = 0;
  if (expectByte >= 0 && ((expectByte + 256) >> (8 - bitPos)) == c0) {
    const eb = (expectByte >> (7 - bitPos)) & 1;
    const l = matchLen;
    lb = l < 16 ? 1 : l < 32 ? 2 : 3;
    const q = l < 15 ? l : l < 32 ? 15 + ((l - 15) >> 2) : l < 64 ? 19 + ((l - 32) >> 3) : 23 + (l < 512 ? (l >> 6) : 8);
    smIdxM = SMM + (<usize>((q << 1) | eb) << 2);
    const st = stretch(<i32>(load<u32>(smIdxM) >> 20));
    INP[NMODELS + 1] = st;
    const ll = <i32>(l < 32 ? l : 32);
    INP[NMODELS + 2] = eb ? ll * 32 : -ll * 32;
  } else {
    smIdxM = 0;
    if (expectByte >= 0) { matchLen = 0; expectByte = -1; }
    INP[NMODELS + 1] = 0;
    INP[NMODELS + 2] = 0;
  }
  INP[NMODELS + 3] = 256;
  // three mixers, each a weight set chosen by a context
  wsel0 = WTS + <usize>c0 * NIN * 4;
  wsel2 = WTS + <usize>(512 + lb * 8 + bitPos) * NIN * 4;
  MO[0] = dot(wsel0);
  MO[1] = dot(wsel1);
  MO[2] = dot(wsel2);
  pA = squash(unchecked(MO[0]));
  pB = squash(unchecked(MO[1]));
  pC = squash(unchecked(MO[2]));
  let f: i64 = 0;
  for (let i = 0; i < 3; i++) f += <i64>unchecked(MO[i]) * <i64>load<i32>(WF + (<usize>i << 2));
  let fd = <i32>(f >> 16);
  fd = fd > 2047 ? 2047 : fd < -2047 ? -2047 : fd;
  MO[3] = fd;
  pFinal = squash(fd);
  // APM/SSE: order 0, order 1, order 2 (hashed)
  const c1 = <i32>(c4 & 255);
  const p1 = apm(APM1, <usize>c0, pFinal, 1);
  const p2 = apm(APM2, <usize>(c0 | (c1 << 8)), pFinal, 2);
  const h3 = (hash2(c4 & 0xffff, <u32>c0) >> 16);
  const p3 = apm(APM3, <usize>h3, pFinal, 3);
  let p = (pFinal * 2 + p1 + p2 * 2 + p3 * 3 + 4) >> 3;
  if (p < 1) p = 1;
  if (p > 4095) p = 4095;
  pr = p;
  return p;
}

// @ts-ignore: decorator
@inline function dot(w: usize): i32 {
  let s: i64 = 0;
  for (let i = 0; i < NIN; i++) s += <i64>unchecked(INP[i]) * <i64>load<i32>(w + (<usize>i << 2));
  let d = <i32>(s >> 16);
  return d > 2047 ? 2047 : d < -2047 ? -2047 : d;
}

// @ts-ignore: decorator
@inline function train(w: usize, err: i32): void {
  for (let i = 0; i < NIN; i++) {
    const a = w + (<usize>i << 2);
    store<i32>(a, load<i32>(a) + ((unchecked(INP[i]) * err) >> 10));
  }
}

function apm(t: usize, cx: usize, p: i32, which: i32): i32 {
  const s = stretch(p) + 2048; // 1..4095
  const lo = s >> 7, w = s & 127;
  const a = t + ((cx * 33 + <usize>lo) << 1);
  const idx = a + (w >= 64 ? 2 : 0);
  if (which == 1) apmIdx1 = idx; else if (which == 2) apmIdx2 = idx; else apmIdx3 = idx;
  return (<i32>load<u16>(a) * (128 - w) + <i32>load<u16>(a + 2) * w) >> 11;
}

// @ts-ignore: decorator
@inline function apmUpdate(a: usize, y: i32): void {
  const g = (y << 16) + (y << 7) - y - y;
  const t = <i32>load<u16>(a);
  store<u16>(a, <u16>(t + ((g - t) >> 7)));
}

function update(y: i32): void {
  for (let m = 0; m < NMODELS; m++) {
    const a = <usize>unchecked(STA[m]);
    const s = <i32>load<u8>(a);
    smUpdate(SM + ((<usize>m * 256 + s) << 2), y, 1023);
    store<u8>(a, <u8>nextState(s, y));
  }
  smUpdate(smIdx0, y, 255);
  if (smIdxM != 0) smUpdate(smIdxM, y, 1023);
  const e = (y << 12);
  train(wsel0, (e - pA) * 6);
  train(wsel1, (e - pB) * 6);
  train(wsel2, (e - pC) * 6);
  const ef = (e - pFinal) * 2;
  for (let i = 0; i < 3; i++) {
    const a = WF + (<usize>i << 2);
    store<i32>(a, load<i32>(a) + ((unchecked(MO[i]) * ef) >> 10));
  }
  apmUpdate(apmIdx1, y);
  apmUpdate(apmIdx2, y);
  apmUpdate(apmIdx3, y);
  // the bit's contexts
  c0 = (c0 << 1) | y;
  nib = (nib << 1) | y;
  bitPos++;
  if (bitPos == 8) {
    const c = <u32>(c0 & 255);
    if (pos < MAX_BLOCK) store<u8>(BUF + pos, <u8>c);
    c0 = 1; bitPos = 0; nib = 1;
    byteUpdate(c, false);
  } else if (bitPos == 4) {
    nib = 1;
    for (let m = 0; m < NMODELS; m++) SLOT[m] = findBucket(m, unchecked(HASH[m]) + <u32>c0 * 0x3C6EF372);
  }
}

/** Codes the `len` bytes at BUF into PAY with 2^b buckets per model; returns the payload length, or −1. */
export function encode(len: u32, b: u32): i32 {
  if (len > MAX_BLOCK || reserve(b) != 0) return -1;
  // the coder writes the data back into BUF as it goes (the same bytes), so the decoder's history is mirrored
  resetState(b);
  let x1: u32 = 0, x2: u32 = 0xffffffff;
  let o: usize = PAY;
  const end: usize = PAY + PAY_CAP - 8;
  for (let i: u32 = 0; i < len; i++) {
    const c = <i32>load<u8>(BUF + i);
    for (let k = 7; k >= 0; k--) {
      const y = (c >> k) & 1;
      const p = <u32>predict();
      const xmid = x1 + ((x2 - x1) >> 12) * p + ((((x2 - x1) & 0xfff) * p) >> 12);
      if (y) x2 = xmid; else x1 = xmid + 1;
      update(y);
      while (((x1 ^ x2) & 0xff000000) == 0) {
        if (o >= end) return -1;
        store<u8>(o++, <u8>(x2 >> 24));
        x1 <<= 8;
        x2 = (x2 << 8) | 255;
      }
    }
  }
  // flush: the shortest byte string v (read with zeros after it) with x1 ≤ v ≤ x2
  for (let k: u32 = 1; k <= 4; k++) {
    const sh = 32 - 8 * k;
    const mask: u64 = (<u64>1 << sh) - 1;
    const v: u64 = (<u64>x1 + mask) & ~mask;
    if (v <= <u64>x2) {
      for (let j: u32 = 0; j < k; j++) store<u8>(o++, <u8>(v >> (24 - 8 * j)));
      break;
    }
  }
  return <i32>(o - PAY);
}

/**
 * Decodes the `inLen`-byte payload at PAY into exactly `outLen` bytes at BUF with 2^b buckets per model. Returns
 * outLen, −1 for sizes or memory out of range, −2 when the payload is longer or shorter than the coded bits need.
 */
export function decode(inLen: u32, outLen: u32, b: u32): i32 {
  if (outLen > MAX_BLOCK || inLen > PAY_CAP - 8 || reserve(b) != 0) return -1;
  resetState(b);
  let x1: u32 = 0, x2: u32 = 0xffffffff, x: u32 = 0;
  let ip: u32 = 0;
  for (let k = 0; k < 4; k++) {
    x = (x << 8) | (ip < inLen ? <u32>load<u8>(PAY + ip) : 0);
    ip++;
  }
  for (let i: u32 = 0; i < outLen; i++) {
    for (let k = 0; k < 8; k++) {
      const p = <u32>predict();
      const xmid = x1 + ((x2 - x1) >> 12) * p + ((((x2 - x1) & 0xfff) * p) >> 12);
      const y = x <= xmid ? 1 : 0;
      if (y) x2 = xmid; else x1 = xmid + 1;
      update(y);
      while (((x1 ^ x2) & 0xff000000) == 0) {
        x1 <<= 8;
        x2 = (x2 << 8) | 255;
        x = (x << 8) | (ip < inLen ? <u32>load<u8>(PAY + ip) : 0);
        ip++;
        if (ip > inLen + 4) return -2; // ran far past the payload: truncated
      }
    }
  }
  // the encoder wrote the shifted bytes plus 1–4 flush bytes; ip counts shifted bytes + 4
  if (inLen > ip || inLen + 3 < ip) return -2;
  return <i32>outLen;
}
