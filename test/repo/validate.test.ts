// validate-reconstruction against a repository: a snapshot compared file by file with the original on disk (API and
// CLI), and every kind of difference reported with its path — checked against changes made here on purpose.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore, backup, initRepository, isPaniniError, validateSnapshot } from '../../src/node.js';
import { EXIT_STATUS } from '../../src/errors.js';
import { prngBytes } from '../helpers/prng.mjs';
import { tempDirs } from '../helpers/tmp.js';

const fresh = tempDirs();
const CLI = resolve(__dirname, '../../dist/cli.js');

function project(): string {
  const root = join(fresh('panini-repo-val-'), 'proj');
  mkdirSync(join(root, 'src', 'deep'), { recursive: true });
  writeFileSync(join(root, 'README.md'), 'a project\n'.repeat(400));
  writeFileSync(join(root, 'src', 'data.bin'), prngBytes(5, 300_000));
  writeFileSync(join(root, 'src', 'deep', 'notes.txt'), 'notes '.repeat(50_000));
  writeFileSync(join(root, 'empty'), '');
  symlinkSync('README.md', join(root, 'link'));
  return root;
}

describe('validateSnapshot', () => {
  it('proves an unchanged tree bit-perfect and names every difference: content, size, missing, extra, type, link', async () => {
    const root = project();
    const repo = await initRepository(new MemoryStore('val'), { password: 'pw-validate' });
    const snap = await backup(repo, [root]);
    const ok = await validateSnapshot(repo, snap, root);
    expect(ok.problems).toEqual([]);
    expect(ok).toMatchObject({ ok: true, path: 'proj', files: 4, bytes: 4000 + 300_000 + 300_000 });
    expect(ok.chunks).toBeGreaterThanOrEqual(3);

    // one byte changed in place (same size): the first difference, with its offset
    const bin = join(root, 'src', 'data.bin');
    const good = readFileSync(bin);
    const bad = Buffer.from(good);
    bad[123_456] = bad[123_456]! ^ 1;
    writeFileSync(bin, bad);
    let r = await validateSnapshot(repo, snap, root);
    expect(r.ok).toBe(false);
    expect(r.firstDifference).toEqual({ path: 'proj/src/data.bin', offset: 123_456 });
    writeFileSync(bin, good);
    // size, missing, extra, type, link target
    appendFileSync(join(root, 'README.md'), 'more');
    rmSync(join(root, 'src', 'deep', 'notes.txt'));
    writeFileSync(join(root, 'new.txt'), 'new');
    rmSync(join(root, 'empty'));
    mkdirSync(join(root, 'empty'));
    rmSync(join(root, 'link'));
    symlinkSync('elsewhere', join(root, 'link'));
    r = await validateSnapshot(repo, snap, root);
    expect(r.ok).toBe(false);
    const text = r.problems.join('\n');
    expect(text).toMatch(/proj\/README\.md: 4000 bytes in the snapshot, 4004 in the original/);
    expect(text).toMatch(/proj\/src\/deep\/notes\.txt: in the snapshot, missing from the original/);
    expect(text).toMatch(/proj\/new\.txt: in the original, not in the snapshot/);
    expect(text).toMatch(/proj\/empty: a file in the snapshot, a dir in the original/);
    expect(text).toMatch(/proj\/link: link target differs/);
    expect(r.problems).toHaveLength(5);
  });

  it('a single file, and a snapshot of several paths needs the path named', async () => {
    const a = project();
    const other = join(fresh('panini-repo-val2-'), 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'x.txt'), 'x'.repeat(10_000));
    const repo = await initRepository(new MemoryStore('val2'), { encryption: 'none' });
    const two = await backup(repo, [a, other]);
    const e = await validateSnapshot(repo, two, a).then(() => undefined, (x: unknown) => x);
    expect(isPaniniError(e) && e.code).toBe('OPTION');
    expect((await validateSnapshot(repo, two, other, { path: 'other' })).ok).toBe(true);
    expect((await validateSnapshot(repo, two, a, { path: 'proj' })).ok).toBe(true);
    expect((await validateSnapshot(repo, two, a, { path: 'other' })).ok).toBe(false);
    await expect(validateSnapshot(repo, two, a, { path: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const file = join(a, 'README.md');
    const one = await backup(repo, [file]);
    expect(await validateSnapshot(repo, one, file)).toMatchObject({ ok: true, files: 1, bytes: 4000, path: 'README.md' });
    expect((await validateSnapshot(repo, one, a)).problems.join()).toMatch(/not a file/);
  });

  it('the CLI: validate-reconstruction --compressed REPO exits 0, 1 on a difference, 11 on a wrong password', () => {
    const root = project();
    const repo = join(fresh('panini-repo-val-cli-'), 'repo');
    const run = (args: string[], password = 'pw-cli') => spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, PANINI_PASSWORD: password }, encoding: 'utf8' });
    expect(run(['repo', 'init', repo]).status).toBe(0);
    expect(run(['repo', 'backup', repo, root]).status).toBe(0);
    const ok = run(['validate-reconstruction', '--original', root, '--compressed', repo]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^BIT-PERFECT: .* vs snapshot [0-9a-f]{8} \(proj\)/);
    writeFileSync(join(root, 'README.md'), 'changed');
    const bad = run(['validate-reconstruction', '--original', root, '--compressed', repo, '--snapshot', 'latest', '--json']);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, path: 'proj' });
    expect(run(['validate-reconstruction', '--original', root, '--compressed', repo], 'wrong').status).toBe(EXIT_STATUS.AUTH);
    expect(run(['validate-reconstruction', '--original', root, '--compressed', repo, '--recipe', 'r']).status).toBe(EXIT_STATUS.OPTION);
  });
});
