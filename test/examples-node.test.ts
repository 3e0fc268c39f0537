// examples/node/backup.mjs, run as a user would (node, the built package): a round trip on a small tree with links,
// and a missing source that ends in one line with the error's code and status, never a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, linkSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'examples', 'node', 'backup.mjs');
const dir = mkdtempSync(join(tmpdir(), 'panini-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/node/backup.mjs', () => {
  it('backs up, proves and restores a tree with a symlink out of it and a hard link', () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'alpha\n'.repeat(500));
    linkSync(join(src, 'a.txt'), join(src, 'sub', 'same.txt'));
    symlinkSync('../../elsewhere', join(src, 'sub', 'out'));
    const work = join(dir, 'work');
    mkdirSync(work);
    const r = spawnSync(process.execPath, [EXAMPLE, src, work], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/validate-reconstruction: bit-perfect/);
    expect(readFileSync(join(work, 'restored', 'sub', 'same.txt'), 'utf8')).toBe('alpha\n'.repeat(500));
    expect(readlinkSync(join(work, 'restored', 'sub', 'out'))).toBe('../../elsewhere');
  });

  it('a missing source: one line with the code, the IO exit status (6), no stack trace', () => {
    const r = spawnSync(process.execPath, [EXAMPLE, join(dir, 'missing')], { encoding: 'utf8' });
    expect(r.status).toBe(6);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^backup: IO: cannot read .*missing/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
