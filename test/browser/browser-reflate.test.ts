// Deflate streams re-created in headless Chromium: containers written in Node with REFLATE — the corpus jar (zlib
// parameters, 7000+ entries) and a gzip member made by fflate (another encoder: preflate corrections) — decode
// bit-exactly in the browser (pako and the preflate reconstructor run there too). Also reports the decode time.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress, init, inspect } from '../../src/index.js';
import { withPage } from '../helpers/browser.js';
import { CORPUS_DIR, corpusBytes } from '../helpers/corpus.js';

const CORPUS = CORPUS_DIR;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('REFLATE containers decode in headless Chromium', () => {
  beforeAll(() => init());

  it('the corpus jar (zlib-exact), an fflate gzip member and the corpus PNG (foreign: preflate) decode bit-exactly', async () => {
    const inputs: { name: string; data: Uint8Array; level: number }[] = [];
    inputs.push({ name: 'jar', data: corpusBytes('single/zip-closure.jar'), level: 1 });
    const text = new TextEncoder().encode(Array.from({ length: 30000 }, (_, i) => `line ${i} of the dhatu grammar, root ${i % 97}\n`).join(''));
    inputs.push({ name: 'fflate gzip', data: gzipSync(text, { level: 6 }), level: 7 });
    // the corpus PNG: its zlib stream was made by another encoder (preflate corrections, from level 7)
    inputs.push({ name: 'png', data: corpusBytes('single/png-emoji-apple-32.png'), level: 7 });
    const containers: string[] = [];
    for (const x of inputs) {
      const c = await compress(x.data, { codec: 'dhatu', level: x.level });
      const i = await inspect(c);
      expect(i.reflate.streams, x.name).toBeGreaterThan(0);
      if (x.name !== 'jar') expect(i.reflate.foreign, x.name).toBe(1);
      if (x.name === 'png') expect(c.length).toBeLessThan(0.75 * 6_926_868); // brotli -q 11's size of this file
      expect(sha(await decompress(c))).toBe(sha(x.data));
      containers.push(Buffer.from(c).toString('base64'));
    }
    const r = await withPage(async (page) =>
      page.evaluate(async (list) => {
        type P = typeof import('../../src/index.js');
        const p = (window as unknown as { panini: P }).panini;
        const out: { sha: string; bytes: number }[] = [];
        for (const b64 of list) {
          const c = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
          const d = await p.decompress(c);
          const h = new Uint8Array(await crypto.subtle.digest('SHA-256', d.slice()));
          out.push({ sha: Array.from(h, (x) => x.toString(16).padStart(2, '0')).join(''), bytes: d.length });
        }
        return out;
      }, containers),
    );
    for (let i = 0; i < inputs.length; i++) {
      expect(r[i]!.sha, inputs[i]!.name).toBe(sha(inputs[i]!.data));
      expect(r[i]!.bytes, inputs[i]!.name).toBe(inputs[i]!.data.length);
    }
  }, 600_000); // the PNG's preflate analysis takes about a minute on a loaded 2-core machine
});
