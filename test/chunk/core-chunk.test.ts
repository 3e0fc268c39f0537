// Chunking: the wasm FastCDC against the independent reference in test/reference/fastcdc.ts, the chunk invariants,
// streaming vs one-shot, the fixed strategy, stability under an insertion, option validation, and the STATE error.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { chunk, type Chunk, type ChunkOptions, createChunker, init, PaniniError } from '../../src/index.js';
import { nodeSha256 } from '../helpers/oracles.js';
import { prngBytes } from '../helpers/prng.mjs';
import {
  fastcdcBigInt,
  fastcdcRef,
  fixedRef,
  GEAR,
  masks,
  type RefOptions,
  splitMix64,
  topMask,
} from '../reference/fastcdc.js';

const KIB = 1024;
const MIB = 1 << 20;
const ROOT = join(import.meta.dirname, '..', '..');

/** The explicit options as the reference needs them (the defaults documented in src/chunk/options.ts). */
const OPTION_SETS: { name: string; o: RefOptions; n: number }[] = [
  { name: 'tiny (64/256/1024)', o: { minSize: 64, avgSize: 256, maxSize: 1024 }, n: 1 * MIB },
  { name: 'avg 4 KiB, derived min/max', o: { minSize: 1024, avgSize: 4096, maxSize: 16384 }, n: 3 * MIB },
  { name: 'default (16/64/256 KiB) across the 4 MiB window', o: { minSize: 16 * KIB, avgSize: 64 * KIB, maxSize: 256 * KIB }, n: 9 * MIB + 3 },
  { name: 'min == avg', o: { minSize: 1024, avgSize: 1024, maxSize: 4096 }, n: 1 * MIB },
  { name: 'avg == max', o: { minSize: 64, avgSize: 4096, maxSize: 4096 }, n: 1 * MIB },
  { name: 'avg 2890 (bits rounds down to 11)', o: { minSize: 700, avgSize: 2890, maxSize: 9000 }, n: 1 * MIB },
  { name: 'avg 3000 (bits rounds up to 12)', o: { minSize: 700, avgSize: 3000, maxSize: 9000 }, n: 1 * MIB },
  { name: 'chunks larger than the window (1/4/8 MiB)', o: { minSize: 1 * MIB, avgSize: 4 * MIB, maxSize: 8 * MIB }, n: 40 * MIB },
];

const cdc = (o: RefOptions): ChunkOptions => ({ strategy: 'cdc', ...o });

function checkCover(chunks: readonly Chunk[], n: number, o?: RefOptions): void {
  let pos = 0;
  chunks.forEach((c, i) => {
    expect(c.offset, `chunk ${i} offset`).toBe(pos);
    expect(c.length, `chunk ${i} is empty`).toBeGreaterThan(0);
    if (o) {
      expect(c.length, `chunk ${i} longer than maxSize`).toBeLessThanOrEqual(o.maxSize);
      if (i < chunks.length - 1) expect(c.length, `chunk ${i} shorter than minSize`).toBeGreaterThanOrEqual(o.minSize);
    }
    pos += c.length;
  });
  expect(pos).toBe(n);
}

/** Feeds `data` to a streaming chunker in pieces ending at the given cut offsets. */
function streamed(data: Uint8Array, options: ChunkOptions | undefined, cuts: number[]): Chunk[] {
  const c = createChunker(options);
  const out: Chunk[] = [];
  let prev = 0;
  for (const p of [...cuts.filter((x) => x <= data.length).sort((a, b) => a - b), data.length]) {
    out.push(...c.push(data.subarray(prev, p)));
    prev = p;
  }
  expect(c.position).toBe(data.length);
  out.push(...c.flush());
  return out;
}

/** Real files of various kinds that a fresh `npm ci` always provides. */
function realFiles(): string[] {
  const candidates = [
    'package-lock.json',
    'node_modules/typescript/lib/typescript.js',
    'node_modules/typescript/lib/lib.dom.d.ts',
    'node_modules/assemblyscript/dist/assemblyscript.js',
    'build/core.wasm',
    'node_modules/hash-wasm/dist/index.umd.js',
  ];
  return candidates.map((p) => join(ROOT, p)).filter((p) => existsSync(p));
}

describe('the reference FastCDC itself', () => {
  it('SplitMix64 gives the published outputs for seed 0', () => {
    const next = splitMix64(0n);
    expect([next(), next(), next()].map((x) => x.toString(16))).toEqual(['e220a8397b1dcdaf', '6e789e6aa1b965f4', '6c45d188009454f']);
  });

  it('builds the gear table and the masks of the spec', () => {
    expect(GEAR).toHaveLength(256);
    expect(new Set(GEAR).size).toBe(256);
    expect(topMask(6).toString(2)).toBe('111111' + '0'.repeat(57));
    const m = masks(64 * KIB);
    expect(m.bits).toBe(16);
    expect(m.maskS.toString(2).replace(/0/g, '')).toHaveLength(18);
    expect(m.maskL.toString(2).replace(/0/g, '')).toHaveLength(14);
    expect(m.maskS >> 63n).toBe(0n);
  });

  it('the u32-pair version equals the literal BigInt version', () => {
    const data = prngBytes(77, 400 * KIB);
    for (const o of [OPTION_SETS[0]!.o, OPTION_SETS[3]!.o, OPTION_SETS[4]!.o, OPTION_SETS[5]!.o]) {
      const big = fastcdcBigInt(data, o);
      expect(big.length).toBeGreaterThan(50);
      expect(fastcdcRef(data, o)).toEqual(big);
    }
  });
});

for (const variant of ['simd', 'scalar'] as const) {
  describe(`FastCDC, ${variant} build, equals the reference`, () => {
    beforeAll(() => init({ variant }));

    for (const { name, o, n } of OPTION_SETS) {
      it(`random data, ${name}`, () => {
        const data = prngBytes(n ^ o.avgSize, n);
        const want = fastcdcRef(data, o);
        expect(want.length).toBeGreaterThan(3);
        const got = chunk(data, cdc(o));
        expect(got).toEqual(want);
        checkCover(got, n, o);
      });
    }

    it('real files, several option sets', () => {
      const files = realFiles();
      expect(files.length).toBeGreaterThanOrEqual(3);
      for (const f of files) {
        const data = new Uint8Array(readFileSync(f));
        for (const o of [OPTION_SETS[0]!.o, OPTION_SETS[1]!.o, OPTION_SETS[2]!.o, OPTION_SETS[5]!.o]) {
          expect(chunk(data, cdc(o)), `${f} ${JSON.stringify(o)}`).toEqual(fastcdcRef(data, o));
        }
      }
    });

    it('degenerate inputs: zeros, a short period, sizes around minSize', () => {
      const o = OPTION_SETS[1]!.o;
      const zeros = new Uint8Array(2 * MIB);
      const periodic = new Uint8Array(2 * MIB);
      const unit = prngBytes(5, 1000);
      for (let i = 0; i < periodic.length; i++) periodic[i] = unit[i % 1000]!;
      for (const data of [zeros, periodic]) {
        for (const oo of [o, OPTION_SETS[0]!.o]) expect(chunk(data, cdc(oo))).toEqual(fastcdcRef(data, oo));
      }
      const r = prngBytes(6, o.minSize + 2);
      for (const len of [1, o.minSize - 1, o.minSize, o.minSize + 1, o.minSize + 2]) {
        expect(chunk(r.subarray(0, len), cdc(o))).toEqual(fastcdcRef(r.subarray(0, len), o));
      }
    });

    it('random options and data (fast-check): equals the reference, covers the input, respects min/max', () => {
      const opts = fc
        .integer({ min: 256, max: 4096 })
        .chain((avgSize) =>
          fc.record({
            avgSize: fc.constant(avgSize),
            minSize: fc.integer({ min: 64, max: avgSize }),
            maxSize: fc.integer({ min: avgSize, max: avgSize * 8 }),
          }),
        )
        .filter((o) => o.minSize < o.maxSize);
      fc.assert(
        fc.property(opts, fc.integer({ min: 0, max: 60_000 }), fc.nat(), (o, n, seed) => {
          const data = prngBytes(seed, n);
          const got = chunk(data, cdc(o));
          expect(got).toEqual(fastcdcRef(data, o));
          checkCover(got, n, o);
        }),
        { numRuns: 150 },
      );
    });
  });
}

describe('streaming', () => {
  beforeAll(() => init());

  it('pieces of random sizes give the one-shot chunks (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40_000 }),
        fc.nat(),
        fc.array(fc.nat({ max: 40_000 }), { maxLength: 30 }),
        fc.constantFrom<ChunkOptions>(cdc(OPTION_SETS[0]!.o), cdc(OPTION_SETS[4]!.o), { strategy: 'fixed', size: 100 }),
        (n, seed, cuts, options) => {
          const data = prngBytes(seed, n);
          expect(streamed(data, options, cuts)).toEqual(chunk(data, options));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('1-byte pieces on a small input', () => {
    const data = prngBytes(31, 24 * KIB);
    const o = OPTION_SETS[0]!.o;
    const cuts = Array.from({ length: data.length }, (_, i) => i);
    const want = fastcdcRef(data, o);
    expect(want.length).toBeGreaterThan(20);
    expect(streamed(data, cdc(o), cuts)).toEqual(want);
    expect(streamed(data, { strategy: 'fixed', size: 64 }, cuts)).toEqual(fixedRef(data.length, 64));
  });

  it('pieces larger than the 4 MiB window', () => {
    const data = prngBytes(32, 14 * MIB + 5);
    const cuts = [5 * MIB + 1, 9 * MIB + 1, 9 * MIB + 2, 13 * MIB];
    for (const o of [OPTION_SETS[1]!.o, OPTION_SETS[2]!.o]) expect(streamed(data, cdc(o), cuts)).toEqual(fastcdcRef(data, o));
    expect(streamed(data, undefined, cuts)).toEqual(fastcdcRef(data, OPTION_SETS[2]!.o));
  });

  it('a flushed chunker refuses more input with code STATE', () => {
    for (const options of [undefined, { strategy: 'fixed' } as const]) {
      const c = createChunker(options);
      c.push(new Uint8Array(10));
      expect(c.flush()).toEqual([{ offset: 0, length: 10 }]);
      expect(() => c.push(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'STATE' }));
      expect(() => c.flush()).toThrow(expect.objectContaining({ code: 'STATE' }));
    }
  });
});

describe('fixed strategy and empty input', () => {
  beforeAll(() => init());

  it('fixed chunks are `size` bytes, the last one shorter, none empty', () => {
    for (const [n, size] of [
      [1000, 64],
      [1024, 64],
      [65536 * 3 + 1, undefined],
      [9 * MIB + 1, 1 * MIB],
      [63, 64],
    ] as const) {
      const data = prngBytes(n, n);
      expect(chunk(data, { strategy: 'fixed', size }), `${n}/${size}`).toEqual(fixedRef(n, size ?? 65536));
    }
  });

  it('empty input gives no chunks', () => {
    for (const options of [undefined, { strategy: 'cdc' } as const, { strategy: 'fixed' } as const]) {
      expect(chunk(new Uint8Array(0), options)).toEqual([]);
      const c = createChunker(options);
      expect(c.push(new Uint8Array(0))).toEqual([]);
      expect(c.flush()).toEqual([]);
    }
  });
});

describe('chunk stability', () => {
  beforeAll(() => init());
  const N = 32 * MIB;
  const before = prngBytes(2024, N);
  const after = new Uint8Array(N + 1);
  after.set(before.subarray(0, N / 2));
  after[N / 2] = 0x42;
  after.set(before.subarray(N / 2), N / 2 + 1);

  /** Fraction of `b`'s bytes that lie in chunks whose content (SHA-256, node:crypto) also is a chunk of `a`. */
  function kept(a: Uint8Array, ca: Chunk[], b: Uint8Array, cb: Chunk[]): number {
    const known = new Set(ca.map((c) => nodeSha256(a.subarray(c.offset, c.offset + c.length))));
    let same = 0;
    for (const c of cb) if (known.has(nodeSha256(b.subarray(c.offset, c.offset + c.length)))) same += c.length;
    return same / b.length;
  }

  it('inserting one byte in the middle of 32 MiB keeps >= 95% of the bytes in identical chunks', () => {
    const ca = chunk(before);
    const cb = chunk(after);
    checkCover(cb, N + 1);
    const f = kept(before, ca, after, cb);
    expect(f).toBeGreaterThanOrEqual(0.95);
    expect(f).toBeLessThan(1);
    // the same measure on fixed-size chunks loses the second half: it does measure something
    const fixed = { strategy: 'fixed' } as const;
    expect(kept(before, chunk(before, fixed), after, chunk(after, fixed))).toBeLessThan(0.55);
  });

  it('the mean chunk size stays near avgSize (measured 1.10-1.15 x on random data)', () => {
    for (const avgSize of [1024, 16 * KIB, 64 * KIB]) {
      const mean = N / chunk(before, { strategy: 'cdc', avgSize }).length;
      expect(mean / avgSize, `avgSize ${avgSize}`).toBeGreaterThan(1.0);
      expect(mean / avgSize, `avgSize ${avgSize}`).toBeLessThan(1.3);
    }
  });
});

describe('option validation', () => {
  beforeAll(() => init());

  const cases: [string, unknown, string][] = [
    ['unknown key', { avgSize: 4096, avgsize: 4096 }, 'avgsize'],
    ['unknown key for fixed', { strategy: 'fixed', minSize: 64 }, 'minSize'],
    ['unknown strategy', { strategy: 'rabin' }, 'strategy'],
    ['strategy of the wrong type', { strategy: 1 }, 'strategy'],
    ['avgSize of the wrong type', { avgSize: '4096' }, 'avgSize'],
    ['minSize not an integer', { minSize: 100.5 }, 'minSize'],
    ['maxSize NaN', { maxSize: Number.NaN }, 'maxSize'],
    ['size of the wrong type', { strategy: 'fixed', size: 10n }, 'size'],
    ['minSize > avgSize', { minSize: 8192, avgSize: 4096 }, 'minSize'],
    ['avgSize > maxSize', { avgSize: 8192, maxSize: 4096 }, 'avgSize'],
    ['minSize below range', { minSize: 63, avgSize: 4096 }, 'minSize'],
    ['avgSize below range', { avgSize: 255 }, 'avgSize'],
    ['avgSize above range', { avgSize: 2 ** 28 + 1 }, 'avgSize'],
    ['maxSize above range', { maxSize: 2 ** 30 + 1 }, 'maxSize'],
    ['negative minSize', { minSize: -1 }, 'minSize'],
    ['fixed size below range', { strategy: 'fixed', size: 63 }, 'size'],
    ['fixed size above range', { strategy: 'fixed', size: 2 ** 30 + 1 }, 'size'],
    ['options not an object', 'cdc', 'chunk'],
    ['options an array', [], 'chunk'],
  ];

  for (const [what, options, name] of cases) {
    it(`${what} throws PaniniError OPTION naming "${name}"`, () => {
      for (const call of [() => chunk(new Uint8Array(10), options as ChunkOptions), () => createChunker(options as ChunkOptions)]) {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect(err, 'did not throw').toBeInstanceOf(PaniniError);
        expect((err as PaniniError).code).toBe('OPTION');
        expect((err as PaniniError).message).toContain(name === 'chunk' ? 'option' : name);
      }
    });
  }

  it('accepts the range limits themselves', () => {
    const data = prngBytes(1, 5000);
    expect(() => chunk(data, { strategy: 'cdc', minSize: 64, avgSize: 256, maxSize: 256 })).not.toThrow();
    expect(() => chunk(data, { strategy: 'fixed', size: 64 })).not.toThrow();
    expect(chunk(data, { strategy: 'cdc', minSize: 64, avgSize: 256, maxSize: 256 })).toEqual(
      fastcdcRef(data, { minSize: 64, avgSize: 256, maxSize: 256 }),
    );
  });

  it('data that is not a Uint8Array throws OPTION', () => {
    expect(() => chunk([1, 2, 3] as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'OPTION' }));
    expect(() => createChunker().push('x' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'OPTION' }));
  });
});

describe('before init()', () => {
  it('every core call in a fresh module context throws code STATE', async () => {
    vi.resetModules();
    const fresh = await import('../../src/index.js');
    expect(fresh.coreInfo().loaded).toBe(false);
    const calls: (() => unknown)[] = [
      () => fresh.sha256(new Uint8Array(3)),
      () => fresh.createSha256(),
      () => fresh.crc32(new Uint8Array(3)),
      () => fresh.chunk(new Uint8Array(3)),
      () => fresh.createChunker(),
    ];
    for (const call of calls) {
      expect(call).toThrow(expect.objectContaining({ code: 'STATE', name: 'PaniniError' }));
    }
    fresh.initSync();
    expect(nodeSha256(new Uint8Array(3))).toBe(Buffer.from(fresh.sha256(new Uint8Array(3))).toString('hex'));
  });

  it('the async APIs load the core themselves: compress, decompress, verify, inspect, extract and the streams in a new process', () => {
    const dist = join(ROOT, 'dist/node.js');
    expect(existsSync(dist), 'dist/ is missing: run `npm run build`').toBe(true);
    // each call runs in its own process, so none of them finds the core loaded by another
    const calls = {
      compress: `const c = await p.compress(data); out = (await p.decompress(c)).length;`,
      decompress: `const c = await p.compress(data); out = (await p.decompress(c)).length;`,
      verify: `const c = await p.compress(data); out = (await p.verify(c)).originalSize;`,
      inspect: `const c = await p.compress(data); out = (await p.inspect(c)).originalSize;`,
      extract: `const c = await p.compress(data); out = (await p.extract(c, 'data.bin').catch(() => p.decompress(c))).length;`,
      streams: `const c = new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(p.compressStream())).arrayBuffer()); out = (await new Response(new Blob([c]).stream().pipeThrough(p.decompressStream())).arrayBuffer()).byteLength;`,
    };
    for (const [name, body] of Object.entries(calls)) {
      const script = `import(${JSON.stringify(dist)}).then(async (p) => { const loadedBefore = p.coreInfo().loaded; const data = new TextEncoder().encode('panini '.repeat(5000)); let out; ${body} console.log(JSON.stringify({ loadedBefore, out })); }).catch((e) => console.log(JSON.stringify({ error: e.code ?? e.message })))`;
      const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
      expect(r, name).toEqual({ loadedBefore: false, out: 35000 });
    }
  });

  it('the built package throws STATE before init() in a new process', () => {
    const dist = join(ROOT, 'dist/index.js');
    expect(existsSync(dist), 'dist/ is missing: run `npm run build`').toBe(true);
    const script = `import(${JSON.stringify(dist)}).then((p) => { try { p.sha256(new Uint8Array(1)); console.log('no error'); } catch (e) { console.log(e.code); } })`;
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim()).toBe('STATE');
  });
});
