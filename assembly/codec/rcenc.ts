// Range encoder (carry propagation through the cache byte, as in LZMA) and the bit-tree helpers used by the encoder.
// Output goes to [outPtr, outLimit); past the limit the encoder only counts (rcOverflow), and the caller falls back
// to the raw form.
import { PROB_BITS, RC_TOP, pr, probOf, probRaw, probUpd0, probUpd1 } from "./model";

let low: u64 = 0;
let range: u32 = 0xffffffff;
let cache: u32 = 0;
let cacheSize: u64 = 1;
export let outPtr: usize = 0;
export let outLimit: usize = 0;
export let rcOverflow: bool = false;
// the first byte out of the carry logic is always 0 (low + range never exceeds 2^32 at the start): not written
let firstByte: bool = true;

export function rcInit(out: usize, limit: usize): void {
  low = 0;
  range = 0xffffffff;
  cache = 0;
  cacheSize = 1;
  outPtr = out;
  outLimit = limit;
  rcOverflow = false;
  firstByte = true;
}

// @ts-ignore: decorator
@inline function putByte(b: u32): void {
  if (firstByte) {
    firstByte = false;
    return;
  }
  if (outPtr < outLimit) store<u8>(outPtr, <u8>b);
  else rcOverflow = true;
  outPtr++;
}

function shiftLow(): void {
  if (<u32>low < 0xff000000 || (low >>> 32) != 0) {
    const carry = <u32>(low >>> 32);
    let temp = cache;
    do {
      putByte((temp + carry) & 0xff);
      temp = 0xff;
    } while (--cacheSize != 0);
    cache = (<u32>low >>> 24) & 0xff;
  }
  cacheSize++;
  low = (low & 0x00ffffff) << 8;
}

export function rcFlush(): void {
  for (let i = 0; i < 5; i++) shiftLow();
}

/** Encodes `bit` with the adaptive probability at address `p`. */
// @ts-ignore: decorator
@inline export function encBit(p: usize, bit: u32): void {
  const raw = probRaw(p);
  const bound = (range >>> PROB_BITS) * probOf(raw);
  if (bit == 0) {
    range = bound;
    probUpd0(p, raw);
  } else {
    low += bound;
    range -= bound;
    probUpd1(p, raw);
  }
  while (range < RC_TOP) {
    range <<= 8;
    shiftLow();
  }
}

/** `numBits` bits of `value`, most significant first, each with probability one half. */
export function encDirect(value: u32, numBits: u32): void {
  do {
    range >>>= 1;
    numBits--;
    low += range & (0 - ((value >>> numBits) & 1));
    while (range < RC_TOP) {
      range <<= 8;
      shiftLow();
    }
  } while (numBits != 0);
}

/** Bit tree of `numBits` bits at probability offset `base` (u16 units), most significant bit first. */
export function encTree(base: u32, numBits: u32, symbol: u32): void {
  let m: u32 = 1;
  for (let i = numBits; i > 0; ) {
    i--;
    const bit = (symbol >>> i) & 1;
    encBit(pr(base + m), bit);
    m = (m << 1) | bit;
  }
}

/** Reverse bit tree: least significant bit first. */
export function encTreeReverse(base: u32, numBits: u32, symbol: u32): void {
  let m: u32 = 1;
  for (let i: u32 = 0; i < numBits; i++) {
    const bit = symbol & 1;
    symbol >>>= 1;
    encBit(pr(base + m), bit);
    m = (m << 1) | bit;
  }
}

/** Bytes the encoder has produced so far, counting the pending cache bytes. */
export function rcPending(): u64 {
  return <u64>(outPtr) + cacheSize + 4;
}
