// Byte features of a chunk: a fixed-width vector computed from its bytes, the same in training and at run time (the
// content classifier's input, and the first part of the plan selector's). Byte histogram (256, square-rooted
// frequencies), byte-bigram hashes (128 buckets), the first 16 and last 8 bytes (scaled to 0..1, the place magic
// numbers and trailers live), and 8 summary values.
const HIST = 256;
const BIGRAM = 128;
const HEAD = 16;
const TAIL = 8;
const SUMMARY = 8;
export const FEATURE_WIDTH = HIST + BIGRAM + HEAD + TAIL + SUMMARY;
/** At most this many bytes of a chunk are read: its head, and evenly spaced windows after it. */
export const FEATURE_SAMPLE = 16384;

/** Writes the features of `d` into `out` at `at` (FEATURE_WIDTH values). */
export function chunkFeatures(d: Uint8Array, out: Float32Array = new Float32Array(FEATURE_WIDTH), at = 0): Float32Array {
  const hist = new Float64Array(HIST);
  const big = new Float64Array(BIGRAM);
  let n = 0;
  let prev = -1;
  let runs = 0;
  let printable = 0;
  const take = (a: number, b: number): void => {
    prev = -1;
    for (let i = a; i < b; i++) {
      const c = d[i]!;
      hist[c]!++;
      if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13) printable++;
      if (prev >= 0) {
        big[((prev * 31 + c) * 2654435761 >>> 0) % BIGRAM]!++;
        if (prev === c) runs++;
      }
      prev = c;
      n++;
    }
  };
  if (d.length <= FEATURE_SAMPLE) take(0, d.length);
  else {
    take(0, 4096);
    // 12 windows of 1 KiB spread over the rest
    const span = d.length - 4096 - 1024;
    for (let k = 0; k < 12; k++) {
      const a = 4096 + Math.floor((span * k) / 11);
      take(a, a + 1024);
    }
  }
  let o = at;
  let entropy = 0;
  let distinct = 0;
  for (let i = 0; i < HIST; i++) {
    const p = n ? hist[i]! / n : 0;
    out[o++] = Math.sqrt(p);
    if (p > 0) {
      entropy -= p * Math.log2(p);
      distinct++;
    }
  }
  const nb = Math.max(1, n - 1);
  for (let i = 0; i < BIGRAM; i++) out[o++] = Math.sqrt(big[i]! / nb);
  for (let i = 0; i < HEAD; i++) out[o++] = i < d.length ? d[i]! / 255 : -1;
  for (let i = 0; i < TAIL; i++) out[o++] = i < d.length ? d[d.length - 1 - i]! / 255 : -1;
  const zeros = n ? hist[0]! / n : 0;
  const high = n ? hist.slice(0x80).reduce((a, b) => a + b, 0) / n : 0;
  out[o++] = entropy / 8;
  out[o++] = distinct / 256;
  out[o++] = n ? printable / n : 0;
  out[o++] = zeros;
  out[o++] = high;
  out[o++] = runs / nb;
  out[o++] = Math.min(1, Math.log2(1 + d.length) / 24);
  out[o++] = n ? (hist[0x0a]! + hist[0x20]!) / n : 0;
  return out;
}

/** Features of many chunks, one row each. */
export function batchFeatures(chunks: Uint8Array[]): Float32Array {
  const out = new Float32Array(chunks.length * FEATURE_WIDTH);
  chunks.forEach((c, i) => chunkFeatures(c, out, i * FEATURE_WIDTH));
  return out;
}
