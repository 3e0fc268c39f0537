// IMAGE stage (id 40): exact scanline round trips for every PNG color type / bit depth / interlace, with filter
// types chosen at random; the unfiltered pixels are checked against an independent reference unfilter here.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { imageForward, imageGeometry, imageJoin, imageSplit, imageStage, IMAGE_STAGE_ID, IMAGE_PREDICTORS } from '../../src/dhatu/stages/image.js';
import { PaniniError } from '../../src/errors.js';

const ctx = { recordOffset: 0, recordLength: 0, maxBytes: 1 << 26, where: 'test' };

/** reference: scanlines from geometry, with a seeded filler */
function makeScan(g: NonNullable<ReturnType<typeof imageGeometry>>, seed: number, smooth: boolean): Uint8Array {
  const s = new Uint8Array(g.total);
  let x = seed >>> 0 || 1;
  let p = 0;
  for (const pass of g.passes) {
    for (let y = 0; y < pass.rows; y++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      s[p++] = x % 5;
      for (let i = 0; i < pass.rowBytes; i++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        s[p++] = smooth ? (x >>> 29) : x >>> 24;
      }
    }
  }
  return s;
}

/** independent PNG unfilter (spec pseudo-code, one pass) */
function refUnfilter(scan: Uint8Array, rows: number, rowBytes: number, bpp: number, off: number): Uint8Array {
  const out = new Uint8Array(rows * rowBytes);
  for (let y = 0; y < rows; y++) {
    const ft = scan[off + y * (rowBytes + 1)]!;
    for (let i = 0; i < rowBytes; i++) {
      const raw = scan[off + y * (rowBytes + 1) + 1 + i]!;
      const a = i >= bpp ? out[y * rowBytes + i - bpp]! : 0;
      const b = y > 0 ? out[(y - 1) * rowBytes + i]! : 0;
      const c = y > 0 && i >= bpp ? out[(y - 1) * rowBytes + i - bpp]! : 0;
      const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
      const pr = ft === 0 ? 0 : ft === 1 ? a : ft === 2 ? b : ft === 3 ? Math.floor((a + b) / 2) : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      out[y * rowBytes + i] = (raw + pr) & 255;
    }
  }
  return out;
}

const FORMATS: [number, number][] = [
  [0, 1], [0, 2], [0, 4], [0, 8], [0, 16], [2, 8], [2, 16], [3, 1], [3, 2], [3, 4], [3, 8], [4, 8], [4, 16], [6, 8], [6, 16],
];

describe('image stage', () => {
  it('round-trips every color type, bit depth, interlace, predictor and plane mode', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FORMATS),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 0, max: IMAGE_PREDICTORS.length - 1 }),
        fc.boolean(),
        fc.integer(),
        fc.boolean(),
        ([colorType, bitDepth], width, height, interlace, pred, planes, seed, smooth) => {
          const o = { width, height, bitDepth, colorType, interlace, pred, planes };
          const g = imageGeometry(o)!;
          const scan = makeScan(g, seed, smooth);
          const s = imageSplit(scan, o)!;
          expect(s).not.toBeNull();
          expect(s.reduce((n, x) => n + x.length, 0)).toBe(scan.length);
          const back = imageJoin(s, o);
          expect(Buffer.compare(Buffer.from(back), Buffer.from(scan))).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
  it('predictor none, interleaved = the reference unfiltered pixels', () => {
    const o = { width: 37, height: 23, bitDepth: 8, colorType: 6, interlace: 0, pred: 0, planes: false };
    const g = imageGeometry(o)!;
    const scan = makeScan(g, 7, false);
    const s = imageSplit(scan, o)!;
    const ref = refUnfilter(scan, 23, 37 * 4, 4, 0);
    expect(Buffer.compare(Buffer.from(s[1]!), Buffer.from(ref))).toBe(0);
    expect([...s[0]!]).toEqual(Array.from({ length: 23 }, (_, y) => scan[y * (37 * 4 + 1)]));
  });
  it('declines bad input, and the registered inverse validates params and streams', () => {
    const o = { width: 5, height: 4, bitDepth: 8, colorType: 2, interlace: 0 };
    const g = imageGeometry(o)!;
    const scan = makeScan(g, 3, true);
    expect(imageSplit(scan.subarray(1), o)).toBeNull();
    const bad = scan.slice();
    bad[0] = 5;
    expect(imageSplit(bad, o)).toBeNull();
    expect(imageGeometry({ ...o, bitDepth: 4 })).toBeNull();
    const r = imageForward([scan], 0, o)!;
    expect(r.id).toBe(IMAGE_STAGE_ID);
    const inv = imageStage.inverse(r.params, r.streams, ctx);
    expect(inv).toHaveLength(1);
    expect(Buffer.compare(Buffer.from(inv[0]!), Buffer.from(scan))).toBe(0);
    expect(() => imageStage.inverse(r.params, r.streams.slice(0, 2), ctx)).toThrow(PaniniError);
    const shorter = r.streams.map((x, i) => (i === 1 ? x.subarray(1) : x));
    expect(() => imageStage.inverse(r.params, shorter, ctx)).toThrow(/plane/);
    const f = r.streams.map((x) => x.slice());
    f[0]![0] = 9;
    expect(() => imageStage.inverse(r.params, f, ctx)).toThrow(/filter type/);
    const p = r.params.slice();
    p[p.length - 2] = 99; // predictor
    expect(() => imageStage.inverse(p, r.streams, ctx)).toThrow(PaniniError);
    expect(() => imageStage.inverse(r.params, r.streams, { ...ctx, maxBytes: 10 })).toThrow(/limit/);
  });
});
