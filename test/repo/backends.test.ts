// The repository on every real backend: a local directory, S3 (s3rver), Azure Blob (azurite) and a replicated
// repository over all three. The same life on each — init, two backups of a changing tree, restore of both, check
// --read-data, forget + prune, check again — compared with node:crypto's digests of the trees. The replicated one then
// loses one store entirely and has a pack altered in another: restores still work, `check --repair` copies every
// object back, and each store alone is a whole, checkable repository again. Last, the CLI with --replica.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureStore, LocalStore, ReplicatedStore, S3Store, backup, checkRepository, forget, initRepository, openRepository, prune, restore, type Store } from '../../src/node.js';
import { startAzurite, startS3rver, type TestServer } from '../store/servers.js';
import { treeDigest } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'panini-repo-backends-'));
const FAST = { N: 1 << 10, r: 8, p: 1 };
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CLI = resolve(__dirname, '../../dist/cli.js');
let s3: TestServer;
let az: TestServer;
let azureConn = '';
let n = 0;

beforeAll(async () => {
  [s3, az] = await Promise.all([startS3rver('repo'), startAzurite()]);
  azureConn = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=${az.url}/${ACCOUNT};`;
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.stop(), az?.stop()]);
  rmSync(tmp, { recursive: true, force: true });
});

const local = (): Store => new LocalStore(join(tmp, `local-${++n}`));
const s3Store = (): Store =>
  new S3Store({ location: `s3://repo/r${++n}-${randomBytes(3).toString('hex')}`, endpoint: s3.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
const azStore = (): Store => new AzureStore({ location: `azure://repo/r${++n}-${randomBytes(3).toString('hex')}`, connectionString: azureConn, createContainer: true });

/** A tree, then the same tree changed: one file edited, one added, one removed. */
function trees(): [string, string] {
  const a = join(tmp, `src-${++n}`, 'proj');
  mkdirSync(join(a, 'lib'), { recursive: true });
  writeFileSync(join(a, 'README.md'), 'a project\n'.repeat(2000));
  writeFileSync(join(a, 'lib', 'data.bin'), randomBytes(400_000));
  writeFileSync(join(a, 'lib', 'table.json'), JSON.stringify(Array.from({ length: 4000 }, (_, i) => ({ i, name: `row ${i}` }))));
  writeFileSync(join(a, 'old.txt'), 'to be removed\n'.repeat(300));
  const b = join(tmp, `src-${++n}`, 'proj');
  cpSync(a, b, { recursive: true });
  writeFileSync(join(b, 'README.md'), 'a project, edited\n'.repeat(2000));
  writeFileSync(join(b, 'lib', 'new.txt'), 'new file\n'.repeat(500));
  rmSync(join(b, 'old.txt'));
  return [a, b];
}

async function lifeOf(store: Store): Promise<void> {
  // one working copy that changes between the backups, as a project does
  const [a, b] = trees();
  const before = treeDigest(a);
  const repo = await initRepository(store, { password: 'pw-backends', kdf: FAST, tier: 'fast' });
  const s1 = await backup(repo, [a], { tag: 'one' });
  rmSync(a, { recursive: true });
  cpSync(b, a, { recursive: true });
  const after = treeDigest(a);
  const s2 = await backup(repo, [a], { tag: 'two' });
  expect(s2.parent).toBe(s1.id);
  expect(s2.summary.chunksNew).toBeLessThan(s1.summary.chunksNew); // the unchanged files' chunks are not stored again
  const again = await openRepository(store, { password: 'pw-backends' });
  for (const [s, want] of [[s1, before], [s2, after]] as const) {
    const out = join(tmp, `out-${++n}`);
    await restore(again, s, out);
    expect(treeDigest(join(out, 'proj'))).toEqual(want);
  }
  const c1 = await checkRepository(again, { readData: true });
  expect(c1.problems).toEqual([]);
  expect(c1).toMatchObject({ ok: true, snapshots: 2 });
  await forget(again, { last: 1 });
  await prune(again);
  const c2 = await checkRepository(again, { readData: true });
  expect(c2.problems).toEqual([]);
  expect(c2.snapshots).toBe(1);
  const out = join(tmp, `out-${++n}`);
  await restore(again, (await again.snapshots())[0]!, out);
  expect(treeDigest(join(out, 'proj'))).toEqual(after);
}

describe('repository on every backend', () => {
  it('a local directory', async () => lifeOf(local()), 60_000);
  it('S3 (s3rver)', async () => lifeOf(s3Store()), 60_000);
  it('Azure Blob (azurite)', async () => lifeOf(azStore()), 60_000);
  it('replicated over local + S3 + Azure (writes acknowledged by 2)', async () => lifeOf(new ReplicatedStore([local(), s3Store(), azStore()], { writeQuorum: 2 })), 90_000);

  it('replicated: one store lost, a pack altered in another — restores still work, check --repair makes every store whole', async () => {
    const stores = [local(), s3Store(), azStore()];
    const rep = new ReplicatedStore(stores, { writeQuorum: 3 });
    const [a] = trees();
    const repo = await initRepository(rep, { password: 'pw-rep', kdf: FAST, tier: 'fast' });
    const snap = await backup(repo, [a]);
    // lose the local store entirely, alter a pack in S3
    const keys: string[] = [];
    for await (const o of stores[0]!.list('')) keys.push(o.key);
    for (const k of keys) await stores[0]!.delete(k);
    const pack = keys.find((k) => k.startsWith('packs/'))!;
    const good = await stores[1]!.get(pack);
    const bad = Uint8Array.from(good);
    bad[bad.length >> 1]! ^= 0x01;
    await stores[1]!.put(pack, bad);
    // reads skip the altered copy (its bytes do not hash to its name) and the missing ones
    const r2 = await openRepository(new ReplicatedStore(stores, { writeQuorum: 3 }), { password: 'pw-rep' });
    const out = join(tmp, `out-${++n}`);
    await restore(r2, snap, out);
    expect(treeDigest(join(out, 'proj'))).toEqual(treeDigest(a));
    // the S3 store alone is damaged, the local one empty
    expect((await checkRepository(await openRepository(stores[1]!, { password: 'pw-rep' }), { readData: true })).ok).toBe(false);
    await expect(openRepository(stores[0]!, { password: 'pw-rep' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // repair: every object copied back where it was missing or bad
    const fixed = await checkRepository(r2, { readData: true, repair: true });
    expect(fixed.problems).toEqual([]);
    expect(fixed.repaired!.length).toBeGreaterThanOrEqual(keys.filter((k) => !k.startsWith('locks/')).length);
    expect(fixed.repaired!.find((x) => x.key === pack)!.copiedTo.sort()).toEqual([stores[0]!.location, stores[1]!.location].sort());
    for (const st of stores) {
      const alone = await openRepository(st, { password: 'pw-rep' });
      const c = await checkRepository(alone, { readData: true });
      expect(c.problems, st.location).toEqual([]);
      const o = join(tmp, `out-${++n}`);
      await restore(alone, snap, o);
      expect(treeDigest(join(o, 'proj'))).toEqual(treeDigest(a));
    }
    // repair needs copies to repair from
    await expect(checkRepository(await openRepository(stores[0]!, { password: 'pw-rep' }), { repair: true })).rejects.toMatchObject({ code: 'OPTION' });
    await rep.close();
  }, 90_000);

  it('the CLI: repo init/backup/check --repair with --replica and --quorum', () => {
    const [a] = trees();
    const r1 = join(tmp, `cli-${++n}`);
    const r2 = join(tmp, `cli-${++n}`);
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'repo', ...args], { env: { ...process.env, PANINI_PASSWORD: 'pw-cli-rep' }, encoding: 'utf8' });
    expect(run('init', r1, '--replica', r2, '--tier', 'fast').status).toBe(0);
    const b = run('backup', r1, a, '--replica', r2, '--quorum', '2', '--json');
    expect(b.status, b.stderr).toBe(0);
    // both directories hold the whole repository
    for (const r of [r1, r2]) expect(run('check', r, '--read-data').status, r).toBe(0);
    rmSync(join(r2, 'snapshots'), { recursive: true, force: true });
    expect(run('check', r2).stdout).toMatch(/0 snapshots/);
    const fix = run('check', r1, '--replica', r2, '--repair');
    expect(fix.status, fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/^repaired: snapshots\/[0-9a-f]{64} copied to local:/m);
    expect(run('snapshots', r2, '--json').stdout).toBe(run('snapshots', r1, '--json').stdout);
    expect(run('check', r1, '--repair').status).toBe(2); // OPTION: no replicas to repair from
    expect(run('check', r1, '--quorum', '1').status).toBe(2);
  }, 90_000);
});
