// An independent reference FastCDC for the tests, written from the byte-at-a-time spec in the comment at the top of
// assembly/chunk/cdc.ts (and docs/ARCHITECTURE.md "Chunking"); it shares no code with the wasm core:
//
//   for each chunk, skip its first minSize bytes; from there h = 0 and, for each next byte at position i (0-based
//   within the chunk), h = (h << 1) + GEAR[byte] (mod 2^64); cut after byte i when (h & mask) == 0, where mask is
//   MASK_S while i < avgSize and MASK_L after; cut at maxSize if no cut point came first.
//   MASK_S has bits+2 ones and MASK_L bits-2 ones, bits = round(log2(avgSize)), taken from the top of the word
//   below bit 63.
//   GEAR[i] is the i-th output of SplitMix64 seeded with 0x70616e696e692d66 ("panini-f").
//
// Two versions: `fastcdcBigInt` follows the text literally with BigInt (slow, obviously right), `fastcdcRef` does the
// same arithmetic on two u32 halves so that megabytes can be checked quickly. The tests check one against the other.

const U64 = (1n << 64n) - 1n;
export const GEAR_SEED = 0x70616e696e692d66n;

/** The SplitMix64 generator (Steele, Lea & Flood 2014; Vigna's splitmix64.c): returns the next output each call. */
export function splitMix64(seed: bigint): () => bigint {
  let s = seed & U64;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & U64;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64;
    return z ^ (z >> 31n);
  };
}

/** GEAR[0..255]: the first 256 outputs of SplitMix64(GEAR_SEED). */
export const GEAR: readonly bigint[] = (() => {
  const next = splitMix64(GEAR_SEED);
  return Array.from({ length: 256 }, () => next());
})();

export interface RefOptions {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

export interface RefChunk {
  offset: number;
  length: number;
}

/** `ones` one-bits ending at bit 62: bits [63-ones, 62]. */
export function topMask(ones: number): bigint {
  return ((1n << BigInt(ones)) - 1n) << BigInt(63 - ones);
}

export function masks(avgSize: number): { bits: number; maskS: bigint; maskL: bigint } {
  const bits = Math.round(Math.log2(avgSize));
  return { bits, maskS: topMask(bits + 2), maskL: topMask(bits - 2) };
}

/** The spec, literally, with BigInt arithmetic. */
export function fastcdcBigInt(data: Uint8Array, o: RefOptions): RefChunk[] {
  const { maskS, maskL } = masks(o.avgSize);
  const out: RefChunk[] = [];
  let start = 0;
  while (start < data.length) {
    const end = Math.min(o.maxSize, data.length - start); // the chunk cannot be longer than this
    let length = end;
    let h = 0n;
    for (let i = o.minSize; i < end; i++) {
      h = ((h << 1n) + GEAR[data[start + i]!]!) & U64;
      if ((h & (i < o.avgSize ? maskS : maskL)) === 0n) {
        length = i + 1;
        break;
      }
    }
    out.push({ offset: start, length });
    start += length;
  }
  return out;
}

const GEAR_HI = Uint32Array.from(GEAR, (g) => Number(g >> 32n));
const GEAR_LO = Uint32Array.from(GEAR, (g) => Number(g & 0xffffffffn));
const split = (m: bigint): [number, number] => [Number(m >> 32n) | 0, Number(m & 0xffffffffn) | 0];

/** The same spec with h kept as two u32 halves (hi, lo): 64-bit shift-and-add with an explicit carry. */
export function fastcdcRef(data: Uint8Array, o: RefOptions): RefChunk[] {
  const { maskS, maskL } = masks(o.avgSize);
  const [sHi, sLo] = split(maskS);
  const [lHi, lLo] = split(maskL);
  const out: RefChunk[] = [];
  let start = 0;
  while (start < data.length) {
    const end = Math.min(o.maxSize, data.length - start);
    let length = end;
    let hi = 0;
    let lo = 0;
    for (let i = o.minSize; i < end; i++) {
      const b = data[start + i]!;
      const lo2 = ((lo << 1) >>> 0) + GEAR_LO[b]!; // < 2^33
      const carry = lo2 > 0xffffffff ? 1 : 0;
      hi = ((((hi << 1) | (lo >>> 31)) >>> 0) + GEAR_HI[b]! + carry) >>> 0;
      lo = lo2 >>> 0;
      const small = i < o.avgSize;
      if (((hi & (small ? sHi : lHi)) | (lo & (small ? sLo : lLo))) === 0) {
        length = i + 1;
        break;
      }
    }
    out.push({ offset: start, length });
    start += length;
  }
  return out;
}

/** The fixed-size strategy: chunks of `size` bytes, the last one shorter. */
export function fixedRef(n: number, size: number): RefChunk[] {
  const out: RefChunk[] = [];
  for (let off = 0; off < n; off += size) out.push({ offset: off, length: Math.min(size, n - off) });
  return out;
}
