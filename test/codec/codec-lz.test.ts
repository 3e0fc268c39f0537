// plz (assembly/codec/, src/codec/plz.ts): round trips at every level on edge cases, random, repetitive, text-like
// and real corpus data; property tests; determinism; hostile payloads (bit flips, truncation, garbage, wrong
// lengths) must throw PaniniError FORMAT or decode to some bytes of the declared length, never trap, hang or
// write outside the output block; the container registry (codec 2).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, PLZ_MAX_BLOCK } from '../../src/codec/plz.js';
import { getCodec } from '../../src/wasm/codec.js';
import { CODEC_PLZ, CODEC_STORE, CODECS, codecName, decodeChunk, encodeChunk } from '../../src/container/codecs.js';
import { PaniniError } from '../../src/errors.js';
import { records, wordsText } from '../helpers/codec-inputs.js';
import { mulberry32, prngBytes } from '../helpers/prng.mjs';
import { CORPUS_DIR, corpusPath } from '../helpers/corpus.js';

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

describe('plz round trips', () => {
  it('empty, 1 to 8 bytes, at every level', () => {
    for (const level of LEVELS) {
      for (let n = 0; n <= 8; n++) {
        roundTrip(prngBytes(n + 1, n), level);
        roundTrip(new Uint8Array(n).fill(0x61), level);
      }
    }
    expect(encode(new Uint8Array(0), 6)).toEqual(new Uint8Array([0xff]));
  });

  it('random data is stored raw (n + 1 bytes), at every level', () => {
    const data = prngBytes(0xbad, 100_003);
    for (const level of LEVELS) {
      const p = roundTrip(data, level);
      expect(p.length).toBe(data.length + 1);
      expect(p[0]).toBe(0xff);
    }
  });

  it('highly repetitive data: runs, short periods, one long repeat', () => {
    const zeros = new Uint8Array(1 << 20);
    for (const level of [1, 4, 5, 9]) expect(roundTrip(zeros, level).length).toBeLessThan(300);
    for (let period = 1; period <= 17; period++) {
      const d = new Uint8Array(50_000);
      const unit = prngBytes(period, period);
      for (let i = 0; i < d.length; i++) d[i] = unit[i % period]!;
      for (const level of [1, 6, 9]) expect(roundTrip(d, level).length).toBeLessThan(400);
    }
    const half = prngBytes(7, 300_000);
    const twice = new Uint8Array(600_000);
    twice.set(half);
    twice.set(half, 300_000);
    for (const level of [1, 6]) expect(roundTrip(twice, level).length).toBeLessThan(310_000);
  });

  it('text-like and record-like data at every level, smaller as the level rises', () => {
    const text = wordsText(42, 200_000);
    const rec = records(43, 200_000);
    const sizes: number[] = [];
    for (const level of LEVELS) {
      sizes.push(roundTrip(text, level).length);
      roundTrip(rec, level);
    }
    expect(sizes[8]!).toBeLessThan(sizes[0]!);
    expect(sizes[5]!).toBeLessThan(sizes[0]!);
    expect(sizes[0]!).toBeLessThan(text.length * 0.6);
  });

  it('x86-like code (calls to a few targets) is coded with the x86 filter, and round trips at every level', () => {
    const next = mulberry32(77);
    const n = 300_000;
    const d = new Uint8Array(n);
    const targets = Array.from({ length: 50 }, () => next() % n);
    let k = 0;
    while (k + 5 <= n) {
      if (next() % 4 === 0) {
        // call rel32 to one of the targets: the relative displacement differs at every site
        const rel = (targets[next() % targets.length]! - (k + 5)) | 0;
        d[k] = 0xe8;
        new DataView(d.buffer).setInt32(k + 1, rel, true);
        k += 5;
      } else {
        const ops = [0x48, 0x89, 0x8b, 0x83, 0xc3, 0x0f, 0x85, 0x74];
        d[k++] = ops[next() % ops.length]!;
      }
    }
    for (const level of LEVELS) {
      const p = roundTrip(d, level);
      expect(p[0]).toBe(1);
    }
    // edge cases of the transform: opcodes in the last 4 bytes, displacements at the 25-bit limits
    const edges = new Uint8Array(64);
    const v = new DataView(edges.buffer);
    edges[0] = 0xe8; v.setInt32(1, -(1 << 24), true);
    edges[5] = 0xe9; v.setInt32(6, (1 << 24) - 1, true);
    edges[10] = 0xe8; v.setInt32(11, 1 << 24, true); // does not fit: left alone
    edges[15] = 0xe8; edges[16] = 0xe8; edges[17] = 0xe9;
    edges[60] = 0xe8; edges[61] = 0xe9; edges[62] = 0xe8; edges[63] = 0xff;
    for (const level of LEVELS) roundTrip(edges, level);
  });

  it('mixed: random, runs and copies at distances from 1 to 1 MiB (long distances use the direct bits)', () => {
    const next = mulberry32(99);
    const n = 3 << 20;
    const d = new Uint8Array(n);
    let k = 0;
    while (k < n) {
      const kind = next() % 4;
      const len = Math.min(n - k, 1 + (next() % 400));
      if (kind === 0 || k < 16) {
        for (let i = 0; i < len; i++) d[k + i] = next() & 0xff;
      } else if (kind === 1) {
        d.fill(next() & 0xff, k, k + len);
      } else {
        const dist = 1 + (next() % Math.min(k, kind === 2 ? 64 : 1 << 20));
        for (let i = 0; i < len; i++) d[k + i] = d[k + i - dist]!;
      }
      k += len;
    }
    for (const level of [1, 5, 9]) roundTrip(d, level);
  });

  it('the largest block (16 MiB) round trips; one byte more is refused with LIMIT', () => {
    const big = new Uint8Array(PLZ_MAX_BLOCK);
    const unit = wordsText(5, 1 << 20);
    for (let i = 0; i < 16; i++) big.set(unit, i << 20);
    big[PLZ_MAX_BLOCK - 1] = 0x7f;
    roundTrip(big, 1);
    expect(() => encode(new Uint8Array(PLZ_MAX_BLOCK + 1), 1)).toThrow(expect.objectContaining({ code: 'LIMIT' }));
  });

  const files = ['text-brown-all.txt', 'json-bcd.json', 'js-typescript.js', 'wasm-ort.wasm', 'elf-esbuild', 'zip-closure.jar', 'png-emoji-apple-32.png'];
  it('corpus slices (256 KiB from the middle of each file) at levels 1, 6, 9', () => {
    for (const f of files) {
      const all = readFileSync(corpusPath(join('single', f)));
      const mid = Math.max(0, (all.length >> 1) - (128 << 10));
      const slice = new Uint8Array(all.subarray(mid, mid + (256 << 10)));
      for (const level of [1, 6, 9]) roundTrip(slice, level);
    }
  });
});

describe('plz properties', () => {
  // inputs built from segments: random bytes, runs, and copies of what came before (so matches are common)
  const segment = fc.oneof(
    fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('run' as const), byte: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 1, max: 300 }) }),
    fc.record({ kind: fc.constant('copy' as const), back: fc.integer({ min: 1, max: 5000 }), len: fc.integer({ min: 1, max: 300 }) }),
  );
  const structured = fc.array(segment, { maxLength: 60 }).map((segs) => {
    const out: number[] = [];
    for (const s of segs) {
      if (s.kind === 'bytes') out.push(...s.bytes);
      else if (s.kind === 'run') for (let i = 0; i < s.len; i++) out.push(s.byte);
      else if (out.length > 0) {
        const from = Math.max(0, out.length - s.back);
        for (let i = 0; i < s.len; i++) out.push(out[from + i]!);
      }
    }
    return Uint8Array.from(out);
  });

  it('decode(encode(x)) = x for structured and arbitrary inputs at every level', () => {
    fc.assert(
      fc.property(fc.oneof(structured, fc.uint8Array({ maxLength: 3000 })), fc.integer({ min: 1, max: 9 }), (data, level) => {
        const p = encode(data, level);
        expect(p.length).toBeLessThanOrEqual(data.length + 1);
        expect(Buffer.from(decode(p, data.length)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 400, seed: 0x91a },
    );
  });

  it('the x86 filter is exactly invertible on any bytes (dense in E8/E9 opcodes)', () => {
    const c = getCodec();
    const opcodeHeavy = fc.array(fc.oneof(fc.constantFrom(0xe8, 0xe9, 0x00, 0xff), fc.integer({ min: 0, max: 255 })), { maxLength: 2000 }).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(opcodeHeavy, fc.boolean(), (data, forwardFirst) => {
        c.mem().set(data, c.inPtr);
        c.x.x86(data.length, forwardFirst ? 1 : 0);
        c.x.x86(data.length, forwardFirst ? 0 : 1);
        expect(Buffer.from(c.mem().subarray(c.inPtr, c.inPtr + data.length)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 2000, seed: 0x86 },
    );
  });

  it('deterministic: the same input and level give the same bytes, whatever was coded before', () => {
    const a = wordsText(1, 150_000);
    const b = records(2, 150_000);
    for (const level of LEVELS) {
      const first = encode(a, level);
      encode(b, 9);
      encode(prngBytes(3, 1000), 1);
      expect(Buffer.from(encode(a, level)).equals(Buffer.from(first))).toBe(true);
    }
  });

  it('rejects bad levels with OPTION', () => {
    for (const level of [0, 10, 1.5, Number.NaN, -1]) {
      expect(() => encode(new Uint8Array(10), level)).toThrow(expect.objectContaining({ code: 'OPTION' }));
    }
  });
});

describe('plz decoder on hostile payloads', () => {
  const samples: [string, Uint8Array][] = [
    ['text', wordsText(11, 40_000)],
    ['records', records(12, 40_000)],
    ['runs', new Uint8Array(30_000).fill(3)],
  ];

  /** Decodes `payload` for `n` bytes with a canary after the output block; returns 'ok', or 'format' on FORMAT. */
  function hostile(payload: Uint8Array, n: number): 'ok' | 'format' {
    const c = getCodec();
    const canaryAt = c.outPtr + n + 8; // the decoder may overshoot the block's end by up to 7 bytes (SLACK)
    c.mem().fill(0xa5, canaryAt, canaryAt + 4096);
    let result: 'ok' | 'format';
    try {
      const out = decode(payload, n);
      expect(out.length).toBe(n);
      result = 'ok';
    } catch (e) {
      if (!isFormat(e)) throw e;
      result = 'format';
    }
    const m = c.mem();
    for (let i = canaryAt; i < canaryAt + 4096; i++) if (m[i] !== 0xa5) throw new Error(`decoder wrote past the block at +${i - c.outPtr}`);
    return result;
  }

  it('bit flips: FORMAT or some bytes of the declared length, never a trap or a write past the block', () => {
    const next = mulberry32(0xf11b);
    let format = 0;
    let trials = 0;
    for (const [, data] of samples) {
      for (const level of [1, 6, 9]) {
        const p = encode(data, level);
        for (let t = 0; t < 150; t++) {
          const q = p.slice();
          const flips = 1 + (next() % 3);
          for (let f = 0; f < flips; f++) {
            const at = 1 + (next() % (q.length - 1));
            q[at]! ^= 1 << (next() % 8);
          }
          if (hostile(q, data.length) === 'format') format++;
          trials++;
        }
      }
    }
    // most corruptions are detected by the coder itself (the container's SHA-256 catches the rest)
    expect(format / trials).toBeGreaterThan(0.5);
  });

  it('truncation at every length is FORMAT', () => {
    for (const [, data] of samples) {
      const p = encode(data.subarray(0, 5000), 6);
      for (let len = 0; len < p.length; len++) expect(hostile(p.subarray(0, len), 5000)).toBe('format');
    }
  });

  it('trailing bytes, wrong lengths, bad flags and props bytes are FORMAT', () => {
    const data = wordsText(13, 20_000);
    const p = encode(data, 6);
    expect(p[0]).toBe(0); // coded, no filter
    const longer = new Uint8Array(p.length + 1);
    longer.set(p);
    expect(hostile(longer, data.length)).toBe('format');
    expect(hostile(p, data.length + 1)).toBe('format');
    expect(hostile(p, data.length - 1)).toBe('format');
    expect(hostile(p, 0)).toBe('format');
    for (const flags of [2, 3, 0x80, 0xfe]) {
      const q = p.slice();
      q[0] = flags;
      expect(hostile(q, data.length)).toBe('format');
    }
    for (const props of [225, 226, 254, 255, 9 * 5 + 8]) {
      // 225–255 are not props bytes; lc 8 + lp 1 exceeds lc + lp ≤ 8
      const q = p.slice();
      q[1] = props;
      expect(hostile(q, data.length)).toBe('format');
    }
    // the same stream with the x86 flag decodes (to other bytes): the container's SHA-256 catches it
    const x86 = p.slice();
    x86[0] = 1;
    expect(hostile(x86, data.length)).toBe('ok');
    // raw form must be exactly n + 1 bytes
    expect(hostile(new Uint8Array([0xff, 1, 2]), 3)).toBe('format');
    expect(hostile(new Uint8Array([0xff, 1, 2]), 2)).toBe('ok');
    expect(hostile(new Uint8Array([0xff]), 0)).toBe('ok');
    expect(hostile(new Uint8Array([0, 93, 0, 0, 0, 0]), 0)).toBe('format');
    expect(() => decode(new Uint8Array(10), PLZ_MAX_BLOCK + 1)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    expect(() => decode(new Uint8Array(10), 5)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
  });

  it('random garbage after valid flags and props bytes is FORMAT or bytes of the declared length', () => {
    const next = mulberry32(0x9a7);
    for (let t = 0; t < 300; t++) {
      const len = 1 + (next() % 2000);
      const g = prngBytes(next(), len);
      g[0] = next() & 1; // plain or x86
      if (len > 1) g[1] = [3, 4, 8, 93][next() % 4]!; // lc 3, 4, 8 (pb 0) or lc 3 pb 2
      hostile(g, 1 + (next() % 100_000));
    }
  });
});

describe('codec registry: plz is codec 2', () => {
  it('is listed, coded on request, decoded by decodeChunk, and falls back to store', () => {
    expect(CODECS.find((c) => c.id === CODEC_PLZ)?.name).toBe('plz');
    expect(codecName(2)).toBe('plz');
    const data = wordsText(21, 100_000);
    const c = encodeChunk(data, 6, CODEC_PLZ);
    expect(c.codec).toBe(CODEC_PLZ);
    expect(c.params).toBe(6);
    expect(Buffer.from(decodeChunk(c.codec, c.params, c.stored, data.length, { offset: 0, record: 0 })).equals(Buffer.from(data))).toBe(true);
    const rnd = prngBytes(22, 5000);
    expect(encodeChunk(rnd, 6, CODEC_PLZ).codec).toBe(CODEC_STORE);
    expect(encodeChunk(ascii('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), 1).codec).toBe(1); // default stays deflate
  });

  it('reports bad payloads and params as FORMAT with the record', () => {
    const data = wordsText(23, 10_000);
    const c = encodeChunk(data, 3, CODEC_PLZ);
    const where = { offset: 77, record: 5 };
    const bad = c.stored.slice(0, c.stored.length - 3);
    expect(() => decodeChunk(CODEC_PLZ, 3, bad, data.length, where)).toThrow(expect.objectContaining({ code: 'FORMAT', where }));
    expect(() => decodeChunk(CODEC_PLZ, 0, c.stored, data.length, where)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    expect(() => decodeChunk(CODEC_PLZ, 10, c.stored, data.length, where)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    // not smaller than the original: an encoder would have stored it
    expect(() => decodeChunk(CODEC_PLZ, 3, new Uint8Array([0xff, 1, 2]), 2, where)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
  });
});
