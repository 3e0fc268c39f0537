// preflate: exact reconstruction of deflate streams from any encoder. Oracles: node:zlib (it makes the streams and
// inflates everything we rebuild), fflate (a second encoder), hand-built streams using rarely seen but legal
// encodings, and the corpus PNG's real (foreign) stream.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { constants, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync as fflateDeflate } from 'fflate';
import { analyzeForeign, reconstructForeign, parseDeflate } from '../../src/dhatu/reflate/foreign.js';
import { PaniniError } from '../../src/errors.js';
import { CORPUS_DIR, corpusBytes } from '../helpers/corpus.js';

const CORPUS = CORPUS_DIR;
/** `n` bytes of a corpus file from `off` (a test failure naming the corpus when it is missing). */
const corpus = (name: string, n: number, off = 0): Uint8Array => corpusBytes(join('single', name), n, off);

/** n bytes of real English text (the corpus's Brown corpus). */
const textSample = (n: number): Uint8Array => corpus('text-brown-all.txt', n, 100_000);

function roundTrip(d: Uint8Array, raw: Uint8Array): Uint8Array {
  const c = analyzeForeign(d, raw, { maxFraction: 10 });
  expect(c).not.toBeNull();
  const back = reconstructForeign(raw, c!, d.length);
  expect(Buffer.compare(Buffer.from(back), Buffer.from(d))).toBe(0);
  return c!;
}

/** LSB-first bit writer for hand-built streams */
class Bits {
  out: number[] = [];
  acc = 0;
  n = 0;
  put(v: number, k: number): this {
    for (let i = 0; i < k; i++) {
      this.acc |= ((v >> i) & 1) << this.n;
      if (++this.n === 8) {
        this.out.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
    return this;
  }
  /** Huffman code, MSB first */
  code(c: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.put((c >> i) & 1, 1);
    return this;
  }
  finish(padValue = 0): Uint8Array {
    if (this.n) this.put(padValue, 8 - this.n);
    return Uint8Array.from(this.out);
  }
}
/** fixed-Huffman code of lit/len symbol s */
function fixedSym(b: Bits, s: number): void {
  if (s < 144) b.code(0x30 + s, 8);
  else if (s < 256) b.code(0x190 + s - 144, 9);
  else if (s < 280) b.code(s - 256, 7);
  else b.code(0xc0 + s - 280, 8);
}

describe('preflate: parser', () => {
  it('inflates like node:zlib and finds the tokens', () => {
    const raw = textSample(50_000);
    const d = deflateRawSync(raw, { level: 6 });
    const P = parseDeflate(d, raw.length);
    expect(Buffer.compare(Buffer.from(P.raw), Buffer.from(inflateRawSync(d)))).toBe(0);
    expect(P.streamBytes).toBe(d.length);
    let n = 0;
    for (let i = 0; i < P.nTok; i++) n += P.tokLen[i] || 1;
    expect(n).toBe(raw.length);
  });
  it('rejects invalid streams with FORMAT', () => {
    expect(() => parseDeflate(Uint8Array.of(0x07), 100)).toThrow(PaniniError); // type 3
    const d = deflateRawSync(textSample(2000));
    expect(() => parseDeflate(d.subarray(0, d.length >> 1), 1 << 20)).toThrow(/truncated|invalid/);
    expect(() => parseDeflate(d, 100)).toThrow(/limit/);
  });
});

describe('preflate: exact round trips', () => {
  const raw = textSample(120_000);
  const opts: [string, ZlibOptions][] = [];
  for (let level = 0; level <= 9; level++) opts.push([`level ${level}`, { level }]);
  for (const [name, strategy] of [['filtered', constants.Z_FILTERED], ['huffman', constants.Z_HUFFMAN_ONLY], ['rle', constants.Z_RLE], ['fixed', constants.Z_FIXED]] as const) {
    opts.push([name, { level: 6, strategy }]);
  }
  opts.push(['memLevel 1 windowBits 9', { level: 9, memLevel: 1, windowBits: 9 }]);
  for (const [name, o] of opts) {
    it(`node:zlib ${name}`, () => {
      roundTrip(deflateRawSync(raw, o), raw);
    });
  }
  it('node:zlib level 6 corrections are small (< 5% of the stream)', () => {
    const d = deflateRawSync(raw, { level: 6 });
    const c = roundTrip(d, raw);
    expect(c.length).toBeLessThan(d.length * 0.05);
  });
  it('fflate levels 1, 6, 9', () => {
    for (const level of [1, 6, 9] as const) {
      const d = fflateDeflate(raw, { level });
      expect(Buffer.compare(inflateRawSync(d), Buffer.from(raw))).toBe(0);
      roundTrip(d, raw);
    }
  });
  it('binary data (wasm slice) and empty input', () => {
    const w = corpus('wasm-ort.wasm', 80_000, 1_000_000);
    roundTrip(deflateRawSync(w, { level: 9 }), w);
    const e = new Uint8Array(0);
    roundTrip(deflateRawSync(e), e);
    roundTrip(Uint8Array.of(3, 0), e); // empty fixed block
  });
  it('hand-built: 258 coded as 284 + 31, stored block with padding bits set, non-zero final padding', () => {
    // block 1 (fixed, not final): 'a', match 258 dist 1 coded as symbol 284 extra 31, EOB
    const b = new Bits();
    b.put(0, 1).put(1, 2);
    fixedSym(b, 97);
    fixedSym(b, 284);
    b.put(31, 5);
    b.code(0, 5); // distance code 0 (fixed 5-bit)
    fixedSym(b, 256);
    // block 2 (stored, final) with padding bits 1s
    b.put(1, 1).put(0, 2);
    b.put(0xff, 8 - b.n);
    b.put(3, 16).put(3 ^ 0xffff, 16).put(0x78, 8).put(0x79, 8).put(0x7a, 8);
    // block 3 impossible after final; instead test final padding on a separate stream
    const d = b.finish();
    const raw = new Uint8Array(inflateRawSync(d));
    expect(raw.length).toBe(1 + 258 + 3);
    const c = roundTrip(d, raw);
    expect(c.length).toBeLessThan(40);
    const f = new Bits();
    f.put(1, 1).put(1, 2);
    fixedSym(f, 120);
    fixedSym(f, 256);
    const d2 = f.finish(0x7f);
    expect(inflateRawSync(d2).length).toBe(1);
    roundTrip(d2, Uint8Array.of(120));
  });
  it('property: random data, random zlib parameters', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 6 }),
        (bytes, level, strategy, memLevel, alpha) => {
          // reduce the alphabet so there are matches
          const raw = bytes.map((x) => x % (alpha * alpha + 1));
          const d = deflateRawSync(raw, { level, strategy, memLevel });
          const c = analyzeForeign(d, raw, { maxFraction: 100 });
          expect(c).not.toBeNull();
          expect(Buffer.compare(Buffer.from(reconstructForeign(raw, c!, d.length)), d)).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('preflate: API contract', () => {
  const raw = textSample(20_000);
  const d = deflateRawSync(raw, { level: 6 });
  it('returns null for wrong raw, invalid streams, trailing bytes, tiny budgets or maxFraction', () => {
    const wrong = raw.slice();
    wrong[100] = wrong[100]! ^ 1;
    expect(analyzeForeign(d, wrong)).toBeNull();
    expect(analyzeForeign(d.subarray(0, 100), raw)).toBeNull();
    const tail = new Uint8Array(d.length + 1);
    tail.set(d);
    expect(analyzeForeign(tail, raw)).toBeNull();
    expect(analyzeForeign(d, raw, { maxFraction: 0 })).toBeNull();
  });
  it('hostile corrections: FORMAT or a stream that still inflates to raw; never anything else', () => {
    const c = analyzeForeign(d, raw)!;
    expect(() => reconstructForeign(raw, c.subarray(0, 3), d.length)).toThrow(PaniniError);
    expect(() => reconstructForeign(raw, c, d.length + 1)).toThrow(PaniniError);
    expect(() => reconstructForeign(raw, c, 0)).toThrow(PaniniError);
    const bad = c.slice();
    bad[2] = 0;
    bad[3] = 0;
    expect(() => reconstructForeign(raw, bad, d.length)).toThrow(/out of range/);
    fc.assert(
      fc.property(fc.integer({ min: 6, max: c.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, x, cut) => {
        const m = cut ? c.subarray(0, at) : c.slice();
        if (!cut) m[at] = m[at]! ^ x;
        try {
          const out = reconstructForeign(raw, m, d.length);
          expect(out.length).toBe(d.length);
          expect(Buffer.compare(inflateRawSync(out), Buffer.from(raw))).toBe(0);
        } catch (e) {
          expect(e).toBeInstanceOf(PaniniError);
          expect((e as PaniniError).code).toBe('FORMAT');
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('preflate: the corpus PNG (a foreign encoder, header 78 01)', () => {
  it('first blocks of its stream (re-terminated) rebuild exactly with corrections under 6% of the stream', () => {
    const png = corpus('png-emoji-apple-32.png', 1 << 24);
    let p = 8;
    const idat: Uint8Array[] = [];
    const dv = new DataView(png.buffer, png.byteOffset);
    while (p + 8 <= png.length) {
      const len = dv.getUint32(p);
      const t = String.fromCharCode(...png.subarray(p + 4, p + 8));
      if (t === 'IDAT') idat.push(png.subarray(p + 8, p + 8 + len));
      p += 12 + len;
    }
    const z = Buffer.concat(idat);
    expect(z[0]).toBe(0x78);
    const full = z.subarray(2, z.length - 4);
    // parse a bounded prefix: blocks up to ~1.5 MB of raw, then end the stream with an empty final fixed block
    let P;
    try {
      P = parseDeflate(full, 1_500_000);
    } catch {
      P = null;
    }
    expect(P).toBeNull(); // the whole stream is larger than the limit
    // find block boundaries with a large limit but only keep the first ones
    const all = parseDeflate(full, 1 << 26);
    let k = 0;
    while (k < all.blocks.length && all.blocks[k]!.rawEnd < 1_200_000) k++;
    const endBit = all.blocks[k - 1]!.bitEnd;
    const b = new Bits();
    for (let i = 0; i < endBit; i++) b.put((full[i >> 3]! >> (i & 7)) & 1, 1);
    b.put(1, 1).put(1, 2).put(0, 7); // final empty fixed block
    const d = b.finish();
    const raw = new Uint8Array(inflateRawSync(d));
    expect(raw.length).toBe(all.blocks[k - 1]!.rawEnd);
    const c = roundTrip(d, raw);
    expect(c.length).toBeLessThan(d.length * 0.06);
  }, 60_000);
});
