// The native SHA-256 backend (node:crypto, installed by the Node entry) and the WebCrypto one (crypto.subtle for whole
// buffers, the browsers' default) against the wasm core and published vectors: the same digests one-shot, streamed
// and async, the same errors, and the backend switch validated. Containers made and
// checked with either backend are the same bytes.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compress, createSha256, decompress, init, PaniniError, setSha256Backend, sha256, sha256Backend } from '../../src/node.js';
import { sha256Async, WEBCRYPTO_MAX, WEBCRYPTO_MIN } from '../../src/hash/sha256.js';
import { hex, nodeSha256 as oracle } from '../helpers/oracles.js';
import { prngBytes } from '../helpers/prng.mjs';

beforeAll(async () => {
  await init();
});
afterEach(() => setSha256Backend('native'));


describe('native SHA-256 backend', () => {
  it('is installed by the Node entry', () => {
    expect(sha256Backend()).toBe('native');
  });

  it('gives the wasm core\'s digests, one-shot and streamed, as plain Uint8Arrays', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat(), { maxLength: 6 }), (data, cuts) => {
        setSha256Backend('wasm');
        const w = sha256(data);
        setSha256Backend('native');
        const n = sha256(data);
        expect(n.constructor).toBe(Uint8Array);
        expect(hex(n)).toBe(hex(w));
        expect(hex(n)).toBe(oracle(data));
        const h = createSha256();
        let at = 0;
        for (const c of [...cuts.map((x) => x % (data.length + 1))].sort((a, b) => a - b)) {
          h.update(data.subarray(at, c));
          at = c;
        }
        h.update(data.subarray(at));
        expect(hex(h.digest())).toBe(oracle(data));
      }),
      { numRuns: 200 },
    );
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('rejects use after digest and non-byte input like the wasm hasher', () => {
    for (const b of ['wasm', 'native'] as const) {
      setSha256Backend(b);
      const h = createSha256();
      h.digest();
      expect(() => h.update(new Uint8Array(1))).toThrow(PaniniError);
      expect(() => h.digest()).toThrow(/already returned its digest/);
      expect(() => sha256('abc' as unknown as Uint8Array)).toThrow(PaniniError);
    }
  });

  it('validates the backend name', () => {
    for (const bad of ['crypto', '', undefined, 1]) {
      expect(() => setSha256Backend(bad as never)).toThrow(/backend must be 'wasm', 'webcrypto' or 'native', got/);
    }
  });

  it('sha256Async gives the same digests with every backend, on both sides of the WebCrypto size', async () => {
    const sizes = [0, 3, WEBCRYPTO_MIN - 1, WEBCRYPTO_MIN, WEBCRYPTO_MIN + 1, 1_000_003];
    for (const b of ['native', 'webcrypto', 'wasm'] as const) {
      setSha256Backend(b);
      expect(sha256Backend()).toBe(b);
      for (const n of sizes) {
        const data = prngBytes(n + 1, n);
        const d = await sha256Async(data.subarray(0)); // a view, as the decoder passes
        expect(d.constructor).toBe(Uint8Array);
        expect(hex(d), `${b} ${n}`).toBe(oracle(data));
        // a view inside a larger buffer hashes only its bytes
        const inner = new Uint8Array(n + 10);
        inner.set(data, 5);
        expect(hex(await sha256Async(inner.subarray(5, 5 + n))), `${b} ${n} view`).toBe(oracle(data));
      }
      // a SharedArrayBuffer view, which WebCrypto refuses: the wasm core's digest instead
      const shared = new Uint8Array(new SharedArrayBuffer(WEBCRYPTO_MIN * 2));
      shared.set(prngBytes(9, shared.length));
      expect(hex(await sha256Async(shared)), `${b} shared`).toBe(oracle(shared.slice()));
      await expect(sha256Async('abc' as unknown as Uint8Array)).rejects.toThrow(PaniniError);
      // above WEBCRYPTO_MAX the core hashes in place (WebCrypto would copy it)
      const huge = new Uint8Array(WEBCRYPTO_MAX + 1);
      huge[7] = 1;
      expect(hex(await sha256Async(huge)), `${b} huge`).toBe(oracle(huge));
    }
  });

  it('containers are the same bytes and decode with either backend', async () => {
    const data = prngBytes(3, 300_000);
    data.fill(65, 0, 100_000);
    setSha256Backend('wasm');
    const a = await compress(data, { codec: 'dhatu', level: 2 });
    setSha256Backend('native');
    const b = await compress(data, { codec: 'dhatu', level: 2 });
    expect(Buffer.compare(a, b)).toBe(0);
    setSha256Backend('wasm');
    expect(Buffer.compare(await decompress(b), data)).toBe(0);
    setSha256Backend('native');
    expect(Buffer.compare(await decompress(a), data)).toBe(0);
    setSha256Backend('webcrypto');
    expect(Buffer.compare(await decompress(a), data)).toBe(0);
    expect(Buffer.compare(await compress(data, { codec: 'dhatu', level: 2 }), a)).toBe(0);
  });
});
