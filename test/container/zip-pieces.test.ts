// A ZIP streams into records of about one block of inflated bytes, each cut at a local file header, so that what
// REFLATE inflates per record stays bounded: the cutter (src/deflate/zip.ts ZipPieceCutter) against the archive's
// own central directory, and the container end to end (every stream still re-created, the bytes restored).
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZipPieceCutter, zipEntries } from '../../src/deflate/zip.js';
import { compress, decompress, init, inspect, listRecords } from '../../src/index.js';
import { decodePnz } from '../reference/pnz-decode.js';
import { makeZip, type ZipIn } from '../helpers/zip.js';
import { prngBytes } from '../helpers/prng.mjs';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** lines drawn from a pool the entries share (as the files of a project share their boilerplate): repeats across
 *  entries that deflate, one entry at a time, cannot see */
const POOL = Array.from({ length: 300 }, (_, i) => `    ${['const', 'let', 'return', 'if', 'export'][i % 5]} item${i} = compute(${(i * 7919) % 1000}, "piece ${i}");\n`);
function words(seed: number, n: number): Uint8Array {
  const r = prngBytes(seed, 2 * n);
  let s = '';
  for (let k = 0; s.length < n; k++) s += POOL[(r[2 * k]! | (r[2 * k + 1]! << 8)) % POOL.length];
  return new TextEncoder().encode(s.slice(0, n));
}

function entries(count: number, size: (i: number) => number, style: (i: number) => ZipIn['descriptor'], seed = 1): ZipIn[] {
  return Array.from({ length: count }, (_, i) => {
    const data = i % 7 === 6 ? prngBytes(seed + i, size(i)) : words(seed + i, size(i));
    return { name: `dir/file-${i}.txt`, data, comp: new Uint8Array(zlib.deflateRawSync(data, { level: 1 })), descriptor: style(i) };
  });
}

/** the cutter's cuts for `z` fed in pieces of the given sizes (cycled), as absolute offsets */
function cutsOf(z: Uint8Array, target: number, sizes: number[]): number[] {
  const c = new ZipPieceCutter(target);
  const out: number[] = [];
  for (let at = 0, k = 0; at < z.length; k++) {
    const n = Math.min(z.length - at, sizes[k % sizes.length]!);
    for (const x of c.push(z.subarray(at, at + n))) out.push(at + x);
    at += n;
  }
  return out;
}

/** each piece's inflated bytes, from the archive's central directory (the oracle) */
function pieceRaw(z: Uint8Array, cuts: number[]): number[] {
  const bounds = [0, ...cuts, z.length];
  const list = zipEntries(z);
  return bounds.slice(1).map((end, i) => list.filter((e) => e.headerOffset >= bounds[i]! && e.headerOffset < end).reduce((s, e) => s + e.rawSize, 0));
}

describe('ZipPieceCutter', () => {
  const styles: Array<[string, (i: number) => ZipIn['descriptor']]> = [
    ['sizes in the local headers', () => false],
    ['data descriptors with their signature (as jar writes)', () => true],
    ['data descriptors without a signature', () => 'nosig'],
    ['a mix', (i) => (i % 3 === 0 ? false : i % 3 === 1 ? true : 'nosig')],
  ];
  for (const [name, style] of styles) {
    it(`${name}: cuts only at entry headers, pieces of about the target (checked against the central directory)`, () => {
      const z = makeZip(entries(120, (i) => 2000 + ((i * 7919) % 30000), style));
      const headers = new Set(zipEntries(z).map((e) => e.headerOffset));
      const target = 256 << 10;
      const largest = Math.max(...zipEntries(z).map((e) => e.rawSize));
      for (const sizes of [[z.length], [65536], [4093, 17, 30, 1, 100000], [7, 20000]]) {
        const cuts = cutsOf(z, target, sizes);
        expect(cuts.length).toBeGreaterThan(3);
        for (const c of cuts) expect(headers.has(c)).toBe(true);
        const raw = pieceRaw(z, cuts);
        // every piece but the last reaches the target, and passes it by less than one entry
        for (const r of raw.slice(0, -1)) {
          expect(r).toBeGreaterThanOrEqual(target);
          expect(r).toBeLessThan(target + largest);
        }
      }
    });
  }

  it('whatever the chunking, the cuts are the same unless a header signature straddles two chunks', () => {
    const z = makeZip(entries(60, (i) => 1000 + ((i * 104729) % 20000), (i) => (i % 2 === 0 ? true : false), 9));
    const whole = cutsOf(z, 128 << 10, [z.length]);
    const heads = zipEntries(z).map((e) => e.headerOffset);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50000 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        const cuts = cutsOf(z, 128 << 10, sizes);
        // a cut may move to a later header only where the chunking split a signature
        for (const c of cuts) expect(heads).toContain(c);
        if (!splitsASignature(heads, z.length, sizes)) expect(cuts).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('hostile and truncated input: never throws, cuts only at a signature', () => {
    const z = makeZip(entries(40, (i) => 3000 + i * 100, () => true, 3));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: z.length }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 40 }), fc.integer({ min: 1, max: 9000 }), (cut, flips, chunk) => {
        const b = z.slice(0, cut);
        for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
        for (const c of cutsOf(b, 8192, [chunk])) expect([b[c], b[c + 1], b[c + 2], b[c + 3]]).toEqual([0x50, 0x4b, 3, 4]);
      }),
      { numRuns: 300 },
    );
    expect(cutsOf(prngBytes(5, 1 << 20), 4096, [7777])).toEqual([]);
  });
});

function splitsASignature(heads: number[], length: number, sizes: number[]): boolean {
  for (let at = 0, k = 0; at < length; k++) {
    at += sizes[k % sizes.length]!;
    if (heads.some((h) => at > h && at < h + 4)) return true;
  }
  return false;
}

describe('a ZIP in a container: records of about one block inflated, every stream re-created', () => {
  it('a 20 MB-inflated archive of jar-style entries at level 1 (4 MiB blocks): several records, each a run of whole entries; restored exactly, by our decoder and the reference', async () => {
    await init();
    const list = entries(400, (i) => 20000 + ((i * 7919) % 60000), () => true, 21);
    const z = makeZip(list);
    const inflated = list.reduce((s, e) => s + e.data.length, 0);
    expect(inflated).toBeGreaterThan(18 << 20);
    const pnz = await compress(z, { level: 1 });
    const recs = await listRecords(pnz);
    const heads = new Set(zipEntries(z).map((e) => e.headerOffset));
    expect(recs.length).toBeGreaterThanOrEqual(Math.floor(inflated / (4 << 20)));
    for (const r of recs) expect(heads.has(r.offset) || r.offset === 0).toBe(true);
    const ins = await inspect(pnz);
    expect(ins.reflate.streams).toBe(list.length);
    expect(ins.reflate.zlib).toBe(list.length);
    expect(sha(await decompress(pnz))).toBe(sha(z));
    expect(sha(decodePnz(pnz).output)).toBe(sha(z));
  });
});
