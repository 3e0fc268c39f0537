// The built CLI's repo commands: init, backup with --exclude, snapshots --json, restore, check, wrong password exit 11.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { treeDigest } from './fixtures.js';
import { LocalStore, openRepository } from '../../src/node.js';
import { EXIT_STATUS } from '../../src/errors.js';

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

  it('unlock removes stale locks, --all every lock; a held lock blocks prune until then', async () => {
    const repoDir = join(tmp, 'locked');
    expect(cli(['init', repoDir, '--tier', 'fast']).code).toBe(0);
    const repo = await openRepository(new LocalStore(repoDir), { password: 'pw' });
    // a live lock of a process that went away (never released), and one 31 minutes old
    await repo.lock(false, 'backup', 'gone-host', 4242);
    await repo.putObject((id) => `locks/${id}`, new TextEncoder().encode(JSON.stringify({ time: Date.now() - 31 * 60_000, host: 'old-host', pid: 1, exclusive: true, operation: 'prune' })), 'lock');
    const held = cli(['prune', repoDir]);
    expect(held.code).toBe(EXIT_STATUS.STATE);
    expect(held.err).toMatch(/locked by backup on gone-host \(pid 4242/);
    const stale = cli(['unlock', repoDir, '--json']);
    expect(stale.code).toBe(0);
    expect(JSON.parse(stale.out)).toMatchObject([{ operation: 'prune', host: 'old-host' }]);
    expect(cli(['prune', repoDir]).code).toBe(EXIT_STATUS.STATE);
    const all = cli(['unlock', repoDir, '--all']);
    expect(all.out).toMatch(/removed locks\/[0-9a-f]{64} \(backup on gone-host, pid 4242/);
    expect(all.out).toMatch(/^1 lock removed$/m);
    expect(cli(['prune', repoDir]).code).toBe(0);
  });

  it('backup --every repeats until SIGTERM, then exits 0 after the running backup', async () => {
    const repoDir = join(tmp, 'every');
    const src = join(tmp, 'every-src');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'f.txt'), 'data\n'.repeat(1000));
    expect(cli(['init', repoDir, '--tier', 'fast']).code).toBe(0);
    expect(cli(['backup', repoDir, src, '--every', '5x']).code).toBe(EXIT_STATUS.OPTION);
    // the CLI's one number parser: ranges and sizes checked, one line naming the flag
    for (const [args, msg] of [[['--workers', '0'], /--workers must be in \[1, 64\], got 0/], [['--workers', '-2'], /--workers: its value may not start with "-"/], [['--workers', '1.5'], /--workers must be an integer/]] as const) {
      const r = cli(['backup', repoDir, src, ...args]);
      expect(r.code).toBe(EXIT_STATUS.OPTION);
      expect(r.err).toMatch(msg);
    }
    expect(cli(['forget', repoDir, '--keep-last', 'x']).code).toBe(EXIT_STATUS.OPTION);
    // --memory: a size; one too small for a single thread at the repository's level is OPTION, naming it
    const small = cli(['backup', repoDir, src, '--memory', '64M']);
    expect(small.code).toBe(EXIT_STATUS.OPTION);
    expect(small.err).toMatch(/memory.*one thread/);
    expect(cli(['backup', repoDir, src, '--memory', 'lots']).code).toBe(EXIT_STATUS.OPTION);
    const child = spawn(process.execPath, [CLI, 'repo', 'backup', repoDir, src, '--every', '1s', '--json'], { env: { ...process.env, PANINI_PASSWORD: 'pw' } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // wait for two snapshots, then stop it
    for (let i = 0; i < 200 && stdout.split('\n').filter(Boolean).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; parent: string | null });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[1]!.parent).toBe(lines[0]!.id);
    const listed = JSON.parse(cli(['snapshots', repoDir, '--json']).out) as { id: string }[];
    expect(listed.map((x) => x.id).sort()).toEqual(lines.map((l) => l.id).sort());
  });
});
