// Node and headless Chromium produce identical container bytes for the same input and options, and each decodes
// the other's (bytes API and Web streams).
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress, init } from '../../src/index.js';
import { withPage } from '../helpers/browser.js';
import { prngBytes } from '../helpers/prng.mjs';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** Mixed data: text-like lines, a random block, and repeats (so dedup and both codecs are used). */
function mixed(seed: number, n: number): Uint8Array {
  const rnd = prngBytes(seed, 1 << 18);
  const out = new Uint8Array(n);
  const words = 'the of and panini root dhatu chunk stream grammar verify byte'.split(' ');
  let k = 0;
  let i = 0;
  while (k < n) {
    const sel = rnd[i++ % rnd.length]!;
    if (sel < 8 && k + 65536 < n) {
      out.set(rnd.subarray(0, 65536), k); // a repeated random block
      k += 65536;
    } else {
      const line = `${words[sel % words.length]} ${words[(sel >> 3) % words.length]} ${i}\n`;
      for (let j = 0; j < line.length && k < n; j++) out[k++] = line.charCodeAt(j);
    }
  }
  return out;
}

const CASES = [
  { name: 'default', opts: {} },
  { name: 'level 1 fixed', opts: { level: 1, strategy: 'fixed', chunkSize: 65536 } },
  { name: 'level 9 adaptive', opts: { level: 9, strategy: 'adaptive', avgSize: 16384 } },
  { name: 'store, small window', opts: { level: 0, dedupWindow: 131072 } },
  { name: 'dhatu level 1', opts: { codec: 'dhatu', level: 1, blockSize: 1 << 20 } },
  { name: 'dhatu level 6 semantic', opts: { codec: 'dhatu', level: 6, strategy: 'semantic', blockSize: 1 << 20 } },
] as const;

describe('containers in headless Chromium', () => {
  const data = mixed(7, 3 * (1 << 20) + 17);
  beforeAll(() => init());

  it('gives the same bytes as Node for each option set, and each side decodes the other', async () => {
    const node = await Promise.all(CASES.map((c) => compress(data, c.opts as never)));
    const r = await withPage(async (page) =>
      page.evaluate(
        async ({ cases, dataB64, nodeB64 }) => {
          type P = typeof import('../../src/index.js');
          const p = (window as unknown as { panini: P }).panini;
          const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
          const tob64 = (b: Uint8Array) => {
            let s = '';
            for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
            return btoa(s);
          };
          const data = unb64(dataB64);
          const out: { container: string; decodedNode: string; streamSame: boolean; streamDecoded: string }[] = [];
          for (let i = 0; i < cases.length; i++) {
            const c = await p.compress(data, cases[i]!.opts as never);
            const fromNode = await p.decompress(unb64(nodeB64[i]!));
            // Web streams, fed in odd-sized pieces
            const pieces = new ReadableStream<Uint8Array>({
              start(ctl) {
                for (let o = 0; o < data.length; o += 77_777) ctl.enqueue(data.slice(o, o + 77_777));
                ctl.close();
              },
            });
            const streamed = new Uint8Array(await new Response(pieces.pipeThrough(p.compressStream(cases[i]!.opts as never))).arrayBuffer());
            const decoded = new Uint8Array(await new Response(new Blob([streamed]).stream().pipeThrough(p.decompressStream())).arrayBuffer());
            out.push({
              container: tob64(c),
              decodedNode: tob64(new Uint8Array(await crypto.subtle.digest('SHA-256', fromNode.slice()))),
              streamSame: streamed.length === c.length && streamed.every((x, j) => x === c[j]),
              streamDecoded: tob64(new Uint8Array(await crypto.subtle.digest('SHA-256', decoded.slice()))),
            });
          }
          return out;
        },
        { cases: CASES.map((c) => ({ opts: c.opts })), dataB64: b64(data), nodeB64: node.map(b64) },
      ),
    );
    const want = Buffer.from(sha(data), 'hex').toString('base64');
    for (let i = 0; i < CASES.length; i++) {
      const browserContainer = new Uint8Array(Buffer.from(r[i]!.container, 'base64'));
      expect(sha(browserContainer), CASES[i]!.name).toBe(sha(node[i]!));
      expect(r[i]!.decodedNode, CASES[i]!.name).toBe(want);
      expect(r[i]!.streamSame, CASES[i]!.name).toBe(true);
      expect(r[i]!.streamDecoded, CASES[i]!.name).toBe(want);
      expect(sha(await decompress(browserContainer))).toBe(sha(data));
    }
  });

  it('hashes records with WebCrypto by default (a secure context), and decodes the same bytes with the wasm core alone', async () => {
    const c = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20 }); // 1 MiB records: above WEBCRYPTO_MIN
    const r = await withPage(async (page) =>
      page.evaluate(
        async ({ cB64 }) => {
          type P = typeof import('../../src/index.js');
          const p = (window as unknown as { panini: P }).panini;
          const c = Uint8Array.from(atob(cB64), (x) => x.charCodeAt(0));
          const hex = async (b: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b.slice()))].map((x) => x.toString(16).padStart(2, '0')).join('');
          const first = p.sha256Backend();
          const webcrypto = await hex(await p.decompress(c));
          p.setSha256Backend('wasm');
          const wasm = await hex(await p.decompress(c));
          let nativeError = '';
          try {
            p.setSha256Backend('native');
          } catch (e) {
            nativeError = (e as { code?: string }).code ?? String(e);
          }
          p.setSha256Backend('webcrypto');
          return { first, webcrypto, wasm, nativeError, last: p.sha256Backend() };
        },
        { cB64: b64(c) },
      ),
    );
    expect(r.first).toBe('webcrypto');
    expect(r.webcrypto).toBe(sha(data));
    expect(r.wasm).toBe(sha(data));
    expect(r.nativeError).toBe('OPTION');
    expect(r.last).toBe('webcrypto');
  });
});
