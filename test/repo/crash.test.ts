// kill -9 during backup: a child process (the built CLI) backing up into a LocalStore is killed at random points;
// after each kill every committed snapshot restores bit for bit and check --read-data is green.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStore, initRepository, openRepository, restore, checkRepository } from '../../src/node.js';
import { treeDigest } from './fixtures.js';

const CLI = resolve(__dirname, '../../dist/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'panini-repo-kill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runBackup(repo: string, src: string, killAfterMs: number): Promise<'killed' | number> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, 'repo', 'backup', repo, src], { env: { ...process.env, PANINI_PASSWORD: 'pw' }, stdio: 'ignore' });
    let killed = false;
    const t = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, killAfterMs);
    child.on('error', rej);
    child.on('exit', (code) => {
      clearTimeout(t);
      res(killed ? 'killed' : (code ?? -1));
    });
  });
}

describe('repository crash safety', () => {
  it('kill -9 at random points during backups leaves every committed snapshot restorable and check green', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (this test runs the built CLI as the child process)`);
    const repoDir = join(tmp, 'repo');
    const store = new LocalStore(repoDir);
    await initRepository(store, { password: 'pw', kdf: { N: 1 << 10, r: 8, p: 1 }, tier: 'fast', packSize: 1 << 16 });
    const src = join(tmp, 'src');
    mkdirSync(src);
    const committed = new Map<string, Map<string, string>>(); // snapshot id → digest of the tree it holds
    let kills = 0;
    // how long one backup of a round's new files takes here, so the kills land inside backups on a fast machine too
    for (let i = 0; i < 6; i++) writeFileSync(join(src, `base-${i}.bin`), randomBytes(60_000 + Math.floor(Math.random() * 60_000)));
    const t0 = Date.now();
    expect(await runBackup(repoDir, src, 60_000)).toBe(0);
    const took = Date.now() - t0;
    for (const s of await (await openRepository(store, { password: 'pw' })).snapshots()) committed.set(s.id, treeDigest(src));
    for (let round = 0; round < 8; round++) {
      // new content each round, so every backup writes packs
      for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${round}-${i}.bin`), randomBytes(60_000 + Math.floor(Math.random() * 60_000)));
      const digest = treeDigest(src);
      const before = new Set((await (await openRepository(store, { password: 'pw' })).snapshots()).map((s) => s.id));
      // a random point of the backup: from the process start to 90 % of the measured time
      const r = await runBackup(repoDir, src, round === 7 ? 60_000 : Math.floor((0.05 + 0.85 * Math.random()) * took));
      if (r === 'killed') kills++;
      else expect(r).toBe(0);
      const repo = await openRepository(store, { password: 'pw' });
      for (const s of await repo.snapshots()) if (!before.has(s.id)) committed.set(s.id, digest);
      const report = await checkRepository(repo, { readData: true });
      expect(report.problems).toEqual([]);
      for (const [id, d] of committed) {
        const out = join(tmp, `r-${round}-${id.slice(0, 8)}`);
        await restore(repo, await repo.findSnapshot(id), out);
        expect(treeDigest(join(out, 'src'))).toEqual(d);
        rmSync(out, { recursive: true, force: true });
      }
      // a killed backup may leave a stale lock: remove locks as an operator would after a crash
      for await (const o of store.list('locks/')) await store.delete(o.key);
    }
    expect(kills).toBeGreaterThan(0);
    expect(committed.size).toBeGreaterThan(0);
  }, 240_000);
});
