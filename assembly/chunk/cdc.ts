// FastCDC content-defined chunking (Xia et al. 2016/2020) with normalized chunking (two masks) and a gear hash
// rolled two bytes per step. The spec, byte at a time (docs/ARCHITECTURE.md "Chunking"):
//   for each chunk, skip its first minSize bytes; from there h = 0 and, for each next byte at position i (0-based
//   within the chunk), h = (h << 1) + GEAR[byte] (mod 2^64); cut after byte i when (h & mask) == 0, where mask is
//   MASK_S while i < avgSize and MASK_L after; cut at maxSize if no cut point came first.
//   MASK_S has bits+2 ones and MASK_L bits-2 ones, bits = round(log2(avgSize)), taken from the top of the word
//   below bit 63 (bit j of h depends on the last j+1 bytes, so high bits see a 60+ byte window).
// The two-byte step (h2 = (h << 2) + (GEAR[b0] << 1) + GEAR[b1], testing (h1 << 1) & (mask << 1) for the first
// byte) gives exactly the byte-at-a-time cuts because no mask uses bit 63.
//
// The scan is resumable: state (position in the current chunk, h) lives at CDC_CTX, so a stream can be fed in
// windows of any size and gives the same cuts as one call over the whole input.
// CDC_CTX layout: [0,8) h (u64) · [8,16) position in the current chunk (u64)
import { CDC_CTX, CUTS, GEAR, GEAR_LS } from "../layout";

/** SplitMix64 (Steele, Lea, Flood 2014) from the seed 0x70616e696e692d66 ("panini-f"): GEAR[i] is its i-th output. */
export function gearInit(): void {
  let s: u64 = 0x70616e696e692d66;
  for (let i: usize = 0; i < 256; i++) {
    s += 0x9e3779b97f4a7c15;
    let z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z = z ^ (z >> 31);
    store<u64>(GEAR + (i << 3), z);
    store<u64>(GEAR_LS + (i << 3), z << 1);
  }
}

// @ts-ignore: decorator
@inline function maskOf(ones: u32): u64 {
  return ((<u64>1 << ones) - 1) << (63 - ones);
}

export function cdcReset(): void {
  store<u64>(CDC_CTX, 0, 0);
  store<u64>(CDC_CTX, 0, 8);
}

/**
 * Scans [ptr, ptr+len) continuing the chunk in progress. Writes the end offset (relative to ptr, exclusive) of each
 * chunk that ends inside the window into CUTS and returns how many. The chunk in progress at the end stays open.
 */
export function cdcScan(ptr: usize, len: usize, minSize: u64, avgSize: u64, maxSize: u64, bits: u32): u32 {
  const maskS = maskOf(bits + 2);
  const maskL = maskOf(bits - 2);
  const maskSls = maskS << 1;
  const maskLls = maskL << 1;
  let h = load<u64>(CDC_CTX, 0);
  let pos = load<u64>(CDC_CTX, 8); // bytes of the current chunk already consumed
  let i: usize = 0; // offset in the window
  let nCuts: u32 = 0;
  while (i < len) {
    const left = <u64>(len - i);
    // 1. skip what remains of the first minSize bytes (not hashed)
    if (pos < minSize) {
      const skip = min<u64>(minSize - pos, left);
      pos += skip;
      i += <usize>skip;
      if (pos < minSize) break;
      h = 0;
      continue;
    }
    let cut = false;
    // 2. small mask up to avgSize
    if (pos < avgSize) {
      const stop = i + <usize>min<u64>(avgSize - pos, <u64>(len - i));
      let j = i;
      while (j + 2 <= stop) {
        h = (h << 2) + load<u64>(GEAR_LS + (<usize>load<u8>(ptr + j) << 3));
        if ((h & maskSls) == 0) { j += 1; cut = true; h >>= 1; break; }
        h += load<u64>(GEAR + (<usize>load<u8>(ptr + j + 1) << 3));
        if ((h & maskS) == 0) { j += 2; cut = true; break; }
        j += 2;
      }
      if (!cut && j < stop) {
        h = (h << 1) + load<u64>(GEAR + (<usize>load<u8>(ptr + j) << 3));
        j += 1;
        if ((h & maskS) == 0) cut = true;
      }
      pos += <u64>(j - i);
      i = j;
    } else {
      // 3. large mask up to maxSize
      const stop = i + <usize>min<u64>(maxSize - pos, <u64>(len - i));
      let j = i;
      while (j + 2 <= stop) {
        h = (h << 2) + load<u64>(GEAR_LS + (<usize>load<u8>(ptr + j) << 3));
        if ((h & maskLls) == 0) { j += 1; cut = true; h >>= 1; break; }
        h += load<u64>(GEAR + (<usize>load<u8>(ptr + j + 1) << 3));
        if ((h & maskL) == 0) { j += 2; cut = true; break; }
        j += 2;
      }
      if (!cut && j < stop) {
        h = (h << 1) + load<u64>(GEAR + (<usize>load<u8>(ptr + j) << 3));
        j += 1;
        if ((h & maskL) == 0) cut = true;
      }
      pos += <u64>(j - i);
      i = j;
      if (pos >= maxSize) cut = true;
    }
    if (cut) {
      store<u32>(CUTS + (<usize>nCuts << 2), <u32>i);
      nCuts++;
      pos = 0;
      h = 0;
    }
  }
  store<u64>(CDC_CTX, h, 0);
  store<u64>(CDC_CTX, pos, 8);
  return nCuts;
}
