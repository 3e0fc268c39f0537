// The browser stores (OPFS and IndexedDB) in headless Chromium: the Store contract (atomic overwrite, NOT_FOUND,
// TRUNCATED, idempotent delete, sorted prefix listings, typed errors), persistence across a page reload, and an
// encrypted repository written and checked on each. In Node they refuse to open with UNSUPPORTED.
import { describe, expect, it } from 'vitest';
import { IndexedDbStore, OpfsStore, openStore, PaniniError } from '../../src/index.js';
import { withPage } from '../helpers/browser.js';

describe('browser stores in Node', () => {
  it('refuse with UNSUPPORTED, and bad names with OPTION', async () => {
    for (const make of [() => new OpfsStore('x'), () => new IndexedDbStore('x'), () => openStore('browser://x')]) {
      let e: unknown;
      try {
        await make();
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(PaniniError);
      expect((e as PaniniError).code).toBe('UNSUPPORTED');
    }
    for (const bad of ['', '.hidden', 'a/b', 'x'.repeat(201)]) {
      let e: unknown;
      try {
        new OpfsStore(bad);
      } catch (x) {
        e = x;
      }
      expect((e as PaniniError).code).toBe('OPTION');
    }
  });
});

describe('browser stores in Chromium', () => {
  it('follow the store contract, keep their objects across a reload, and hold a repository', async () => {
    const r = await withPage(async (page) => {
      const first = await page.evaluate(async () => {
        type P = typeof import('../../src/index.js');
        const p = (window as unknown as { panini: P }).panini;
        const out: Record<string, unknown> = { opfs: p.opfsAvailable(), idb: p.indexedDbAvailable() };
        const code = async (f: () => Promise<unknown>) => {
          try {
            await f();
            return 'none';
          } catch (e) {
            return (e as { code?: string }).code ?? `untyped: ${String(e)}`;
          }
        };
        for (const loc of ['opfs://contract', 'idb://contract']) {
          const s = await p.openStore(loc);
          const r: Record<string, unknown> = { location: s.location };
          const enc = (t: string) => new TextEncoder().encode(t);
          const dec = (b: Uint8Array) => new TextDecoder().decode(b);
          await s.put('b/2', enc('two'));
          await s.put('a/1', enc('one'));
          await s.put('a/10', enc('ten'));
          await s.put('c', enc('see'));
          const big = new Uint8Array(3 << 20);
          for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
          await s.put('packs/ab/big', big.subarray(1)); // a view: only its own bytes are stored
          r.get = dec(await s.get('a/1'));
          await s.put('a/1', enc('ONE!')); // overwrite
          r.overwritten = dec(await s.get('a/1'));
          const back = await s.get('packs/ab/big');
          r.bigSame = back.length === big.length - 1 && back.every((v, i) => v === big[i + 1]);
          r.range = Array.from(await s.getRange('packs/ab/big', 1000, 4));
          r.rangeExpect = Array.from(big.subarray(1001, 1005));
          r.truncated = await code(() => s.getRange('c', 1, 3));
          r.missing = await code(() => s.get('nope'));
          r.missingRange = await code(() => s.getRange('nope', 0, 1));
          r.stat = await s.stat('c');
          r.statMissing = (await s.stat('nope')) === undefined;
          const all: string[] = [];
          for await (const o of s.list('')) all.push(`${o.key}:${o.size}`);
          r.all = all;
          const a: string[] = [];
          for await (const o of s.list('a/')) a.push(o.key);
          r.a = a;
          await s.delete('b/2');
          await s.delete('b/2'); // idempotent
          r.deleted = await code(() => s.get('b/2'));
          r.badKey = await code(() => s.put('../x', enc('x')));
          const ac = new AbortController();
          ac.abort();
          r.aborted = await code(() => s.put('d', enc('d'), { signal: ac.signal }));
          r.notWritten = (await s.stat('d')) === undefined;
          await s.close();
          out[loc] = r;
          // an encrypted repository on the store: packs, indexes, config, keys, locks
          const store = await p.openStore(loc.replace('contract', 'repo'));
          const repo = await p.initRepository(store, { password: 'pw', kdf: { N: 1 << 10, r: 8, p: 1 } });
          const w = repo.writer();
          const data = enc('panini '.repeat(50_000));
          const id = await w.add(data);
          await w.finish();
          const again = await p.openRepository(store, { password: 'pw' });
          const chunk = await again.readChunk(id);
          const report = await p.checkRepository(again, { readData: true });
          out[`${loc}:repo`] = { same: dec(chunk) === dec(data), ok: report.ok, problems: report.problems.length, wrong: await code(() => p.openRepository(store, { password: 'nope' })) };
        }
        return out;
      });
      await page.reload();
      await page.waitForFunction(() => (window as unknown as { __paniniReady?: unknown }).__paniniReady !== undefined);
      await page.evaluate(() => (window as unknown as { __paniniReady: Promise<unknown> }).__paniniReady);
      const after = await page.evaluate(async () => {
        type P = typeof import('../../src/index.js');
        const p = (window as unknown as { panini: P }).panini;
        const res: Record<string, string[]> = {};
        for (const loc of ['opfs://contract', 'idb://contract']) {
          const s = await p.openStore(loc);
          const keys: string[] = [];
          for await (const o of s.list('')) keys.push(o.key);
          res[loc] = keys;
        }
        return res;
      });
      return { first, after };
    });
    expect(r.first.opfs).toBe(true);
    expect(r.first.idb).toBe(true);
    for (const loc of ['opfs://contract', 'idb://contract']) {
      const x = r.first[loc] as Record<string, unknown>;
      expect(x.location).toBe(loc);
      expect(x.get).toBe('one');
      expect(x.overwritten).toBe('ONE!');
      expect(x.bigSame).toBe(true);
      expect(x.range).toEqual(x.rangeExpect);
      expect(x.truncated).toBe('TRUNCATED');
      expect(x.missing).toBe('NOT_FOUND');
      expect(x.missingRange).toBe('NOT_FOUND');
      expect(x.stat).toEqual({ key: 'c', size: 3 });
      expect(x.statMissing).toBe(true);
      expect(x.all).toEqual(['a/1:4', 'a/10:3', 'b/2:3', 'c:3', `packs/ab/big:${(3 << 20) - 1}`]);
      expect(x.a).toEqual(['a/1', 'a/10']);
      expect(x.deleted).toBe('NOT_FOUND');
      expect(x.badKey).toBe('OPTION');
      expect(x.aborted).toBe('ABORTED');
      expect(x.notWritten).toBe(true);
      expect(r.first[`${loc}:repo`]).toEqual({ same: true, ok: true, problems: 0, wrong: 'AUTH' });
      expect(r.after[loc]).toEqual(['a/1', 'a/10', 'c', 'packs/ab/big']);
    }
  }, 120_000);
});
