// The published package as a user gets it: `npm pack`, install the tarball into an empty project (runtime
// dependencies from the registry or npm's cache), then use it through ESM import, CJS require and the bin.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeCrc32, nodeSha256 } from './helpers/oracles.js';
import { prngBytes } from './helpers/prng.mjs';

const ROOT = join(import.meta.dirname, '..');
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const isWindows = process.platform === 'win32';

function run(cmd: string, args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', shell: isWindows, maxBuffer: 32 << 20, ...options });
  return { status: r.status, error: r.error, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

describe('npm pack + install into an empty project', () => {
  let dir: string;
  let consumer: string;
  let files: string[] = [];

  beforeAll(() => {
    expect(existsSync(join(ROOT, 'dist/index.js')), 'dist/ is missing: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'panini-pack-'));
    const pack = run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
    expect(pack.status, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    consumer = join(dir, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    const install = run(
      'npm',
      // optional native parts (the ONNX runtime, the SQLite addon) are not what this checks: --omit=optional keeps the
      // install from compiling better-sqlite3; they load on use and say how to install them when missing
      ['install', join(dir, info!.filename), '--prefer-offline', '--omit=optional', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: consumer },
    );
    expect(install.status, `npm install failed:\n${install.stderr}`).toBe(0);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds the built files, the docs and the benchmark harness (benchmark jobs run it), not the sources', () => {
    for (const f of ['package.json', 'README.md', 'dist/index.js', 'dist/index.cjs', 'dist/node.js', 'dist/node.cjs', 'dist/cli.js', 'dist/index.d.ts', 'bench/run.mjs', 'bench/worker-panini.mjs', 'bench/sections/single.mjs']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|assembly|test|node_modules|scripts)\//.test(f))).toEqual([]);
    // of bench/, only the harness that run.mjs loads: not the standalone measurement scripts
    expect(files.filter((f) => f.startsWith('bench/') && !/^bench\/(run\.mjs|worker-panini\.mjs|README\.md|lib\/|sections\/)/.test(f))).toEqual([]);
  });

  it('import("panini-fs") (ESM) computes sha256("abc")', () => {
    writeFileSync(
      join(consumer, 'esm.mjs'),
      `import * as p from 'panini-fs';
await p.init();
const hex = (b) => Buffer.from(b).toString('hex');
console.log(JSON.stringify({ sha: hex(p.sha256(new TextEncoder().encode('abc'))), crc: p.crc32(new TextEncoder().encode('123456789')), node: typeof p.hashFile }));`,
    );
    const r = run(process.execPath, ['esm.mjs'], { cwd: consumer });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ sha: ABC_SHA256, crc: 0xcbf43926, node: 'function' });
  });

  it('require("panini-fs") (CJS) computes sha256("abc")', () => {
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      `const p = require('panini-fs');
p.initSync();
console.log(JSON.stringify({ sha: Buffer.from(p.sha256(Buffer.from('abc'))).toString('hex'), node: typeof p.hashFile }));`,
    );
    const r = run(process.execPath, ['cjs.cjs'], { cwd: consumer });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ sha: ABC_SHA256, node: 'function' });
  });

  it('npx panini-fs hash works from the project', () => {
    const data = prngBytes(99, 100_000);
    writeFileSync(join(consumer, 'data.bin'), data);
    const r = run('npx', ['--no', 'panini-fs', 'hash', 'data.bin'], { cwd: consumer });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`sha256 ${nodeSha256(data)}\ncrc32  ${nodeCrc32(data).toString(16).padStart(8, '0')}\nsize   ${data.length}\n`);
  });

  it('without the optional SQLite addon, the embedded queue says what to install (UNSUPPORTED, exit 4)', () => {
    const r = run('npx', ['--no', 'panini-fs', 'jobs', '--queue', `sqlite:${join(consumer, 'q.sqlite')}`], { cwd: consumer });
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/better-sqlite3/);
    expect(r.stderr).toMatch(/npm install better-sqlite3/);
  });
});
