// The context-mixing coder (assembly/cm/, src/codec/cm.ts): round trips on edge cases, random, repetitive and real
// corpus data; properties; determinism; hostile payloads (bit flips, truncation, trailing bytes, oversized declared
// sizes, bad headers) throw PaniniError FORMAT; the module's memory stays within the declared model size.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CM_MAX_BLOCK, cmBits, cmMemoryBytes, decode, encode } from '../../src/codec/cm.js';
import { PaniniError } from '../../src/errors.js';
import { init } from '../../src/wasm/core.js';
import { getCm } from '../../src/wasm/cm.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { prngBytes } from '../helpers/prng.mjs';

beforeAll(() => init());

function roundTrip(data: Uint8Array, level: number): Uint8Array {
  const payload = encode(data, level);
  expect(payload.length).toBeLessThanOrEqual(data.length + 1);
  const back = decode(payload, data.length);
  expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
  return payload;
}
const isFormat = (e: unknown): boolean => e instanceof PaniniError && e.code === 'FORMAT';
function corpusSlice(name: string, n: number): Uint8Array {
  const p = join(CORPUS_DIR, 'single', name);
  if (!existsSync(p)) throw new Error(`corpus file ${p} is missing: build the corpus or set PANINI_CORPUS_DIR`);
  return new Uint8Array(readFileSync(p).subarray(0, n));
}
const text = (n: number): Uint8Array => {
  const words = ['the', 'of', 'context', 'mixing', 'model', 'and', 'a', 'predicts', 'bit', 'each', 'order'];
  let s = '';
  let x = 12345;
  while (s.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += words[(x >>> 16) % words.length] + ((x & 15) === 0 ? '.\n' : ' ');
  }
  return new TextEncoder().encode(s.slice(0, n));
};

describe('context-mixing coder round trips', () => {
  it('empty, 1 to 40 bytes, random and constant', () => {
    for (let n = 0; n <= 40; n++) {
      roundTrip(prngBytes(n + 1, n), 1);
      roundTrip(new Uint8Array(n).fill(0x61), 1);
    }
  });
  it('random data is stored (at most one byte more)', () => {
    const d = prngBytes(7, 50_000);
    expect(roundTrip(d, 1).length).toBe(d.length + 1);
  });
  it('text and repetitive data shrink, below deflate (node:zlib level 9)', () => {
    const t = text(200_000);
    const p = roundTrip(t, 2);
    expect(p.length).toBeLessThan(deflateRawSync(t, { level: 9 }).length);
    const rep = new Uint8Array(100_000);
    for (let i = 0; i < rep.length; i++) rep[i] = (i % 251) ^ (i >> 12);
    expect(roundTrip(rep, 2).length).toBeLessThan(2000);
  });
  it('real corpus slices (text, json, js, wasm, elf), 64 KiB each, at level 1, and text at level 9', { timeout: 600_000 }, () => {
    for (const name of ['text-brown-all.txt', 'json-bcd.json', 'js-typescript.js', 'wasm-ort.wasm', 'elf-esbuild']) {
      const d = corpusSlice(name, 64 << 10);
      for (const level of name.startsWith('text') ? [1, 9] : [1]) {
        const p = roundTrip(d, level);
        expect(p.length).toBeLessThan(deflateRawSync(d, { level: 9 }).length);
      }
    }
  });
  it('properties: any bytes round-trip at any level, the same bytes every time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 4 }), (d, level) => {
        const a = roundTrip(d, level);
        expect(Buffer.from(encode(d, level)).equals(Buffer.from(a))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('context-mixing coder hostile payloads', () => {
  const data = text(20_000);
  let good: Uint8Array = new Uint8Array(0);
  beforeAll(() => {
    good = encode(data, 1);
  });
  it('bit flips give FORMAT or the right bytes, never a trap', () => {
    for (let i = 0; i < 60; i++) {
      const bad = good.slice();
      const at = (i * 7919) % bad.length;
      bad[at] = bad[at]! ^ (1 << (i & 7));
      try {
        const r = decode(bad, data.length);
        expect(Buffer.from(r).equals(Buffer.from(data))).toBe(true);
      } catch (e) {
        expect(isFormat(e)).toBe(true);
      }
    }
  });
  it('truncated, trailing bytes, oversized or wrong declared sizes, bad headers → FORMAT', () => {
    const cases: Array<[Uint8Array, number]> = [
      [good.subarray(0, good.length - 5), data.length],
      [good.subarray(0, 3), data.length],
      [new Uint8Array(0), data.length],
      [Uint8Array.from([...good, 0, 0, 0, 0, 0, 0]), data.length],
      [good, data.length + 1],
      [good, data.length - 1],
      [good, CM_MAX_BLOCK + 1],
      [good, -1],
      [good, 1.5],
      [Uint8Array.from([2, ...good.subarray(1)]), data.length],
      [Uint8Array.from([1, 40, ...good.subarray(2)]), data.length],
      [Uint8Array.from([0, 1, 2]), 3],
    ];
    for (const [p, n] of cases) expect(() => decode(p, n)).toThrow(PaniniError);
    for (const [p, n] of cases) {
      try {
        decode(p, n);
      } catch (e) {
        expect(isFormat(e), String(e)).toBe(true);
      }
    }
  });
  it('encode refuses bad levels and oversized blocks', () => {
    expect(() => encode(data, 0)).toThrow(PaniniError);
    expect(() => encode(data, 10)).toThrow(PaniniError);
    expect(() => encode(new Uint8Array(CM_MAX_BLOCK + 1), 1)).toThrow(PaniniError);
  });
});

describe('context-mixing coder memory', () => {
  it('the module memory stays within the declared model size of the largest level used', () => {
    roundTrip(text(30_000), 9);
    const have = getCm().x.memory.buffer.byteLength;
    expect(have).toBeLessThanOrEqual(cmMemoryBytes(cmBits(9)) + (1 << 20));
    roundTrip(text(30_000), 1);
    expect(getCm().x.memory.buffer.byteLength).toBe(have);
  });
});

describe('context-mixing coder in the dhātu plan (coder id 3)', () => {
  it('the CODER stage codes streams with it and its inverse decodes them', async () => {
    const { CODER_CM } = await import('../../src/dhatu/adapter/record.js');
    const { CODER_STAGE, coderForward } = await import('../../src/dhatu/stages/coder.js');
    expect(CODER_CM).toBe(3);
    const streams = [text(40_000), prngBytes(3, 5000), new Uint8Array(0)];
    const r = coderForward(streams, { level: 1, coder: CODER_CM });
    expect(r.params[1]).toBe(CODER_CM); // the text stream is coded by it
    expect(r.params[1 + 1 + 3]).toBe(0); // the random stream is stored
    const ctx = { recordOffset: 0, recordLength: 45_000, where: 'test record', maxBytes: 1 << 26 };
    const back = CODER_STAGE.inverse(r.params, r.streams.map((s) => s.slice()), ctx as never);
    expect(back.map((b) => Buffer.from(b).toString('hex'))).toEqual(streams.map((b) => Buffer.from(b).toString('hex')));
  });
});
