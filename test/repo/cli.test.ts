// The built CLI's repo commands: init, backup with --exclude, snapshots --json, restore, check, wrong password exit 11.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { treeDigest } from './fixtures.js';

const CLI = resolve(__dirname, '../../dist/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'panini-repo-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], password = 'pw') {
  const r = spawnSync(process.execPath, [CLI, 'repo', ...args], { env: { ...process.env, PANINI_PASSWORD: password }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('panini-fs repo', () => {
  it('init, backup --exclude, snapshots --json, ls, restore, check; wrong password exits 11', () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const repo = join(tmp, 'repo');
    const src = join(tmp, 'data');
    mkdirSync(join(src, 'skip'), { recursive: true });
    writeFileSync(join(src, 'keep.txt'), 'keep me\n'.repeat(500));
    writeFileSync(join(src, 'skip/x.log'), 'noise');
    writeFileSync(join(src, 'also.log'), 'noise');
    expect(cli(['init', repo, '--tier', 'fast']).code).toBe(0);
    const b = cli(['backup', repo, src, '--tag', 'nightly', '--host', 'box', '--exclude', 'skip', '--exclude', '*.log', '--json']);
    expect(b.code, b.err).toBe(0);
    const snap = JSON.parse(b.out);
    const list = cli(['snapshots', repo, '--json']);
    const arr = JSON.parse(list.out);
    expect(arr).toHaveLength(1);
    expect(arr[0]).toMatchObject({ id: snap.id, host: 'box', tags: ['nightly'], paths: [src], parent: null });
    expect(cli(['ls', repo, snap.id.slice(0, 6)]).out).not.toContain('.log');
    const out = join(tmp, 'out');
    expect(cli(['restore', repo, 'latest', '--target', out]).code).toBe(0);
    rmSync(join(src, 'skip'), { recursive: true });
    rmSync(join(src, 'also.log'));
    expect(treeDigest(join(out, 'data'))).toEqual(treeDigest(src));
    expect(cli(['check', repo, '--read-data']).code).toBe(0);
    const bad = cli(['snapshots', repo], 'nope');
    expect(bad.code).toBe(11);
    expect(bad.err).toContain('wrong password');
  });
});
