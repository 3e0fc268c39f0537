// The `semantic` and `adaptive` strategies (src/chunk/semantic.ts over src/grammar): records end at the format's
// own boundaries, the container decodes bit-exactly (node:crypto oracle), and the cuts depend only on the bytes —
// compressStream fed in random pieces writes exactly what compress() writes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, compressStream, decompress, init, inspect } from '../../src/node.js';
import { makeAssembler } from '../../src/container/api.js';
import { resolveCompressOptions } from '../../src/container/options.js';
import { boundaries, detect } from '../../src/grammar/index.js';
import { prngBytes } from '../helpers/prng.mjs';
import { CORPUS_DIR, corpusBytes } from '../helpers/corpus.js';

const CORPUS = CORPUS_DIR;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function viaStream(data: Uint8Array, options: object, seed: number): Promise<Uint8Array> {
  const ts = compressStream(options);
  const parts: Uint8Array[] = [];
  const reading = (async () => {
    const r = ts.readable.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      parts.push(value);
    }
  })();
  const w = ts.writable.getWriter();
  const r = prngBytes(seed, 1024);
  for (let at = 0, k = 0; at < data.length; k++) {
    const n = 1 + ((r[k % r.length]! * 4099) % 700_000);
    await w.write(data.subarray(at, at + n));
    at += n;
  }
  await w.close();
  await reading;
  return Buffer.concat(parts);
}

/** The chunks the assembler cuts, fed in one piece. */
function cutAll(data: Uint8Array, options: object): Uint8Array[] {
  const a = makeAssembler(resolveCompressOptions(options));
  return [...a.push(data), ...a.flush()];
}

beforeAll(async () => {
  await init();
});

describe('semantic strategy', () => {
  const files = ['json-bcd.json', 'text-brown-all.txt', 'elf-esbuild', 'wasm-ort.wasm', 'js-typescript.js'];
  for (const name of files) {
    it(`${name}: cuts at the grammar's boundaries, round trip, stream = bytes`, async () => {
      const data = corpusBytes(join('single', name), 3 << 20);
      const options = { codec: 'deflate', strategy: 'semantic', level: 1 } as const;
      const chunks = cutAll(data, options);
      expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(data.length);
      // within the first window the cuts are exactly the grammar's own (independent call on the same bytes)
      const format = detect(data.subarray(0, 65536)).format;
      expect(format).not.toBe('generic');
      const o = resolveCompressOptions(options);
      const first = boundaries(format, data.subarray(0, 8 << 20), { minSize: o.minSize, maxSize: o.maxSize, avgSize: o.avgSize });
      let at = 0;
      for (let i = 0; i < Math.min(20, chunks.length - 1); i++) {
        at += chunks[i]!.length;
        expect(at).toBe(first[i]);
      }
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(o.maxSize);
      const c = await compress(data, options);
      expect(sha(await decompress(c))).toBe(sha(data));
      expect(sha(await viaStream(data, options, 3))).toBe(sha(c));
    });
  }

  it('adaptive: unrecognised (random) data falls back to CDC; recognised data is cut semantically', async () => {
    const rnd = prngBytes(9, 1 << 20);
    const a = cutAll(rnd, { strategy: 'adaptive' });
    const cdc = cutAll(rnd, { strategy: 'cdc' });
    expect(a.map((c) => c.length)).toEqual(cdc.map((c) => c.length));
    const c = await compress(rnd, { strategy: 'adaptive' });
    expect(sha(await decompress(c))).toBe(sha(rnd));
    expect(sha(await viaStream(rnd, { strategy: 'adaptive' }, 4))).toBe(sha(c));
    const json = new TextEncoder().encode(JSON.stringify(Array.from({ length: 20000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b', String(i % 7)] }))));
    const j = cutAll(json, { strategy: 'adaptive' });
    // semantic cuts land on record starts: every chunk after the first begins with '{' (a top-level array element)
    for (const ch of j.slice(1)) expect(String.fromCharCode(ch[0]!)).toBe('{');
    expect((await inspect(await compress(json, { strategy: 'adaptive' }))).records).toBe(j.length);
  });

  it('the dhātu codec groups semantic chunks into blocks', async () => {
    const data = corpusBytes('single/json-bcd.json', 3 << 20);
    const c = await compress(data, { codec: 'dhatu', strategy: 'semantic', level: 1, blockSize: 1 << 20 });
    expect(sha(await decompress(c))).toBe(sha(data));
  });
});
