/**
 * The Store contract (src/store/types.ts), as a suite every backend runs: call `storeConformance(name, open)` from a
 * backend's test file with a function that opens a fresh, empty store. Data is checked against node:crypto digests
 * of what was written, not against the store's own answers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/node.js';
import { errorCode as code } from '../helpers/errors.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');


async function keys(store: Store, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out;
}

export interface ConformanceOptions {
  /** Also round-trip an object of this many bytes. */
  bigObject?: number;
  /**
   * Why concurrent puts of one key are not raced on this backend's test server (an emulator that writes objects in
   * place); the reason becomes part of the test's name, and the same key is then overwritten sequentially instead.
   */
  noSameKeyRace?: string;
}

export function storeConformance(name: string, open: () => Promise<Store>, opts: ConformanceOptions = {}): void {
  describe(`store contract: ${name}`, () => {
    it('put then get returns the same bytes; stat gives the size; get of a missing key is NOT_FOUND', async () => {
      const s = await open();
      try {
        const data = randomBytes(100_000);
        await s.put('data/ab/abcdef', data);
        expect(sha(await s.get('data/ab/abcdef'))).toBe(sha(data));
        expect(await s.stat('data/ab/abcdef')).toEqual({ key: 'data/ab/abcdef', size: data.length });
        expect(await s.stat('data/ab/missing')).toBeUndefined();
        expect(await code(s.get('data/ab/missing'))).toBe('NOT_FOUND');
        expect(await code(s.get('data/ab'))).toBe('NOT_FOUND');
        const empty = new Uint8Array(0);
        await s.put('empty', empty);
        expect((await s.get('empty')).length).toBe(0);
        expect(await s.stat('empty')).toEqual({ key: 'empty', size: 0 });
      } finally {
        await s.close();
      }
    });

    it('overwrites replace the whole object; the stored copy does not alias the caller buffer', async () => {
      const s = await open();
      try {
        const a = randomBytes(5000);
        await s.put('k', a);
        a.fill(0);
        expect(sha(await s.get('k'))).not.toBe(sha(a));
        const b = randomBytes(10);
        await s.put('k', b);
        expect(sha(await s.get('k'))).toBe(sha(b));
        const got = await s.get('k');
        got.fill(1);
        expect(sha(await s.get('k'))).toBe(sha(b));
      } finally {
        await s.close();
      }
    });

    it('getRange returns exactly the slice, TRUNCATED past the end, NOT_FOUND for a missing key', async () => {
      const s = await open();
      try {
        const data = randomBytes(70_000);
        await s.put('r', data);
        for (const [o, l] of [
          [0, 0],
          [0, 1],
          [12345, 4321],
          [69_999, 1],
          [0, 70_000],
          [70_000, 0],
        ] as const) {
          expect(sha(await s.getRange('r', o, l))).toBe(sha(data.subarray(o, o + l)));
        }
        expect(await code(s.getRange('r', 69_990, 11))).toBe('TRUNCATED');
        expect(await code(s.getRange('r', 80_000, 1))).toBe('TRUNCATED');
        expect(await code(s.getRange('missing', 0, 1))).toBe('NOT_FOUND');
        expect(await code(s.getRange('r', -1, 1))).toBe('OPTION');
        expect(await code(s.getRange('r', 0, 1.5))).toBe('OPTION');
      } finally {
        await s.close();
      }
    });

    it('delete removes, and deleting a missing key succeeds', async () => {
      const s = await open();
      try {
        await s.put('x/y', new Uint8Array([1]));
        await s.delete('x/y');
        expect(await s.stat('x/y')).toBeUndefined();
        await s.delete('x/y');
        await s.delete('never/was');
        expect(await keys(s, '')).toEqual([]);
      } finally {
        await s.close();
      }
    });

    it('list yields every key under a prefix once, in ascending order', async () => {
      const s = await open();
      try {
        const all = ['a.b', 'a/b', 'a/c/d', 'a-z', 'a_', 'ab/1', 'ab/2', 'b/0', 'snapshots/x', 'snapshots/y'];
        // written in a scrambled order
        for (const k of [...all].reverse()) await s.put(k, new TextEncoder().encode(k));
        const sorted = [...all].sort();
        expect(await keys(s, '')).toEqual(sorted);
        expect(await keys(s, 'a')).toEqual(sorted.filter((k) => k.startsWith('a')));
        expect(await keys(s, 'a/')).toEqual(['a/b', 'a/c/d']);
        expect(await keys(s, 'a/c')).toEqual(['a/c/d']);
        expect(await keys(s, 'ab')).toEqual(['ab/1', 'ab/2']);
        expect(await keys(s, 'snapshots/')).toEqual(['snapshots/x', 'snapshots/y']);
        expect(await keys(s, 'zzz')).toEqual([]);
        const sizes: Record<string, number> = {};
        for await (const i of s.list('')) sizes[i.key] = i.size;
        for (const k of all) expect(sizes[k]).toBe(k.length);
      } finally {
        await s.close();
      }
    });

    it('rejects keys that are not keys (OPTION), before touching the backend', async () => {
      const s = await open();
      try {
        for (const bad of ['', '/a', 'a/', 'a//b', '../x', 'a/../b', '.hidden', 'a/.tmp', 'sp ace', 'é', 'a\\b', 'x'.repeat(1025)]) {
          expect(await code(s.put(bad, new Uint8Array(1))), bad).toBe('OPTION');
          expect(await code(s.get(bad)), bad).toBe('OPTION');
        }
        expect(await code(keys(s, '../'))).toBe('OPTION');
      } finally {
        await s.close();
      }
    });

    it('an aborted signal stops an operation with ABORTED', async () => {
      const s = await open();
      try {
        const ac = new AbortController();
        ac.abort();
        expect(await code(s.put('k', new Uint8Array(1), { signal: ac.signal }))).toBe('ABORTED');
        expect(await s.stat('k')).toBeUndefined();
        expect(await code(s.get('k', { signal: ac.signal }))).toBe('ABORTED');
      } finally {
        await s.close();
      }
    });

    const raceName = opts.noSameKeyRace
      ? `concurrent puts of different keys leave whole objects; one key overwritten in sequence (not raced: ${opts.noSameKeyRace})`
      : 'concurrent puts of different keys and of the same key leave whole objects';
    it(raceName, async () => {
      const s = await open();
      try {
        const blobs = Array.from({ length: 16 }, (_, i) => randomBytes(1000 + i * 997));
        await Promise.all(blobs.map((b, i) => s.put(`c/${i}`, b)));
        for (let i = 0; i < blobs.length; i++) expect(sha(await s.get(`c/${i}`))).toBe(sha(blobs[i]!));
        if (opts.noSameKeyRace) {
          for (const b of blobs) {
            await s.put('same', b);
            expect(sha(await s.get('same'))).toBe(sha(b));
          }
        } else {
          await Promise.all(blobs.map((b) => s.put('same', b)));
          const final = sha(await s.get('same'));
          expect(blobs.map(sha)).toContain(final);
        }
      } finally {
        await s.close();
      }
    });

    if (opts.bigObject) {
      it(`a ${opts.bigObject >> 20} MiB object round-trips`, async () => {
        const s = await open();
        try {
          const data = randomBytes(opts.bigObject!);
          await s.put('big', data);
          expect(sha(await s.get('big'))).toBe(sha(data));
          expect(sha(await s.getRange('big', data.length - 10, 10))).toBe(sha(data.subarray(data.length - 10)));
        } finally {
          await s.close();
        }
      });
    }
  });
}
