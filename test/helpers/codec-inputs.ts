// Generated inputs shared by the codec and container tests: deterministic from a seed.
import { mulberry32, prngBytes } from './prng.mjs';

/** Text-like bytes: words from a small vocabulary, so matches, reps and literals all occur. */
export function wordsText(seed: number, n: number): Uint8Array {
  const next = mulberry32(seed);
  const vocab = Array.from({ length: 300 }, () => {
    const len = 1 + (next() % 9);
    let w = '';
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + (next() % 26));
    return w;
  });
  const out = new Uint8Array(n);
  let k = 0;
  while (k < n) {
    const w = vocab[Math.min(next() % 300, next() % 300)]!;
    for (let i = 0; i < w.length && k < n; i++) out[k++] = w.charCodeAt(i);
    if (k < n) out[k++] = next() % 11 === 0 ? 10 : 32;
  }
  return out;
}

/** Binary-like records: 16-byte structs with counters and a few random fields (short distances, reps). */
export function records(seed: number, n: number): Uint8Array {
  const next = mulberry32(seed);
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  for (let i = 0; i + 16 <= n; i += 16) {
    view.setUint32(i, i >>> 4, true);
    view.setUint32(i + 4, 0xe8000000 | (next() & 0xfff), true);
    view.setUint32(i + 8, next() % 7, true);
    view.setUint32(i + 12, 0x12345678, true);
  }
  return out;
}

/** The vocabulary of phraseText: a few product words, so a words dictionary and long repeats both pay. */
export const PHRASE_VOCAB: readonly string[] = ['panini', 'dhatu', 'sutra', 'the', 'container', 'record', 'deflate', 'window', 'of', 'and', '\n', 'grammar', 'root'];

/** Text-like compressible bytes: words of `vocab` separated by spaces, picked by prngBytes(seed). */
export function phraseText(seed: number, n: number, vocab: readonly string[] = PHRASE_VOCAB): Uint8Array {
  const r = prngBytes(seed, n);
  const parts: string[] = [];
  let len = 0;
  for (let k = 0; len < n; k++) {
    const w = vocab[r[k % n]! % vocab.length]!;
    parts.push(w, ' ');
    len += w.length + 1;
  }
  return new TextEncoder().encode(parts.join('')).subarray(0, n);
}
