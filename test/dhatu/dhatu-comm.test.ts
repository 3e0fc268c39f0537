// COMM (stage 48, src/dhatu/comm.ts + assembly/match/): long-range copies. Round trips on random data with planted
// repeats (across records and inside a record) and on real slices of two typescript versions, checked by an
// independent byte-at-a-time reference decoder as well as commStage.inverse over an in-memory output; hand-written
// ops; hostile ops and residues (FORMAT, never a crash, hang or over-read); the window bound; encodePrefix; options;
// fast-check properties (round trip, determinism).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMM_STAGE_ID, commSources, commStage, createLongMatcher, keepEarlierCopies, pushVarint } from '../../src/dhatu/comm.js';
import type { DecodeContext, StageResult } from '../../src/dhatu/stage.js';
import { PaniniError } from '../../src/errors.js';
import { mulberry32, prngBytes } from '../helpers/prng.mjs';
import { CORPUS_DIR, corpusBytes } from '../helpers/corpus.js';

const CORPUS = CORPUS_DIR;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

interface Op {
  lit: number;
  len: number;
  dist: number;
  rep: boolean;
}

/** Independent parser of the documented ops layout (docs/DHATU-COMM.md). */
function parseOps(params: Uint8Array): Op[] {
  let i = 0;
  const rd = (): number => {
    let v = 0;
    let s = 1;
    for (;;) {
      const b = params[i++];
      if (b === undefined) throw new Error('truncated');
      v += (b & 127) * s;
      if (b < 128) return v;
      s *= 128;
    }
  };
  const n = rd();
  const lits = Array.from({ length: n }, rd);
  const codes = Array.from({ length: n }, rd);
  const ops: Op[] = [];
  let last = 0;
  for (let k = 0; k < n; k++) {
    const rep = codes[k]! % 2 === 1;
    const dist = rep ? last : rd() + 1;
    last = dist;
    ops.push({ lit: lits[k]!, len: Math.floor(codes[k]! / 2) + 1, dist, rep });
  }
  if (i !== params.length) throw new Error('trailing bytes');
  return ops;
}

/** Reference decoder: one byte at a time over the whole output (earlier records followed by this one). */
function referenceDecode(params: Uint8Array, residue: Uint8Array, earlier: Uint8Array, recordLength: number): Uint8Array {
  const out = new Uint8Array(earlier.length + recordLength);
  out.set(earlier);
  let pos = earlier.length;
  let r = 0;
  for (const op of parseOps(params)) {
    for (let k = 0; k < op.lit; k++) out[pos++] = residue[r++]!;
    for (let k = 0; k < op.len; k++, pos++) out[pos] = out[pos - op.dist]!;
  }
  while (r < residue.length) out[pos++] = residue[r++]!;
  expect(pos).toBe(out.length);
  return out.subarray(earlier.length);
}

function ctxFor(output: Uint8Array, recordOffset: number, recordLength: number, calls?: Array<[number, number]>): DecodeContext {
  return {
    recordOffset,
    recordLength,
    maxBytes: 1 << 26,
    where: `record at byte ${recordOffset}`,
    readOutput(offset: number, length: number): Uint8Array {
      calls?.push([offset, length]);
      if (!(offset >= 0 && length >= 0 && offset + length <= recordOffset)) throw new PaniniError('FORMAT', `readOutput(${offset}, ${length}) outside the earlier output`);
      return output.subarray(offset, offset + length);
    },
  };
}

/** Encodes `records` in order with one matcher; checks every result both ways; returns the results. */
function roundTripSeries(records: Uint8Array[], window = 1 << 20, minMatch?: number): Array<StageResult | null> {
  const m = createLongMatcher({ window, minMatch });
  const all = concat(records);
  const results: Array<StageResult | null> = [];
  let off = 0;
  for (const rec of records) {
    const res = m.encode(rec, off);
    results.push(res);
    if (res) {
      expect(res.id).toBe(COMM_STAGE_ID);
      expect(res.streams.length).toBe(1);
      const ops = parseOps(res.params);
      expect(ops.length).toBeGreaterThan(0);
      let copied = 0;
      for (const op of ops) {
        expect(op.dist).toBeGreaterThanOrEqual(1);
        expect(op.dist).toBeLessThanOrEqual(window);
        copied += op.len;
      }
      expect(res.handled).toBe(copied);
      expect(res.streams[0]!.length).toBe(rec.length - copied);
      const ref = referenceDecode(res.params, res.streams[0]!, all.subarray(0, off), rec.length);
      expect(Buffer.from(ref).equals(Buffer.from(rec))).toBe(true);
      const calls: Array<[number, number]> = [];
      const [back] = commStage.inverse(res.params, res.streams, ctxFor(all, off, rec.length, calls));
      expect(Buffer.from(back!).equals(Buffer.from(rec))).toBe(true);
      expect(calls.length).toBeLessThanOrEqual(ops.length);
    }
    off += rec.length;
    expect(m.end).toBe(off);
  }
  return results;
}

/** Random bytes with planted copies of earlier stretches (possibly from earlier records), some with a mutation. */
function planted(seed: number, sizes: number[]): { records: Uint8Array[]; plantedBytes: number } {
  const next = mulberry32(seed);
  const total = sizes.reduce((a, b) => a + b, 0);
  const out = prngBytes(seed ^ 0x5555, total);
  let plantedBytes = 0;
  let p = 4096;
  while (p < total - 4096) {
    const len = 200 + (next() % 3000);
    const src = next() % (p - len > 0 ? p - len : 1);
    if (p - len > 0 && p + len <= total) {
      out.copyWithin(p, src, src + len);
      if (next() % 2 === 0) {
        const at = p + (next() % len);
        out[at] = out[at]! ^ 0x5a;
      } // a one-byte edit inside the copy
      plantedBytes += len;
    }
    p += len + (next() % 4000);
  }
  const records: Uint8Array[] = [];
  let o = 0;
  for (const s of sizes) {
    records.push(out.slice(o, o + s));
    o += s;
  }
  return { records, plantedBytes };
}

describe('COMM round trips', () => {
  it('finds planted repeats across records and inside a record', () => {
    const { records, plantedBytes } = planted(7, [60_000, 90_000, 120_000]);
    const results = roundTripSeries(records);
    const handled = results.reduce((a, r) => a + (r?.handled ?? 0), 0);
    // nearly every planted byte is found (edits cost a few bytes around them; tiny chance of a missed sample)
    expect(handled).toBeGreaterThan(plantedBytes * 0.9);
    expect(handled).toBeLessThanOrEqual(plantedBytes + 2000);
  });

  it('copies a whole earlier record at the repeat distance after an edit', () => {
    const a = prngBytes(11, 50_000);
    const b = a.slice();
    b[25_000] = b[25_000]! ^ 1;
    const [, res] = roundTripSeries([a, b]);
    expect(res).not.toBeNull();
    const ops = parseOps(res!.params);
    expect(ops.length).toBe(2);
    expect(ops[0]).toEqual({ lit: 0, len: 25_000, dist: 50_000, rep: false });
    expect(ops[1]).toEqual({ lit: 1, len: 24_999, dist: 50_000, rep: true });
    expect(res!.streams[0]).toEqual(Uint8Array.of(b[25_000]!));
  });

  it('makes overlapping copies for a block repeated inside a record', () => {
    const block = prngBytes(3, 1000);
    const rec = concat([prngBytes(4, 100), ...Array.from({ length: 10 }, () => block), prngBytes(5, 100)]);
    const [res] = roundTripSeries([rec]);
    expect(res!.handled).toBeGreaterThan(8900);
    expect(parseOps(res!.params).some((op) => op.dist < op.len)).toBe(true);
  });

  it('returns null for incompressible data and for empty records, and still keeps them as history', () => {
    const a = prngBytes(21, 30_000);
    const m = createLongMatcher({ window: 1 << 16 });
    expect(m.encode(a, 0)).toBeNull();
    expect(m.encode(new Uint8Array(0), a.length)).toBeNull();
    const b = a.slice(1000, 9000);
    const res = m.encode(b, a.length);
    expect(res?.handled).toBe(b.length);
    expect(parseOps(res!.params)).toEqual([{ lit: 0, len: b.length, dist: a.length - 1000, rep: false }]);
  });

  it('append() indexes a record without matching it', () => {
    const a = concat([prngBytes(1, 20_000), prngBytes(1, 20_000)]); // repeats itself: append must not match
    const m = createLongMatcher({ window: 1 << 20 });
    m.append(a);
    expect(m.end).toBe(a.length);
    const res = m.encode(a.subarray(5000, 15_000), a.length);
    expect(res?.handled).toBe(10_000);
  });

  it('never copies from farther than the window', () => {
    const a = prngBytes(5, 40_000);
    const filler = prngBytes(6, 10_000);
    const results = roundTripSeries([a, filler, a], 16 * 1024);
    expect(results[2]).toBeNull(); // a is 50 000 bytes back: outside a 16 KiB window
    const near = roundTripSeries([a, filler, a], 64 * 1024);
    expect(near[2]?.handled).toBe(a.length);
  });

  it('minDistance leaves near repeats to the coder', () => {
    const x = prngBytes(41, 3000);
    const y = prngBytes(42, 3000);
    const rec = concat([x, prngBytes(43, 1000), x, prngBytes(44, 60_000), y, prngBytes(45, 1000), y]);
    const copied = (minDistance: number): Op[] => {
      const m = createLongMatcher({ window: 1 << 20, minDistance });
      m.encode(concat([y, prngBytes(46, 20_000)]), 0); // y also 80+ KB back in an earlier record
      const res = m.encode(rec, 23_000);
      expect(Buffer.from(referenceDecode(res!.params, res!.streams[0]!, concat([y, prngBytes(46, 20_000)]), rec.length)).equals(Buffer.from(rec))).toBe(true);
      return parseOps(res!.params);
    };
    expect(copied(0).some((op) => op.dist === 4000)).toBe(true);
    const far = copied(10_000);
    expect(far.every((op) => op.dist >= 10_000)).toBe(true);
    expect(far.reduce((a, op) => a + op.len, 0)).toBeGreaterThanOrEqual(5900); // both copies of y, from the earlier record
  });

  it('forgets the history when a record does not start where it ends', () => {
    const a = prngBytes(8, 20_000);
    const m = createLongMatcher({ window: 1 << 20 });
    m.encode(a, 0);
    expect(m.encode(a, a.length + 5)).toBeNull(); // gap: the history is dropped, nothing to copy from
    expect(m.end).toBe(2 * a.length + 5);
  });

  it('encodePrefix keeps the residue under the limit and continues where it stopped', () => {
    const { records } = planted(9, [200_000]);
    const data = records[0]!;
    const m = createLongMatcher({ window: 1 << 20 });
    let pos = 0;
    let pieces = 0;
    while (pos < data.length) {
      const { result, length } = m.encodePrefix(data.subarray(pos), pos, 30_000);
      expect(length).toBeGreaterThan(0);
      const residue = result ? result.streams[0]! : data.subarray(pos, pos + length);
      expect(residue.length).toBeLessThanOrEqual(30_000);
      if (result) {
        const [back] = commStage.inverse(result.params, result.streams, ctxFor(data, pos, length));
        expect(Buffer.from(back!).equals(Buffer.from(data.subarray(pos, pos + length)))).toBe(true);
      }
      pos += length;
      expect(m.end).toBe(pos);
      pieces++;
    }
    expect(pieces).toBeGreaterThan(3);
  });

  it('real slices: typescript.js 5.1.6 against 5.0.4', () => {
    const a = corpusBytes('versions/typescript-5.0.4/typescript.js', 1_500_000);
    const b = corpusBytes('versions/typescript-5.1.6/typescript.js', 1_500_000);
    const [, res] = roundTripSeries([a, b], 4 << 20);
    expect(res).not.toBeNull();
    // consecutive versions share most of their code: most of b is copied, the rest is a small residue
    expect(res!.handled).toBeGreaterThan(b.length * 0.8);
    const ops = parseOps(res!.params);
    expect(ops.some((op) => op.dist > b.length / 2)).toBe(true); // copies reach back into the earlier version
    expect(ops.filter((op) => op.rep).length).toBeGreaterThan(ops.length / 10);
  });
});

describe('keepEarlierCopies and commSources', () => {
  it('keeps only copies from before the record; the result still decodes to the record; sources cover exactly them', () => {
    const hist = prngBytes(41, 300_000);
    const own = prngBytes(42, 50_000);
    // the record: a piece of history, its own random bytes, the same own bytes again (an inside repeat), more history
    const rec = new Uint8Array(40_000 + 50_000 + 50_000 + 30_000);
    rec.set(hist.subarray(1000, 41_000), 0);
    rec.set(own, 40_000);
    rec.set(own, 90_000);
    rec.set(hist.subarray(200_000, 230_000), 140_000);
    const m = createLongMatcher({ window: 1 << 20 });
    m.append(hist);
    const all = m.encode(rec, hist.length)!;
    expect(all.handled).toBeGreaterThan(110_000); // both kinds of copies
    const kept = keepEarlierCopies(rec, all)!;
    expect(kept.handled).toBeGreaterThan(65_000);
    expect(kept.handled).toBeLessThan(all.handled - 40_000); // the inside repeat went back to literals
    const ctx = { recordOffset: hist.length, recordLength: rec.length, maxBytes: 1 << 26, where: 'test', readOutput: (o: number, n: number) => hist.subarray(o, o + n) } as DecodeContext;
    const out = commStage.inverse(kept.params, kept.streams, ctx)[0]!;
    expect(Buffer.from(out).equals(Buffer.from(rec))).toBe(true);
    const src = commSources(kept.params, ctx);
    expect(src.reduce((n, [, l]) => n + l, 0)).toBe(kept.handled);
    for (const [o, l] of src) expect(o + l).toBeLessThanOrEqual(hist.length);
    // nothing from before the record: null
    const m2 = createLongMatcher({ window: 1 << 20 });
    const inside = m2.encode(rec.subarray(40_000, 140_000), 0)!;
    expect(inside).not.toBeNull();
    expect(keepEarlierCopies(rec.subarray(40_000, 140_000), inside)).toBeNull();
  });
});

describe('COMM inverse on hand-written ops', () => {
  const params = (n: number, lits: number[], codes: number[], dists: number[]): Uint8Array => {
    const out: number[] = [];
    pushVarint(out, n);
    for (const v of [...lits, ...codes, ...dists]) pushVarint(out, v);
    return Uint8Array.from(out);
  };
  const inv = (p: Uint8Array, residue: Uint8Array, earlier: Uint8Array, n: number): Uint8Array =>
    commStage.inverse(p, [residue], ctxFor(earlier, earlier.length, n))[0]!;

  it('decodes literals, a copy from earlier output, a repeat and an overlapping copy', () => {
    const earlier = enc('hello, world');
    // op 0: "ab", copy 5 from 14 back ("hello"); op 1: "!", repeat distance 14 for 2 (" w");
    // op 2: copy 6 from 2 back (overlapping: " w w w"); then residue "Z"
    const p = params(3, [2, 1, 0], [(5 - 1) * 2, (2 - 1) * 2 + 1, (6 - 1) * 2], [14 - 1, 2 - 1]);
    expect(p).toEqual(Uint8Array.of(3, 2, 1, 0, 8, 3, 10, 13, 1)); // the bytes of the example in docs/DHATU-COMM.md
    const out = inv(p, enc('ab!Z'), earlier, 2 + 5 + 1 + 2 + 6 + 1);
    // op 1 copies from record position 8 − 14 = 6 bytes before the record: " w" of "hello, world"
    expect(new TextDecoder().decode(out)).toBe('abhello! w w w wZ');
  });

  it('decodes zero ops (all residue)', () => {
    expect(inv(Uint8Array.of(0), enc('xyz'), new Uint8Array(0), 3)).toEqual(enc('xyz'));
  });

  it('a copy that starts in earlier output and runs into the record', () => {
    const earlier = enc('0123456789');
    const p = params(1, [0], [(8 - 1) * 2], [4 - 1]); // 4 back: "6789", then the record's own "6789"
    expect(new TextDecoder().decode(inv(p, new Uint8Array(0), earlier, 8))).toBe('67896789');
  });

  it('multi-byte varints (a 200-byte copy at distance 300)', () => {
    const earlier = prngBytes(2, 300);
    const p = params(1, [0], [(200 - 1) * 2], [300 - 1]);
    expect(p.length).toBe(1 + 1 + 2 + 2);
    expect(inv(p, new Uint8Array(0), earlier, 200)).toEqual(earlier.subarray(0, 200));
  });
});

describe('COMM inverse rejects hostile ops', () => {
  const earlier = prngBytes(1, 1000);
  const formatOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(PaniniError);
      return (e as PaniniError).code;
    }
    return 'ok';
  };
  const run = (p: number[] | Uint8Array, residue: Uint8Array, n: number, ctx?: Partial<DecodeContext>, streams?: Uint8Array[]) =>
    formatOf(() => commStage.inverse(Uint8Array.from(p), streams ?? [residue], { ...ctxFor(earlier, earlier.length, n), ...ctx }));

  it.each([
    ['empty params', [], 0],
    ['truncated op count', [0x80], 0],
    ['missing code', [1, 0], 4],
    ['missing distance', [1, 0, 2], 2],
    ['repeat before any copy', [1, 0, 3], 2],
    ['distance before the output start', [1, 0, 2, 0xe8, 0x07], 2], // dist 1001 > 1000
    ['copy past the record', [1, 0, 20, 0], 5],
    ['literals past the residue', [1, 3, 0, 0], 4],
    ['residue left over', [1, 0, 0, 0], 2],
    ['bytes after the last distance', [1, 0, 0, 0, 9], 1],
    ['non-canonical varint', [1, 0x80, 0x00, 0, 0], 1],
    ['six-byte varint', [1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0], 1],
    ['huge op count', [0xff, 0xff, 0xff, 0xff, 0x0f], 1],
  ])('%s → FORMAT', (_name, p, n) => {
    expect(run(p as number[], new Uint8Array(2), n as number)).toBe('FORMAT');
  });

  it('wrong stream count, oversize record, no readOutput, short readOutput → FORMAT', () => {
    const p = [1, 0, 0, 9]; // copy 1 byte from 10 back
    expect(run(p, new Uint8Array(0), 1)).toBe('ok');
    expect(run(p, new Uint8Array(0), 1, {}, [])).toBe('FORMAT');
    expect(run(p, new Uint8Array(0), 1, {}, [new Uint8Array(0), new Uint8Array(0)])).toBe('FORMAT');
    expect(run(p, new Uint8Array(0), 1, { recordLength: 100, maxBytes: 99 })).toBe('FORMAT');
    expect(run(p, new Uint8Array(0), 1, { readOutput: undefined })).toBe('FORMAT');
    expect(run(p, new Uint8Array(0), 1, { readOutput: () => new Uint8Array(0) })).toBe('FORMAT');
  });

  it('random and mutated ops: FORMAT or exactly recordLength bytes, readOutput only inside earlier output', () => {
    const a = concat([prngBytes(31, 3000), prngBytes(31, 3000)]);
    const m = createLongMatcher({ window: 1 << 16 });
    m.encode(earlier, 0);
    const good = m.encode(a, earlier.length)!;
    expect(good).not.toBeNull();
    const all = concat([earlier, a]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.tuple(fc.nat(good.params.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const p = good.params.slice();
            p[i] = p[i]! ^ x;
            return p;
          }),
        ),
        fc.nat(7000),
        fc.uint8Array({ maxLength: 64 }),
        (p, n, extra) => {
          const residue = extra.length ? extra : good.streams[0]!;
          try {
            const [out] = commStage.inverse(p, [residue], ctxFor(all, earlier.length, n));
            expect(out!.length).toBe(n);
          } catch (e) {
            expect(e).toBeInstanceOf(PaniniError);
            expect((e as PaniniError).code).toBe('FORMAT');
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('COMM options and properties', () => {
  it('rejects bad options with OPTION and oversize records with LIMIT', () => {
    const code = (fn: () => unknown): string => {
      try {
        fn();
        return 'ok';
      } catch (e) {
        return (e as PaniniError).code;
      }
    };
    expect(code(() => createLongMatcher({ window: 100 }))).toBe('OPTION');
    expect(code(() => createLongMatcher({ window: 2 ** 31 }))).toBe('OPTION');
    expect(code(() => createLongMatcher({ window: 1 << 20, minMatch: 8 }))).toBe('OPTION');
    expect(code(() => createLongMatcher({ window: 1 << 20, minMatch: 64, repMinMatch: 100 }))).toBe('OPTION');
    expect(code(() => createLongMatcher({ window: 1024.5 }))).toBe('OPTION');
    const m = createLongMatcher({ window: 1 << 16 });
    expect(code(() => m.encode(new Uint8Array(1), -1))).toBe('OPTION');
    expect(code(() => m.encodePrefix(new Uint8Array(1), 0, -1))).toBe('OPTION');
    expect(code(() => m.encode(new Uint8Array(64 * 1024 * 1024 + 1), 0))).toBe('LIMIT');
  });

  it('property: any series of records with planted copies round-trips; output is deterministic', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(24, 32, 64, 100),
        (seed, sizes, minMatch) => {
          const { records } = planted(seed, sizes);
          const r1 = roundTripSeries(records, 1 << 16, minMatch);
          const m2 = createLongMatcher({ window: 1 << 16, minMatch });
          let off = 0;
          records.forEach((rec, k) => {
            const r2 = m2.encode(rec, off);
            off += rec.length;
            expect(r2 === null).toBe(r1[k] === null);
            if (r2) {
              expect(r2.params).toEqual(r1[k]!.params);
              expect(r2.streams[0]).toEqual(r1[k]!.streams[0]);
            }
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('property: text with shared phrases round-trips with small minMatch and short records', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('the quick brown fox ', 'jumps over ', 'the lazy dog. ', 'lorem ipsum dolor sit amet, '), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 5 }), (words, parts) => {
        const all = enc(words.join(''));
        const size = Math.ceil(all.length / parts);
        const records: Uint8Array[] = [];
        for (let o = 0; o < all.length; o += size) records.push(all.slice(o, o + size));
        roundTripSeries(records, 1 << 12, 24);
      }),
      { numRuns: 60 },
    );
  });
});
