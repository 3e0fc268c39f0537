// The browser build (dist/index.js) in headless Chromium gives the same SHA-256, CRC32 and chunks as Node and the
// independent oracles, on the same deterministic bytes (test/helpers/prng.mjs runs unchanged on both sides).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunk, init } from '../../src/index.js';
import { nodeImportsIn, ROOT, withPage } from '../helpers/browser.js';
import { nodeCrc32, nodeSha256 } from '../helpers/oracles.js';
import { prngBytes } from '../helpers/prng.mjs';
import { fastcdcRef } from '../reference/fastcdc.js';

const SEED = 0xc0ffee;
const N = 5 * (1 << 20) + 333;
const SMALL = { strategy: 'cdc', minSize: 1024, avgSize: 4096, maxSize: 16384 } as const;
const FIXED = { strategy: 'fixed', size: 100_000 } as const;

interface PageResult {
  simd: boolean;
  sha256: string;
  streamed: string;
  crc32: number;
  cdc: [number, number][];
  cdcSmall: [number, number][];
  fixed: [number, number][];
  scalarSha256: string;
  scalarCrc32: number;
  scalarCdc: [number, number][];
}

describe('dist/index.js is browser-safe', () => {
  it('imports nothing from Node built-ins, and only runtime dependencies', () => {
    const src = readFileSync(join(ROOT, 'dist/index.js'), 'utf8');
    expect(nodeImportsIn(src)).toEqual([]);
    const { dependencies = {} } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    // import/export statements at line starts (`import x from "m"`, `import "m"`, `export … from "m"`) and import("m"):
    // not every "from" or "import" inside a string (the grammar layer's keyword lists are full of them)
    const re = /^(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"'./][^"']*)["']|^import\s*["']([^"'./][^"']*)["']|\bimport\s*\(\s*["']([^"'./][^"']*)["']\s*\)/gm;
    const bare = [...src.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3])!);
    expect(bare.length).toBeGreaterThan(0); // the regex still sees the real imports
    for (const s of bare) expect(Object.keys(dependencies), `dist/index.js imports "${s}"`).toContain(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]);
  });
});


describe('in headless Chromium', () => {
  const data = prngBytes(SEED, N);
  const pairs = (cs: { offset: number; length: number }[]) => cs.map((c): [number, number] => [c.offset, c.length]);
  beforeAll(() => init());

  it('SHA-256, CRC32, CDC and fixed chunks equal Node and the oracles, for both wasm builds', async () => {
    const r = await withPage(async (page) =>
      page.evaluate(
        async ({ seed, n, small, fixed }) => {
          type P = typeof import('../../src/index.js');
          const w = window as unknown as { panini: P; prng: { prngBytes(seed: number, n: number): Uint8Array } };
          const p = w.panini;
          const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
          const pairs = (cs: { offset: number; length: number }[]) => cs.map((c): [number, number] => [c.offset, c.length]);
          const d = w.prng.prngBytes(seed, n);
          const h = p.createSha256();
          for (let off = 0; off < d.length; off += 1_000_003) h.update(d.subarray(off, off + 1_000_003));
          const out = {
            simd: p.coreInfo().simd,
            sha256: hex(p.sha256(d)),
            streamed: hex(h.digest()),
            crc32: p.crc32(d),
            cdc: pairs(p.chunk(d)),
            cdcSmall: pairs(p.chunk(d, small)),
            fixed: pairs(p.chunk(d, fixed)),
          };
          await p.init({ variant: 'scalar' });
          return {
            ...out,
            scalarSha256: hex(p.sha256(d)),
            scalarCrc32: p.crc32(d),
            scalarCdc: pairs(p.chunk(d, small)),
          };
        },
        { seed: SEED, n: N, small: SMALL, fixed: FIXED },
      ),
    ) as PageResult;

    const sha = nodeSha256(data);
    const crc = nodeCrc32(data);
    expect(r.simd, 'Chromium validates the SIMD build').toBe(true);
    expect(r.sha256).toBe(sha);
    expect(r.streamed).toBe(sha);
    expect(r.scalarSha256).toBe(sha);
    expect(r.crc32).toBe(crc);
    expect(r.scalarCrc32).toBe(crc);
    const refDefault = pairs(fastcdcRef(data, { minSize: 16384, avgSize: 65536, maxSize: 262144 }));
    const refSmall = pairs(fastcdcRef(data, SMALL));
    expect(r.cdc).toEqual(refDefault);
    expect(r.cdc).toEqual(pairs(chunk(data)));
    expect(r.cdcSmall).toEqual(refSmall);
    expect(r.scalarCdc).toEqual(refSmall);
    expect(r.fixed).toEqual(pairs(chunk(data, FIXED)));
    expect(r.fixed).toHaveLength(Math.ceil(N / FIXED.size));
  });

  it('serves extra routes: the page can fetch bytes and hash them', async () => {
    const bytes = prngBytes(7, 70_000);
    const got = await withPage(
      async (page, baseUrl) =>
        page.evaluate(async (url) => {
          const p = (window as unknown as { panini: typeof import('../../src/index.js') }).panini;
          const b = new Uint8Array(await (await fetch(url)).arrayBuffer());
          return { n: b.length, crc: p.crc32(b) };
        }, `${baseUrl}/fixture.bin`),
      { routes: { '/fixture.bin': { body: bytes, type: 'application/octet-stream' } }, variant: 'scalar' },
    );
    expect(got).toEqual({ n: bytes.length, crc: nodeCrc32(bytes) });
  });

  it('resolves the runtime dependencies through the import map, as the browser build will need them', async () => {
    const kinds = await withPage(async (page) =>
      // a string, not a function: the test transform would rewrite a dynamic import() inside a function
      page.evaluate(`Promise.all([import('fflate'), import('msgpackr')]).then(([f, m]) => [typeof f.deflateSync, typeof m.pack])`),
    );
    expect(kinds).toEqual(['function', 'function']);
  });
});
