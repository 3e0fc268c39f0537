import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, initRepository, openRepository, backup, restore, checkRepository, isPaniniError, type Repository } from '../../src/node.js';
import { treeDigest } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'panini-repo-int-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FAST = { N: 1 << 10, r: 8, p: 1 };

function sample(dir: string, seed: string): void {
  mkdirSync(join(dir, 'd'), { recursive: true });
  writeFileSync(join(dir, 'x.txt'), `${seed}\n`.repeat(20000));
  writeFileSync(join(dir, 'd/y.bin'), randomBytes(150_000));
}

async function err(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isPaniniError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: 'none', message: '' };
}

async function keys(store: MemoryStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

async function twoSnapshots(): Promise<{ store: MemoryStore; repo: Repository; ids: string[]; second: string }> {
  const store = new MemoryStore();
  const repo = await initRepository(store, { password: 'pw', kdf: FAST, tier: 'fast', packSize: 1 << 16 });
  const a = join(tmp, `a${Math.random()}`);
  sample(a, 'one');
  const s1 = await backup(repo, [a]);
  writeFileSync(join(a, 'new.txt'), randomBytes(100_000));
  const s2 = await backup(repo, [a]);
  return { store, repo, ids: [s1.id, s2.id].sort(), second: s2.id };
}

describe('repository integrity', () => {
  it('a flipped byte in a pack: check --read-data names the pack and the snapshots it affects', async () => {
    const { store, repo, ids } = await twoSnapshots();
    // the pack holding x.txt's chunks: both snapshots use it
    const snap = await repo.findSnapshot(ids[0]!);
    const node = (await repo.loadTree(snap)).find((n) => n.path.endsWith('/x.txt'))!;
    const pack = repo.index.get(node.chunks![0]!)!.pack;
    const key = `packs/${pack.slice(0, 2)}/${pack}`;
    const bytes = await store.get(key);
    bytes[Math.floor(bytes.length / 2)]! ^= 1;
    await store.put(key, bytes);
    const fresh = await openRepository(store, { password: 'pw' });
    expect((await checkRepository(fresh)).ok).toBe(true); // structure alone does not read packs
    const r = await checkRepository(fresh, { readData: true });
    expect(r.ok).toBe(false);
    expect(r.problems.length).toBe(1);
    expect(r.problems[0]!.object).toBe(key);
    expect(r.problems[0]!.snapshots).toEqual(ids);
    // restore fails typed, naming the object
    const e = await err(restore(fresh, snap, join(tmp, `r${Math.random()}`)));
    expect(e.code).toBe('CHECKSUM');
    expect(e.message).toContain(key);
  });

  it('a missing pack: check names it and the affected snapshots; restore fails NOT_FOUND', async () => {
    const { store, repo, ids, second } = await twoSnapshots();
    const s2 = await repo.findSnapshot(second);
    const tree = await repo.loadTree(s2);
    const newer = tree.find((n) => n.path.endsWith('/new.txt'))!;
    const pack = repo.index.get(newer.chunks![0]!)!.pack;
    const key = `packs/${pack.slice(0, 2)}/${pack}`;
    await store.delete(key);
    const r = await checkRepository(await openRepository(store, { password: 'pw' }));
    expect(r.problems.map((p) => p.object)).toContain(key);
    const p = r.problems.find((x) => x.object === key)!;
    expect(p.message).toContain('missing');
    expect(p.snapshots.length).toBeGreaterThan(0);
    expect(p.snapshots.every((s) => ids.includes(s))).toBe(true);
    expect(p.snapshots).toContain(s2.id);
    expect((await err(restore(repo, s2, join(tmp, `r${Math.random()}`)))).code).toBe('NOT_FOUND');
  });

  it('a flipped byte in a snapshot object and in an index object are named', async () => {
    const { store, ids } = await twoSnapshots();
    const sk = `snapshots/${ids[0]}`;
    const b = await store.get(sk);
    b[20]! ^= 0x40;
    await store.put(sk, b);
    const r = await checkRepository(await openRepository(store, { password: 'pw' }));
    expect(r.problems.map((p) => p.object)).toEqual([sk]);
    expect(r.problems[0]!.snapshots).toEqual([ids[0]]);
    const [ik] = await keys(store, 'index/');
    const ib = await store.get(ik!);
    ib[ib.length - 1]! ^= 1;
    await store.put(ik!, ib);
    const e = await err(openRepository(store, { password: 'pw' }));
    expect(e.code).toBe('CHECKSUM');
    expect(e.message).toContain(ik!);
  });

  it('a hostile repository: `..` paths, paths under a symlink, repeated paths, huge sizes, bad config give typed errors', async () => {
    const store = new MemoryStore();
    const repo = await initRepository(store, { encryption: 'none', tier: 'fast' });
    const { storeTree, writeSnapshot } = await import('../../src/repo/repository.js');
    const sum = { files: 0, dirs: 0, symlinks: 0, bytes: 0, filesRead: 0, bytesRead: 0, chunksNew: 0, bytesNew: 0 };
    const forge = async (nodes: unknown[]) => {
      const w = repo.writer();
      const tree = await storeTree(repo, w, nodes as never);
      await w.finish();
      return writeSnapshot(repo, { time: new Date().toISOString(), host: 'h', tags: [], paths: ['/x'], parent: null, tree, summary: sum });
    };
    const dir = { type: 'dir', mode: 0o755, mtime: 0, size: 0 };
    const target = join(tmp, `hostile${Math.random()}`);
    const cases: [unknown[], string][] = [
      [[{ ...dir, path: 'x' }, { ...dir, path: 'x/../../etc' }], 'PATH'],
      [[{ ...dir, path: '/abs' }], 'PATH'],
      [[{ ...dir, path: 'x' }, { path: 'x/l', type: 'symlink', mode: 0o777, mtime: 0, size: 0, target: '/etc' }, { ...dir, path: 'x/l/passwd' }], 'FORMAT'],
      [[{ ...dir, path: 'x' }, { ...dir, path: 'x' }], 'FORMAT'],
      [[{ ...dir, path: 'x' }, { path: 'x/f', type: 'file', mode: 0o644, mtime: 0, size: 2 ** 52, sha256: '0'.repeat(64), chunks: ['0'.repeat(64)] }], 'LIMIT'],
    ];
    for (const [nodes, code] of cases) {
      const s = await forge(nodes);
      expect((await err(restore(repo, s, target))).code, JSON.stringify(nodes)).toBe(code);
    }
    // a link that points out of the target is restored as stored (as tar and restic do): nothing is written through it
    const out = await forge([{ ...dir, path: 'x' }, { path: 'x/l', type: 'symlink', mode: 0o777, mtime: 0, size: 0, target: '../../../etc' }]);
    const linkTarget = join(tmp, `links${Math.random()}`);
    await restore(repo, out, linkTarget);
    expect(await fsp.readlink(join(linkTarget, 'x', 'l'))).toBe('../../../etc');
    // a config with an impossible version, and one downgraded to no encryption next to keys
    const bad = new MemoryStore();
    await bad.put('config', new TextEncoder().encode('{"version":99}'));
    expect((await err(openRepository(bad))).code).toBe('UNSUPPORTED');
    const enc = new MemoryStore();
    await initRepository(enc, { password: 'pw', kdf: FAST });
    const cfg = JSON.parse(new TextDecoder().decode(await enc.get('config')));
    await enc.put('config', new TextEncoder().encode(JSON.stringify({ ...cfg, encryption: 'none', chunkId: 'sha256' })));
    expect((await err(openRepository(enc))).code).toBe('FORMAT');
    // a key object with a stalling scrypt cost
    const kk = (await keys(enc, 'keys/'))[0]!;
    const ko = JSON.parse(new TextDecoder().decode(await enc.get(kk)));
    await enc.put(kk, new TextEncoder().encode(JSON.stringify({ ...ko, N: 2 ** 30 })));
    await enc.put('config', new TextEncoder().encode(JSON.stringify(cfg)));
    expect((await err(openRepository(enc, { password: 'pw' }))).code).toBe('FORMAT');
  });

  it('hard links: their names are restored as links of one inode again; read once; a filtered restore gets a plain file', async () => {
    const store = new MemoryStore();
    const repo = await initRepository(store, { encryption: 'none', tier: 'fast', packSize: 1 << 16 });
    const src = join(tmp, `hl${Math.random()}`);
    mkdirSync(join(src, 'a'), { recursive: true });
    mkdirSync(join(src, 'b'), { recursive: true });
    const body = randomBytes(200_000);
    writeFileSync(join(src, 'a', 'one.bin'), body);
    await fsp.link(join(src, 'a', 'one.bin'), join(src, 'b', 'two.bin'));
    await fsp.link(join(src, 'a', 'one.bin'), join(src, 'three.bin'));
    writeFileSync(join(src, 'plain.bin'), body); // same bytes, its own inode: stays its own file
    const s = await backup(repo, [src]);
    expect(s.summary.filesRead).toBe(2); // one read per inode
    const nodes = await repo.loadTree(s);
    const files = nodes.filter((n) => n.type === 'file');
    expect(files.filter((n) => n.links === 3)).toHaveLength(3);
    expect(files.find((n) => n.path.endsWith('plain.bin'))!.links).toBeUndefined();
    const out = join(tmp, `hl-out${Math.random()}`);
    const r = await restore(repo, s, out);
    expect(r.hardLinks).toBe(2);
    expect(r.files).toBe(4);
    const root = join(out, src.split('/').pop()!);
    const st = await Promise.all(['a/one.bin', 'b/two.bin', 'three.bin', 'plain.bin'].map((p) => fsp.stat(join(root, p))));
    expect(new Set(st.slice(0, 3).map((x) => x.ino)).size).toBe(1);
    expect(st[0]!.nlink).toBe(3);
    expect(st[3]!.ino).not.toBe(st[0]!.ino);
    expect(st[3]!.nlink).toBe(1);
    expect(treeDigest(root)).toEqual(treeDigest(src));
    // only one of the names: a file of its own
    const part = join(tmp, `hl-part${Math.random()}`);
    const rp = await restore(repo, s, part, { include: [`${src.split('/').pop()}/b`] });
    expect(rp.hardLinks).toBe(0);
    const only = await fsp.stat(join(part, src.split('/').pop()!, 'b', 'two.bin'));
    expect(only.nlink).toBe(1);
    // a tree whose link count is not a number ≥ 2, or sits on a directory: FORMAT
    const { storeTree, writeSnapshot } = await import('../../src/repo/repository.js');
    const sum = { files: 0, dirs: 0, symlinks: 0, bytes: 0, filesRead: 0, bytesRead: 0, chunksNew: 0, bytesNew: 0 };
    for (const bad of [{ path: 'x', type: 'dir', mode: 0o755, mtime: 0, size: 0, links: 2 }, { path: 'x', type: 'file', mode: 0o644, mtime: 0, size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', chunks: [], links: 1 }]) {
      const w = repo.writer();
      const tree = await storeTree(repo, w, [bad] as never);
      await w.finish();
      const forged = await writeSnapshot(repo, { time: new Date().toISOString(), host: 'h', tags: [], paths: ['/x'], parent: null, tree, summary: sum });
      expect((await err(restore(repo, forged, join(tmp, `hl-bad${Math.random()}`)))).code).toBe('FORMAT');
    }
  });

  it('two concurrent writers: both snapshots commit and restore; check is green', async () => {
    const store = new MemoryStore();
    const r1 = await initRepository(store, { password: 'pw', kdf: FAST, tier: 'fast', packSize: 1 << 16 });
    const r2 = await openRepository(store, { password: 'pw' });
    const a = join(tmp, 'cw-a');
    const b = join(tmp, 'cw-b');
    sample(a, 'alpha');
    sample(b, 'beta');
    writeFileSync(join(b, 'shared.bin'), randomBytes(1));
    const [sa, sb] = await Promise.all([backup(r1, [a], { host: 'one' }), backup(r2, [b], { host: 'two' })]);
    const r3 = await openRepository(store, { password: 'pw' });
    expect((await r3.snapshots()).map((s) => s.id).sort()).toEqual([sa.id, sb.id].sort());
    await restore(r3, sa, join(tmp, 'cw-ra'));
    await restore(r3, sb, join(tmp, 'cw-rb'));
    expect(treeDigest(join(tmp, 'cw-ra', 'cw-a'))).toEqual(treeDigest(a));
    expect(treeDigest(join(tmp, 'cw-rb', 'cw-b'))).toEqual(treeDigest(b));
    expect((await checkRepository(r3, { readData: true })).problems).toEqual([]);
    // prune refuses while a backup holds its lock
    const held = await r1.lock(false, 'backup', 'one', 1);
    const { prune } = await import('../../src/node.js');
    expect((await err(prune(r3))).code).toBe('STATE');
    await held.release();
    await prune(r3);
  });
});
