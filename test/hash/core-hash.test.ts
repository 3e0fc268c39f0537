// SHA-256 and CRC32 of the wasm core against independent oracles (node:crypto, node:zlib, hash-wasm) and the
// published FIPS 180-4 / NIST vectors, for both wasm builds (scalar and SIMD).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { crc32 as hwCrc32, sha256 as hwSha256 } from 'hash-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { coreInfo, crc32, createSha256, init, PaniniError, sha256 } from '../../src/index.js';
import { atOffset, hex, nodeCrc32, nodeSha256 } from '../helpers/oracles.js';
import { prngBytes } from '../helpers/prng.mjs';

const MIB = 1 << 20;
const SMALL_LENGTHS = Array.from({ length: 301 }, (_, i) => i);
const EDGE_LENGTHS = [0, 55, 56, 63, 64, 65, 119, 128, 4095, 4096, 4097, 1_000_003];
const OFFSETS = [0, 1, 3, 7];
const BASE = prngBytes(0x5eed, 1_000_003);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// FIPS 180-4 examples (NIST CSRC "Examples with intermediate values") and the classic one-million-'a' vector.
const NIST: [string, Uint8Array, string][] = [
  ['empty', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['"abc"', ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    '448-bit message',
    ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  [
    '896-bit message',
    ascii(
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
    ),
    'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  ],
  ['one million "a"', new Uint8Array(1_000_000).fill(0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
];

/** Splits `data` at the given (unsorted, possibly repeated) cut offsets. */
function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

for (const variant of ['scalar', 'simd'] as const) {
  describe(`${variant} build`, () => {
    beforeAll(async () => {
      await init({ variant });
      expect(coreInfo()).toEqual({ loaded: true, simd: variant === 'simd' });
    });

    describe('SHA-256', () => {
      it('matches the FIPS 180-4 / NIST vectors', () => {
        for (const [name, msg, want] of NIST) expect(hex(sha256(msg)), name).toBe(want);
      });

      it('equals node:crypto and hash-wasm for every length 0..300 and the block edges, at odd offsets', async () => {
        for (const len of [...SMALL_LENGTHS, ...EDGE_LENGTHS]) {
          const data = BASE.subarray(0, len);
          const want = nodeSha256(data);
          expect(await hwSha256(data), `hash-wasm disagrees with node:crypto at ${len}`).toBe(want);
          for (const off of len > 5000 ? [0, 3] : OFFSETS) {
            const view = atOffset(data, off);
            expect(view.byteOffset).toBe(off);
            expect(hex(sha256(view)), `length ${len}, byteOffset ${off}`).toBe(want);
          }
        }
      });

      it('hashes inputs larger than the 4 MiB window (9 MiB + 7, odd offset)', async () => {
        const data = atOffset(prngBytes(9, 9 * MIB + 7), 5);
        const want = nodeSha256(data);
        expect(await hwSha256(data)).toBe(want);
        expect(hex(sha256(data))).toBe(want);
        const h = createSha256();
        for (const piece of split(data, [1, 5 * MIB + 1, 9 * MIB])) h.update(piece);
        expect(hex(h.digest())).toBe(want);
      });

      it('streaming with random split points equals the one-shot digest (fast-check)', () => {
        fc.assert(
          fc.property(
            fc.uint8Array({ maxLength: 3000 }),
            fc.array(fc.nat(), { maxLength: 40 }),
            (data, cuts) => {
              const h = createSha256();
              let chained = h;
              for (const piece of split(data, cuts)) chained = chained.update(piece);
              expect(chained).toBe(h);
              const got = hex(h.digest());
              expect(got).toBe(nodeSha256(data));
              expect(got).toBe(hex(sha256(data)));
            },
          ),
          { numRuns: 300 },
        );
      });

      it('interleaved hashers and one-shot calls in between all give correct digests (fast-check)', () => {
        const op = fc.record({ who: fc.integer({ min: 0, max: 3 }), len: fc.integer({ min: 0, max: 300 }), seed: fc.nat() });
        fc.assert(
          fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
            const ours = [createSha256(), createSha256(), createSha256()];
            const oracle = [createHash('sha256'), createHash('sha256'), createHash('sha256')];
            for (const { who, len, seed } of ops) {
              const piece = prngBytes(seed, len);
              if (who === 3) {
                expect(hex(sha256(piece))).toBe(nodeSha256(piece));
              } else {
                ours[who]!.update(piece);
                oracle[who]!.update(piece);
              }
            }
            // finish in an order unlike the order of creation, with a one-shot call between two digests
            expect(hex(ours[1]!.digest())).toBe(oracle[1]!.digest('hex'));
            expect(hex(sha256(ascii('abc')))).toBe(NIST[1]![2]);
            expect(hex(ours[2]!.digest())).toBe(oracle[2]!.digest('hex'));
            expect(hex(ours[0]!.digest())).toBe(oracle[0]!.digest('hex'));
          }),
          { numRuns: 200 },
        );
      });

      it('interleaves three hashers whose blocks straddle the window, with one-shot calls between', () => {
        const streams = [prngBytes(1, 3 * MIB + 17), prngBytes(2, 65), prngBytes(3, 5 * MIB + 3)];
        const hs = streams.map(() => createSha256());
        const pieces = streams.map((s, i) => split(s, [63, 64 + i, 1000, MIB + 1, 4 * MIB + 9]));
        for (let round = 0; round < 6; round++) {
          for (let i = 0; i < 3; i++) {
            const p = pieces[i]![round];
            if (p) hs[i]!.update(p);
            if (i === 1) expect(hex(sha256(NIST[2]![1]))).toBe(NIST[2]![2]);
          }
        }
        hs.forEach((h, i) => expect(hex(h.digest()), `hasher ${i}`).toBe(nodeSha256(streams[i]!)));
      });

      it('a hasher refuses to be used after digest() with code STATE', () => {
        const h = createSha256();
        h.update(ascii('x'));
        h.digest();
        const err = (f: () => unknown) => {
          try {
            f();
          } catch (e) {
            return e;
          }
          throw new Error('did not throw');
        };
        for (const e of [err(() => h.digest()), err(() => h.update(ascii('y')))]) {
          expect(e).toBeInstanceOf(PaniniError);
          expect((e as PaniniError).code).toBe('STATE');
        }
      });

      it('rejects what is not a Uint8Array with code OPTION', () => {
        expect(() => sha256('abc' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'OPTION' }));
        expect(() => crc32([1, 2] as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'OPTION' }));
      });
    });

    describe('CRC32', () => {
      it('known vector: crc32("123456789") = 0xCBF43926', () => {
        expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
        expect(crc32(new Uint8Array(0))).toBe(0);
      });

      it('equals node:zlib crc32 and hash-wasm for every length 0..300 and the edges, at odd offsets', async () => {
        for (const len of [...SMALL_LENGTHS, ...EDGE_LENGTHS]) {
          const data = BASE.subarray(0, len);
          const want = nodeCrc32(data);
          expect(parseInt(await hwCrc32(data), 16), `hash-wasm disagrees with zlib at ${len}`).toBe(want);
          for (const off of len > 5000 ? [0, 3] : OFFSETS) {
            expect(crc32(atOffset(data, off)), `length ${len}, byteOffset ${off}`).toBe(want);
          }
        }
      });

      it('handles inputs larger than the 4 MiB window (9 MiB + 7)', () => {
        const data = atOffset(prngBytes(11, 9 * MIB + 7), 1);
        expect(crc32(data)).toBe(nodeCrc32(data));
      });

      it('chains: crc32(b, crc32(a)) === crc32(a ‖ b) (fast-check)', () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (a, b) => {
            const ab = new Uint8Array(a.length + b.length);
            ab.set(a);
            ab.set(b, a.length);
            const whole = nodeCrc32(ab);
            expect(crc32(b, crc32(a))).toBe(whole);
            expect(crc32(ab)).toBe(whole);
            expect(crc32(new Uint8Array(0), crc32(a))).toBe(nodeCrc32(a));
          }),
          { numRuns: 300 },
        );
      });

      it('rejects a `previous` that is not a u32 with code OPTION', () => {
        expect(() => crc32(ascii('a'), -1)).toThrow(expect.objectContaining({ code: 'OPTION' }));
        expect(() => crc32(ascii('a'), 2 ** 32)).toThrow(expect.objectContaining({ code: 'OPTION' }));
      });
    });
  });
}

describe('switching builds', () => {
  it('a hasher left open across init({ variant }) still gives the right digest', async () => {
    const a = prngBytes(21, 100);
    const b = prngBytes(22, 200);
    await init({ variant: 'scalar' });
    const x = createSha256().update(a);
    const y = createSha256().update(a); // x's context is saved, y's is in the scalar core
    x.update(a); // y saved, x active in the scalar core
    await init({ variant: 'simd' });
    y.update(b); // x must be saved out of the scalar core before y moves into the SIMD one
    expect(hex(x.update(b).digest())).toBe(createHash('sha256').update(a).update(a).update(b).digest('hex'));
    expect(hex(y.digest())).toBe(createHash('sha256').update(a).update(b).digest('hex'));
  });
});
