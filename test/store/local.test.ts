import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStore, MemoryStore, openStore, isPaniniError } from '../../src/node.js';
import { storeConformance } from './conformance.js';

const roots: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'panini-store-'));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

storeConformance('memory', async () => new MemoryStore());
storeConformance('local directory', async () => new LocalStore(freshDir()), { bigObject: 40 << 20 });
storeConformance('openStore(path)', async () => openStore(freshDir()));

describe('local store on disk', () => {
  it('stores each key as a file under the root, and keeps temporary files out of list', async () => {
    const root = freshDir();
    const s = new LocalStore(root);
    const data = randomBytes(1234);
    await s.put('packs/0a/0abc', data);
    const onDisk = join(root, 'packs', '0a', '0abc');
    expect(statSync(onDisk).size).toBe(1234);
    mkdirSync(join(root, '.tmp'), { recursive: true });
    writeFileSync(join(root, '.tmp', 'stale.part'), 'x');
    const listed: string[] = [];
    for await (const i of s.list('')) listed.push(i.key);
    expect(listed).toEqual(['packs/0a/0abc']);
  });

  it('sweepTemporary removes only old temporary files', async () => {
    const root = freshDir();
    const s = new LocalStore(root);
    mkdirSync(join(root, '.tmp'));
    writeFileSync(join(root, '.tmp', 'old.part'), 'x');
    writeFileSync(join(root, '.tmp', 'new.part'), 'y');
    const past = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(root, '.tmp', 'old.part'), past, past);
    expect(await s.sweepTemporary()).toBe(1);
    expect(readdirSync(join(root, '.tmp'))).toEqual(['new.part']);
  });

  it('a writer killed with SIGKILL in the middle of puts leaves only whole objects', async () => {
    const root = freshDir();
    // The child writes objects of known content (bytes derived from the key) as fast as it can; it is killed at a
    // moment the test does not control. Every object present afterwards must be complete and correct.
    const script = `
      import { LocalStore } from ${JSON.stringify(new URL('../../dist/node.js', import.meta.url).href)};
      import { createHash } from 'node:crypto';
      const s = new LocalStore(${JSON.stringify(root)});
      const body = (i) => { const h = createHash('sha256').update(String(i)).digest(); const b = Buffer.alloc(200000 + (i % 7) * 50000); for (let j = 0; j < b.length; j += 32) h.copy(b, j); return b; };
      for (let i = 0; ; i++) { await s.put('obj/' + i, body(i)); if (i === 2) process.stdout.write('go\\n'); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', () => res());
      child.on('exit', (c) => rej(new Error(`writer exited early with ${c}`)));
    });
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const s = new LocalStore(root);
    let n = 0;
    for await (const { key, size } of s.list('obj/')) {
      const i = Number(key.slice(4));
      const h = createHash('sha256').update(String(i)).digest();
      const expected = Buffer.alloc(200000 + (i % 7) * 50000);
      for (let j = 0; j < expected.length; j += 32) h.copy(expected, j);
      expect(size).toBe(expected.length);
      expect(Buffer.from(await s.get(key)).equals(expected)).toBe(true);
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(3);
  });

  it('names the store and the key in errors', async () => {
    const root = freshDir();
    const s = new LocalStore(root);
    try {
      await s.get('no/such');
      expect.unreachable();
    } catch (e) {
      expect(isPaniniError(e) && e.code).toBe('NOT_FOUND');
      expect((e as Error).message).toContain(root);
      expect((e as Error).message).toContain('no/such');
    }
    // A file where a directory is needed: put must fail with STORE, not crash.
    writeFileSync(join(root, 'blocker'), 'x');
    try {
      await s.put('blocker/child', new Uint8Array(1));
      expect.unreachable();
    } catch (e) {
      expect(isPaniniError(e) && e.code).toBe('STORE');
      expect((e as Error).message).toContain('blocker/child');
    }
    expect(existsSync(join(root, '.tmp')) ? readdirSync(join(root, '.tmp')) : []).toEqual([]);
  });

  it('openStore: file:// and memory:, unknown schemes are OPTION', async () => {
    const root = freshDir();
    const s = await openStore(`file://${root}`);
    await s.put('a', new Uint8Array([7]));
    expect(existsSync(join(root, 'a'))).toBe(true);
    expect((await openStore('memory:x')).location).toBe('memory:x');
    await expect(openStore('gopher://x/y')).rejects.toMatchObject({ code: 'OPTION' });
    await expect(openStore('')).rejects.toMatchObject({ code: 'OPTION' });
  });
});
