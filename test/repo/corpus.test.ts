// Round trips on real trees: the corpus versions/ series backed up as successive snapshots of one path, each
// restored and compared file by file (SHA-256 from node:crypto, modes, mtimes, links).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStore, initRepository, openRepository, backup, restore, checkRepository } from '../../src/node.js';
import { corpusVersions, treeDigest } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'panini-repo-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('repository on the corpus versions series', () => {
  it('three versions as three snapshots of one path: each restores bit for bit, later ones store only new chunks', async () => {
    const versions = corpusVersions().slice(0, 3);
    const store = new LocalStore(join(tmp, 'repo'));
    const repo = await initRepository(store, { password: 'pw', kdf: { N: 1 << 12, r: 8, p: 1 }, tier: 'fast' });
    const live = join(tmp, 'tree');
    const digests: Map<string, string>[] = [];
    const ids: string[] = [];
    for (const v of versions) {
      rmSync(live, { recursive: true, force: true });
      cpSync(v, live, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      digests.push(treeDigest(live));
      const s = await backup(repo, [live], { host: 'corpus', tag: v.split('/').pop() });
      if (ids.length > 0) expect(s.summary.bytesNew).toBeLessThan(s.summary.bytes);
      ids.push(s.id);
    }
    const again = await openRepository(store, { password: 'pw' });
    for (let i = 0; i < ids.length; i++) {
      const out = join(tmp, `out${i}`);
      await restore(again, await again.findSnapshot(ids[i]!), out);
      const got = treeDigest(join(out, 'tree'));
      expect(got.size).toBe(digests[i]!.size);
      expect(got).toEqual(digests[i]);
      rmSync(out, { recursive: true, force: true });
    }
    expect((await checkRepository(again)).problems).toEqual([]);
  }, 600_000);
});
