// pfz, the fast codec (assembly/fast/, src/codec/pfz.ts): round trips at every level on edge cases, random,
// repetitive, text-like and real corpus data; property tests; determinism; hostile payloads (bit flips, truncation,
// garbage, wrong lengths) must throw PaniniError FORMAT or decode to bytes of the declared length, never trap or
// hang; the container registry (codec 3).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, FAST_MAX_BLOCK, tokenExpand } from '../../src/codec/pfz.js';
import { CODEC_PFZ, CODEC_STORE, CODECS, codecName, decodeChunk, encodeChunk } from '../../src/container/codecs.js';
import { PaniniError } from '../../src/errors.js';
import { records, wordsText } from '../helpers/codec-inputs.js';
import { mulberry32, prngBytes } from '../helpers/prng.mjs';
import { CORPUS_DIR, corpusBytes } from '../helpers/corpus.js';

const LEVELS = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const CORPUS = CORPUS_DIR;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function roundTrip(data: Uint8Array, level: number): Uint8Array {
  const payload = encode(data, level);
  expect(payload.length).toBeLessThanOrEqual(data.length + 1);
  const back = decode(payload, data.length);
  expect(back.length).toBe(data.length);
  expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
  return payload;
}

const isFormat = (e: unknown): boolean => e instanceof PaniniError && e.code === 'FORMAT';
/** The first n bytes of a corpus file (a test failure naming the corpus when it is missing). */
const corpusSlice = (name: string, n: number): Uint8Array => corpusBytes(join('single', name), n);

describe('fast codec round trips', () => {
  it('empty, 1 to 40 bytes, at every level', () => {
    for (const level of LEVELS) {
      for (let n = 0; n <= 40; n++) {
        roundTrip(prngBytes(n + 1, n), level);
        roundTrip(new Uint8Array(n).fill(0x61), level);
      }
    }
    expect(encode(new Uint8Array(0), 2)).toEqual(new Uint8Array([0]));
  });

  it('random data is stored raw (n + 1 bytes), at every level', () => {
    const data = prngBytes(0xbad, 100_003);
    for (const level of LEVELS) {
      const p = roundTrip(data, level);
      expect(p.length).toBe(data.length + 1);
      expect(p[0]).toBe(0);
    }
  });

  it('runs, text-like, records and mixed data at every level, and they shrink', () => {
    const zeros = new Uint8Array(300_000);
    const text = wordsText(7, 300_000);
    const recs = records(9, 200_000);
    const mixed = new Uint8Array(250_000);
    mixed.set(text.subarray(0, 100_000), 0);
    mixed.set(prngBytes(3, 50_000), 100_000);
    mixed.set(text.subarray(50_000, 150_000), 150_000);
    for (const level of LEVELS) {
      expect(roundTrip(zeros, level).length).toBeLessThan(200);
      expect(roundTrip(text, level).length).toBeLessThan(text.length / 2);
      expect(roundTrip(recs, level).length).toBeLessThan(recs.length / 2);
      roundTrip(mixed, level);
    }
  });

  it('one symbol only, two symbols, every byte value, long literal runs', () => {
    for (const level of [1, 2, 5, 9]) {
      roundTrip(new Uint8Array(70_000).fill(0xff), level);
      const two = new Uint8Array(70_000);
      const next = mulberry32(5);
      for (let i = 0; i < two.length; i++) two[i] = next() & 1 ? 0x41 : 0x42;
      roundTrip(two, level);
      const all = new Uint8Array(256 * 300);
      for (let i = 0; i < all.length; i++) all[i] = (i * 7) & 255;
      roundTrip(all, level);
      // a long random stretch, then a repeat of its start at a far distance
      const far = new Uint8Array(600_000);
      far.set(prngBytes(11, 400_000), 0);
      far.set(far.subarray(0, 200_000), 400_000);
      expect(roundTrip(far, level).length).toBeLessThan(420_000);
    }
  });

  it('real corpus slices (text, json, js, wasm, elf) at every level, 384 KiB each', () => {
    const names = ['text-brown-all.txt', 'json-bcd.json', 'js-typescript.js', 'wasm-ort.wasm', 'elf-esbuild'];
    for (const name of names) {
      const data = corpusSlice(name, 384 << 10);
      for (const level of LEVELS) expect(roundTrip(data, level).length).toBeLessThan(data.length * 0.6);
    }
  });

  it('a 16 MiB block (the largest) of mixed data round trips; larger blocks are refused', () => {
    const big = new Uint8Array(FAST_MAX_BLOCK);
    const text = wordsText(21, 1 << 20);
    for (let i = 0; i < 16; i++) big.set(i % 3 === 2 ? prngBytes(i, 1 << 20) : text, i << 20);
    roundTrip(big, 1);
    expect(() => encode(new Uint8Array(FAST_MAX_BLOCK + 1), 1)).toThrow(PaniniError);
  });

  it('rejects bad levels with OPTION', () => {
    for (const bad of [0, 10, 2.5, Number.NaN]) {
      expect(() => encode(ascii('abc'), bad)).toThrow(expect.objectContaining({ code: 'OPTION' }));
    }
  });
});

describe('fast codec properties', () => {
  it('decode(encode(x)) = x for arbitrary bytes and levels', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 9 }), (data, level) => {
        const p = encode(data, level);
        expect(p.length).toBeLessThanOrEqual(data.length + 1);
        expect(Buffer.from(decode(p, data.length)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('decode(encode(x)) = x for repetitive arbitrary data (pieces repeated at arbitrary distances)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 30 })), { maxLength: 40 }),
        fc.integer({ min: 1, max: 9 }),
        (pieces, level) => {
          const parts: number[] = [];
          for (const [bytes, times] of pieces) for (let t = 0; t < times; t++) parts.push(...bytes);
          const data = Uint8Array.from(parts);
          expect(Buffer.from(decode(encode(data, level), data.length)).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is deterministic (same payload after coding other data in between)', () => {
    const text = wordsText(13, 200_000);
    for (const level of [1, 2, 5, 9]) {
      const a = encode(text, level);
      encode(records(2, 100_000), level);
      encode(prngBytes(4, 50_000), 9 - level + 1);
      expect(Buffer.from(encode(text, level)).equals(Buffer.from(a))).toBe(true);
    }
  });
});

describe('fast codec hostile payloads', () => {
  const text = wordsText(17, 40_000);
  const payloads = [1, 2, 5, 9].map((level) => ({ level, p: encode(text, level) }));

  /** Must be FORMAT or exactly n bytes; anything else (trap, other error) fails the test. */
  function tryDecode(p: Uint8Array, n: number): void {
    try {
      const out = decode(p, n);
      expect(out.length).toBe(n);
    } catch (e) {
      if (!isFormat(e)) throw e;
    }
  }

  it('every truncation is rejected with FORMAT', () => {
    for (const { p } of payloads) {
      for (let cut = 0; cut < p.length; cut += Math.max(1, p.length >> 9)) {
        expect(() => decode(p.subarray(0, cut), text.length)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
      }
    }
  });

  it('bit flips decode to n bytes or throw FORMAT', () => {
    const next = mulberry32(99);
    for (const { p } of payloads) {
      for (let k = 0; k < 400; k++) {
        const q = p.slice();
        const flips = 1 + (next() % 3);
        for (let f = 0; f < flips; f++) {
          const at = next() % q.length;
          q[at] = q[at]! ^ (1 << (next() % 8));
        }
        tryDecode(q, text.length);
      }
    }
  });

  it('random bytes, random bytes after a valid header, and wrong lengths: FORMAT or n bytes', () => {
    const next = mulberry32(7);
    for (let k = 0; k < 300; k++) {
      const n = next() % 5000;
      const q = prngBytes(k, 1 + (next() % 400));
      if (k & 1) q[0] = 1;
      tryDecode(q, n);
    }
    for (const { p } of payloads) {
      for (const n of [0, 1, text.length - 1, text.length + 1, text.length * 2]) {
        expect(() => decode(p, n)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
      }
      const longer = new Uint8Array(p.length + 3);
      longer.set(p);
      expect(() => decode(longer, text.length)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    }
    expect(() => decode(new Uint8Array(0), 0)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    expect(() => decode(new Uint8Array([0]), -1)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    expect(() => decode(new Uint8Array([0]), FAST_MAX_BLOCK + 1)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
  });

  it('fast-check: arbitrary payload mutations never trap', () => {
    const base = payloads[1]!.p;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(), (edits, cut) => {
        const q = base.slice(0, base.length - (cut % 8));
        for (const [at, v] of edits) q[at % q.length] = v;
        tryDecode(q, text.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('container codec 3 (pfz)', () => {
  const where = { offset: 0, record: 0 };
  it('is registered, codes chunks, falls back to store, and rejects bad records', () => {
    expect(codecName(CODEC_PFZ)).toBe('pfz');
    expect(CODECS.some((c) => c.id === 3 && c.name === 'pfz')).toBe(true);
    const text = wordsText(3, 50_000);
    const r = encodeChunk(text, 2, CODEC_PFZ);
    expect(r.codec).toBe(CODEC_PFZ);
    expect(r.params).toBe(2);
    expect(Buffer.from(decodeChunk(r.codec, r.params, r.stored, text.length, where)).equals(Buffer.from(text))).toBe(true);
    const rnd = prngBytes(8, 10_000);
    expect(encodeChunk(rnd, 2, CODEC_PFZ).codec).toBe(CODEC_STORE);
    expect(() => decodeChunk(CODEC_PFZ, 0, r.stored, text.length, where)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    expect(() => decodeChunk(CODEC_PFZ, 2, r.stored.subarray(0, 10), text.length, where)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    expect(() => decodeChunk(CODEC_PFZ, 2, rnd, 100, where)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
  });
});

// The TOKEN "words" expansion loop in wasm (assembly/fast/token.ts) against a plain reference written here: the same
// output on valid inputs, and a refusal (undefined: the stage's own loop then names the error) on every invalid one.
function referenceExpand(t: Uint8Array, d: Uint8Array, role: Int32Array, nS: number, nP: number, sep: number, max: number): Uint8Array | undefined {
  const words: number[][] = [];
  let cur: number[] = [];
  for (const b of d) {
    if (b === sep) {
      words.push(cur);
      cur = [];
    } else cur.push(b);
  }
  if (cur.length || words.length > nS + 256 * nP) return undefined;
  const out: number[] = [];
  for (let q = 0; q < t.length; q++) {
    const ro = role[t[q]!]!;
    if (ro === -1) out.push(t[q]!);
    else {
      let w = ro;
      if (ro < -1) {
        if (++q >= t.length) return undefined;
        w = nS + 256 * (-2 - ro) + t[q]!;
      }
      if (w >= words.length) return undefined;
      out.push(...words[w]!);
    }
    if (out.length > max) return undefined;
  }
  return Uint8Array.from(out);
}

describe('tokenExpand (TOKEN words inverse in wasm)', () => {
  const arb = fc.record({
    nS: fc.integer({ min: 0, max: 8 }),
    nP: fc.integer({ min: 0, max: 2 }),
    words: fc.array(fc.uint8Array({ maxLength: 40 }).map((w) => w.map((b) => (b === 10 ? 11 : b))), { maxLength: 30 }),
    text: fc.uint8Array({ maxLength: 400 }),
    tail: fc.uint8Array({ maxLength: 3 }),
    max: fc.integer({ min: 0, max: 3000 }),
  });
  it('gives the reference output, or declines where the reference fails', () => {
    fc.assert(
      fc.property(arb, ({ nS, nP, words, text, tail, max }) => {
        const role = new Int32Array(256).fill(-1);
        for (let j = 0; j < nS; j++) role[200 + j] = j; // code bytes 200.., prefixes 240..
        for (let j = 0; j < nP; j++) role[240 + j] = -2 - j;
        const dict = Uint8Array.from([...words.flatMap((w) => [...w, 10]), ...tail]);
        const want = referenceExpand(text, dict, role, nS, nP, 10, max);
        const got = tokenExpand(text, dict, role, nS, nP, 10, max);
        if (want === undefined) expect(got).toBeUndefined();
        else expect(got && Buffer.compare(got, want)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
  it('expands a large text exactly, and declines outputs over 16 MiB (the stage expands those itself)', () => {
    const role = new Int32Array(256).fill(-1);
    role[1] = 0;
    role[2] = 1;
    const dict = new TextEncoder().encode('panini\ndhatu-grammar\n');
    const text = new Uint8Array(1 << 20).map((_, i) => (i % 3 === 2 ? 32 : 1 + (i % 2)));
    const want = referenceExpand(text, dict, role, 2, 0, 10, Infinity)!;
    expect(Buffer.compare(tokenExpand(text, dict, role, 2, 0, 10, 1 << 30)!, want)).toBe(0);
    const big = new Uint8Array(1.2 * FAST_MAX_BLOCK / 12).fill(2); // 13 bytes per code byte → over 16 MiB
    expect(tokenExpand(big, dict, role, 2, 0, 10, 1 << 30)).toBeUndefined();
  });
});
