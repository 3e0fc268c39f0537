import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, LocalStore, initRepository, openRepository, backup, restore, checkRepository, diffSnapshots, forget, prune, copySnapshots, isPaniniError } from '../../src/node.js';
import { treeDigest } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'panini-repo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FAST = { N: 1 << 10, r: 8, p: 1 };

function sample(dir: string): void {
  mkdirSync(join(dir, 'sub/deep'), { recursive: true });
  writeFileSync(join(dir, 'a.txt'), 'hello world\n'.repeat(1000));
  writeFileSync(join(dir, 'sub/b.bin'), randomBytes(300_000));
  writeFileSync(join(dir, 'sub/deep/c.json'), JSON.stringify({ x: [...Array(5000).keys()] }));
  writeFileSync(join(dir, 'empty'), '');
  symlinkSync('a.txt', join(dir, 'link'));
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isPaniniError(e)) return e.code;
    throw e;
  }
  return 'none';
}

describe('repository', () => {
  it('backs up and restores a tree bit for bit (MemoryStore), incrementally', async () => {
    const src = join(tmp, 't1');
    sample(src);
    utimesSync(join(src, 'a.txt'), 1_700_000_000, 1_700_000_000); // whole seconds: utimes below can restore it exactly
    const store = new MemoryStore();
    const repo = await initRepository(store, { password: 'pw', tier: 'fast', kdf: FAST });
    const s1 = await backup(repo, [src], { host: 'h', tag: 'one' });
    expect(s1.summary.filesRead).toBe(4);
    const out = join(tmp, 'r1');
    await restore(repo, s1, out);
    expect(treeDigest(join(out, 't1'))).toEqual(treeDigest(src));
    // second backup of the unchanged tree reads no file; proof: change a file's bytes, keep size, mtime and inode
    const st = statSync(join(src, 'a.txt'));
    writeFileSync(join(src, 'a.txt'), 'HELLO WORLD\n'.repeat(1000));
    utimesSync(join(src, 'a.txt'), st.atime, st.mtime);
    const s2 = await backup(repo, [src], { host: 'h' });
    expect(s2.parent).toBe(s1.id);
    expect(s2.summary.filesRead).toBe(0);
    expect(s2.summary.bytesRead).toBe(0);
    const out2 = join(tmp, 'r2');
    const again = await openRepository(store, { password: 'pw' });
    await restore(again, await again.findSnapshot(s2.id.slice(0, 8)), out2);
    expect(treeDigest(join(out2, 't1')).get('a.txt')).toBe(treeDigest(join(out, 't1')).get('a.txt'));
    // a real change is picked up
    writeFileSync(join(src, 'a.txt'), 'changed\n');
    const s3 = await backup(again, [src], { host: 'h' });
    expect(s3.summary.filesRead).toBe(1);
    const d = await diffSnapshots(again, s2, s3);
    expect(d.modified).toEqual(['t1/a.txt']);
    expect((await checkRepository(again, { readData: true })).problems).toEqual([]);
  });

  it('wrong password is AUTH and writes nothing; unencrypted mode works', async () => {
    const store = new MemoryStore();
    await initRepository(store, { password: 'right', kdf: FAST, tier: 'fast' });
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    expect(await code(openRepository(store, { password: 'wrong' }))).toBe('AUTH');
    const after: string[] = [];
    for await (const o of store.list('')) after.push(o.key);
    expect(after).toEqual(keys);
    const plain = new MemoryStore();
    const r = await initRepository(plain, { encryption: 'none', tier: 'fast' });
    const src = join(tmp, 't2');
    sample(src);
    const s = await backup(r, [src]);
    await restore(await openRepository(plain), s, join(tmp, 'r3'));
    expect(treeDigest(join(tmp, 'r3', 't2'))).toEqual(treeDigest(src));
  });

  it('packs coded by 1 or 3 worker threads are the same bytes (unencrypted: the same pack ids)', async () => {
    const src = join(tmp, 'workers-src');
    sample(src);
    writeFileSync(join(src, 'big.txt'), Array.from({ length: 120_000 }, (_, i) => `line ${i % 977} of a longer file\n`).join(''));
    const packsOf = async (workers: number) => {
      const store = new MemoryStore();
      const r = await initRepository(store, { encryption: 'none', tier: 'fast', packSize: 1 << 20 });
      await backup(r, [src], { workers, time: new Date(0) });
      const keys: string[] = [];
      for await (const o of store.list('packs/')) keys.push(o.key);
      return keys;
    };
    const one = await packsOf(1);
    expect(one.length).toBeGreaterThan(1);
    expect(await packsOf(3)).toEqual(one);
  });

  it('keys: add, open with the new one, remove the old one', async () => {
    const store = new MemoryStore();
    const r = await initRepository(store, { password: 'a', kdf: FAST, tier: 'fast' });
    await r.addKey({ password: 'b' }, FAST);
    const rb = await openRepository(store, { password: 'b' });
    expect((await rb.listKeys()).length).toBe(2);
    expect(await code(rb.removeKey(rb.keyId!))).toBe('STATE');
    await rb.removeKey(r.keyId!);
    expect(await code(openRepository(store, { password: 'a' }))).toBe('AUTH');
  });

  it('forget + prune drop data, keep the rest restorable; copy re-encrypts (LocalStore)', async () => {
    const store = new LocalStore(join(tmp, 'repo-local'));
    const r = await initRepository(store, { password: 'pw', kdf: FAST, tier: 'fast', packSize: 1 << 16 });
    const src = join(tmp, 't4');
    sample(src);
    const s1 = await backup(r, [src], { time: new Date('2026-01-01T00:00:00Z') });
    writeFileSync(join(src, 'sub/b.bin'), randomBytes(200_000));
    const s2 = await backup(r, [src], { time: new Date('2026-01-02T00:00:00Z') });
    const f = await forget(r, { last: 1 });
    expect(f.remove.map((s) => s.id)).toEqual([s1.id]);
    const p = await prune(r);
    expect(p.bytesFreed).toBeGreaterThan(200_000);
    expect((await checkRepository(r, { readData: true })).problems).toEqual([]);
    await restore(r, s2, join(tmp, 'r4'));
    expect(treeDigest(join(tmp, 'r4', 't4'))).toEqual(treeDigest(src));
    const dst = await initRepository(new MemoryStore(), { password: 'other', kdf: FAST, tier: 'fast' });
    const c = await copySnapshots(r, dst);
    expect(c.copied.length).toBe(1);
    expect((await copySnapshots(r, dst)).skipped).toEqual([s2.id]);
    await restore(dst, c.copied[0]!, join(tmp, 'r5'));
    expect(treeDigest(join(tmp, 'r5', 't4'))).toEqual(treeDigest(src));
  });

  it('restore --include restores only the given subtree; forget keeps daily/weekly/monthly', async () => {
    const src = join(tmp, 't6');
    sample(src);
    const store = new MemoryStore();
    const r = await initRepository(store, { encryption: 'none', tier: 'fast' });
    const times = ['2026-01-05T10:00:00Z', '2026-01-05T12:00:00Z', '2026-01-06T09:00:00Z', '2026-01-13T09:00:00Z', '2026-02-20T09:00:00Z'];
    const snaps = [];
    for (const t of times) snaps.push(await backup(r, [src], { time: new Date(t), host: 'h' }));
    const out = join(tmp, 'r6');
    await restore(r, snaps[4]!, out, { include: ['t6/sub/deep'] });
    const got = treeDigest(join(out, 't6'));
    expect([...got.keys()].sort()).toEqual(['sub', 'sub/deep', 'sub/deep/c.json']);
    expect(got.get('sub/deep/c.json')).toBe(treeDigest(src).get('sub/deep/c.json'));
    const daily = await forget(r, { daily: 2, dryRun: true });
    expect(daily.keep.map((s) => s.time).sort()).toEqual(['2026-01-13T09:00:00.000Z', '2026-02-20T09:00:00.000Z']);
    const mixed = await forget(r, { last: 1, weekly: 3, monthly: 2 });
    // weeks: 2026-W08 (02-20), W03 (01-13), W02 (01-06 newest of the week of 01-05 and 01-06); months: 02, 01 (01-13)
    expect(mixed.keep.map((s) => s.time).sort()).toEqual(['2026-01-06T09:00:00.000Z', '2026-01-13T09:00:00.000Z', '2026-02-20T09:00:00.000Z']);
    expect((await r.snapshots()).length).toBe(3);
  });
});
