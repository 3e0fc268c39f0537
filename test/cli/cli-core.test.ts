// The built CLI (node dist/cli.js, what `npm test` builds first) on files and stdin, against node:crypto / node:zlib
// and the reference FastCDC; and its error behaviour: one line, no stack trace, the documented exit status.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_STATUS } from '../../src/errors.js';
import { nodeCrc32, nodeSha256 } from '../helpers/oracles.js';
import { prngBytes } from '../helpers/prng.mjs';
import { fastcdcRef, fixedRef } from '../reference/fastcdc.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist/cli.js');
let dir: string;
let file: string;
const data = prngBytes(4242, 3 * (1 << 20) + 12_345);

function cli(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 64 << 20, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function hashOutput(b: Uint8Array): string {
  return `sha256 ${nodeSha256(b)}\ncrc32  ${nodeCrc32(b).toString(16).padStart(8, '0')}\nsize   ${b.length}\n`;
}

beforeAll(() => {
  expect(existsSync(CLI), 'dist/cli.js is missing: run `npm run build`').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'panini-cli-'));
  file = join(dir, 'input.bin');
  writeFileSync(file, data);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('panini-fs hash', () => {
  it('prints SHA-256, CRC32 and size of a file, equal to node:crypto and zlib', () => {
    const r = cli(['hash', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(hashOutput(data));
  });

  it('reads stdin with -', () => {
    const r = cli(['hash', '-'], data);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(hashOutput(data));
  });

  it('hashes an empty file', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expect(cli(['hash', empty]).stdout).toBe(hashOutput(new Uint8Array(0)));
  });
});

describe('panini-fs chunk', () => {
  interface JsonChunk {
    offset: number;
    length: number;
    sha256: string;
  }
  function checkJson(stdout: string, input: Uint8Array): JsonChunk[] {
    const chunks = JSON.parse(stdout) as JsonChunk[];
    let pos = 0;
    for (const c of chunks) {
      expect(c.offset).toBe(pos);
      expect(c.sha256).toBe(nodeSha256(input.subarray(c.offset, c.offset + c.length)));
      pos += c.length;
    }
    expect(pos).toBe(input.length);
    return chunks;
  }
  const cuts = (cs: { offset: number; length: number }[]) => cs.map((c) => [c.offset, c.length]);

  it('--json covers the file, each chunk hash matches node:crypto, cuts match the reference FastCDC', () => {
    const r = cli(['chunk', file, '--json']);
    expect(r.status).toBe(0);
    const chunks = checkJson(r.stdout, data);
    expect(cuts(chunks)).toEqual(cuts(fastcdcRef(data, { minSize: 16384, avgSize: 65536, maxSize: 262144 })));
  });

  it('--json with explicit sizes (K suffix) and from stdin', () => {
    const r = cli(['chunk', '-', '--json', '--min-size', '1K', '--avg-size', '4K', '--max-size', '16384'], data);
    expect(r.status).toBe(0);
    const chunks = checkJson(r.stdout, data);
    expect(cuts(chunks)).toEqual(cuts(fastcdcRef(data, { minSize: 1024, avgSize: 4096, maxSize: 16384 })));
  });

  it('--strategy fixed --size 64K', () => {
    const r = cli(['chunk', file, '--json', '--strategy', 'fixed', '--size', '64K']);
    expect(r.status).toBe(0);
    expect(cuts(checkJson(r.stdout, data))).toEqual(cuts(fixedRef(data.length, 65536)));
  });

  it('text output: offset, length, sha256 per line and a summary on stderr', () => {
    const r = cli(['chunk', file, '--avg-size', '256K']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const parsed = lines.map((l) => l.split('\t'));
    let pos = 0;
    for (const [off, len, sha] of parsed) {
      expect(Number(off)).toBe(pos);
      expect(sha).toBe(nodeSha256(data.subarray(pos, pos + Number(len))));
      pos += Number(len);
    }
    expect(pos).toBe(data.length);
    expect(r.stderr).toContain(`${lines.length} chunks, ${data.length} bytes`);
  });

  it('an empty input gives an empty JSON array', () => {
    const r = cli(['chunk', '-', '--json'], new Uint8Array(0));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});

describe('errors', () => {
  const oneLine = (stderr: string) => {
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^panini-fs: /);
    expect(stderr).not.toMatch(/\n\s+at |internal error/);
  };

  const bad: [string, string[]][] = [
    ['unknown flag', ['chunk', 'FILE', '--bogus']],
    ['unknown flag for hash', ['hash', 'FILE', '--jsn']],
    ['negative number', ['compress', 'FILE', '--level', '-1']],
    ['switch with a value', ['compress', 'FILE', '--json=yes']],
    ['malformed size', ['chunk', 'FILE', '--avg-size', 'lots']],
    ['size out of range', ['chunk', 'FILE', '--avg-size', '100']],
    ['minSize > avgSize', ['chunk', 'FILE', '--min-size', '64K', '--avg-size', '16K']],
    ['unknown strategy', ['chunk', 'FILE', '--strategy', 'rabin']],
    ['cdc flag with fixed', ['chunk', 'FILE', '--strategy', 'fixed', '--avg-size', '4K']],
    ['missing value', ['chunk', 'FILE', '--size']],
    ['no FILE', ['hash']],
    ['two FILEs', ['hash', 'FILE', 'FILE']],
    ['unknown command', ['frobnicate', 'FILE']],
  ];
  for (const [what, args] of bad) {
    it(`${what}: exit ${EXIT_STATUS.OPTION} with a one-line message`, () => {
      const r = cli(args.map((a) => (a === 'FILE' ? file : a)));
      expect(r.status).toBe(EXIT_STATUS.OPTION);
      expect(r.stdout).toBe('');
      oneLine(r.stderr);
    });
  }

  it('messages are our own: the option, what is wrong, where the help is; never Node\'s parser text', () => {
    const cases: [string[], RegExp][] = [
      [['compress', 'FILE', '--levle', '3'], /^panini-fs: unknown option --levle for compress \(panini-fs compress --help lists them\)\n$/],
      [['compress', 'FILE', '--level'], /^panini-fs: --level needs a value/],
      [['compress', 'FILE', '--level', '-1'], /^panini-fs: --level: its value may not start with "-"/],
      [['verify', 'FILE', '--json=1'], /^panini-fs: --json is a switch and takes no value/],
    ];
    for (const [args, want] of cases) {
      const r = cli(args.map((a) => (a === 'FILE' ? file : a)));
      expect(r.status, args.join(' ')).toBe(EXIT_STATUS.OPTION);
      expect(r.stderr, args.join(' ')).toMatch(want);
      expect(r.stderr).not.toMatch(/To specify a positional|ambiguous|Unknown option/);
    }
  });

  it('COMMAND --help prints that command\'s usage and exits 0, for every command', () => {
    for (const c of ['compress', 'decompress', 'extract', 'verify', 'inspect', 'validate-reconstruction', 'hash', 'chunk', 'enqueue', 'worker', 'jobs', 'reconstruct', 'assemble', 'repo', 'serve', 'models']) {
      const r = cli([c, '--help']);
      expect(r.status, c).toBe(0);
      expect(r.stdout, c).toMatch(new RegExp(`^usage:[\\s\\S]*\\b${c}\\b`));
      expect(r.stdout.length, c).toBeLessThan(cli(['--help']).stdout.length);
    }
    expect(cli(['compress', '-h']).stdout).toMatch(/compress IN/);
    expect(cli(['frobnicate', '--help']).status).toBe(EXIT_STATUS.OPTION);
  });

  it(`a missing file exits with the IO status (${EXIT_STATUS.IO}) and names the path`, () => {
    const missing = join(dir, 'does-not-exist.bin');
    for (const args of [['hash', missing], ['chunk', missing, '--json']]) {
      const r = cli(args);
      expect(r.status).toBe(EXIT_STATUS.IO);
      oneLine(r.stderr);
      expect(r.stderr).toContain(missing);
    }
  });

  it('--version prints the package version; --help exits 0; no command exits 2 with the usage', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(cli(['--version'])).toMatchObject({ status: 0, stdout: `${version}\n` });
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: panini-fs');
    expect(cli([]).status).toBe(2);
  });
});

describe('- for stdin and stdout', () => {
  it('compress - -o - | decompress - -o - gives the bytes back; verify - and inspect - read stdin', () => {
    const c = spawnSync(process.execPath, [CLI, 'compress', '-', '-o', '-'], { input: data, maxBuffer: 64 << 20 });
    expect(c.status, String(c.stderr)).toBe(0);
    const pnz = new Uint8Array(c.stdout);
    expect(Buffer.from(pnz.subarray(0, 4)).toString('latin1')).toBe('\x89PNZ'); // nothing but the container on stdout
    const d = spawnSync(process.execPath, [CLI, 'decompress', '-', '-o', '-'], { input: pnz, maxBuffer: 64 << 20 });
    expect(d.status, String(d.stderr)).toBe(0);
    expect(nodeSha256(new Uint8Array(d.stdout))).toBe(nodeSha256(data));
    const v = cli(['verify', '-', '--json'], pnz);
    expect(v.status).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, originalSize: data.length, sha256: nodeSha256(data) });
    const i = cli(['inspect', '-', '--json'], pnz);
    expect(JSON.parse(i.stdout)).toMatchObject({ originalSize: data.length, containerSize: pnz.length, root: 'stream' });
    // into a file from stdin; a damaged stream exits 3 and leaves no file
    const out = join(dir, 'from-stdin.bin');
    expect(cli(['decompress', '-', '-o', out], pnz).status).toBe(0);
    expect(nodeSha256(readFileSync(out))).toBe(nodeSha256(data));
    const cut = pnz.subarray(0, pnz.length >> 1);
    const bad = cli(['decompress', '-', '-o', join(dir, 'cut.bin')], cut);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/^panini-fs: container ends at byte/);
    expect(existsSync(join(dir, 'cut.bin'))).toBe(false);
    const flipped = Uint8Array.from(pnz);
    flipped[flipped.length >> 1]! ^= 0x20;
    expect(spawnSync(process.execPath, [CLI, 'decompress', '-', '-o', '-'], { input: flipped, maxBuffer: 64 << 20 }).status).toBe(3);
    expect(cli(['verify', '-'], flipped).status).toBe(3);
    expect(cli(['decompress', '-']).status).toBe(EXIT_STATUS.OPTION); // no name to derive
  });

  it('a container written to stdout has the stream window (a stream decoder can hold what it refers to); one written to a file has none', () => {
    const pnz = join(dir, 'window.pnz');
    expect(cli(['compress', file, '-o', pnz, '--force']).status).toBe(0);
    const toFile = readFileSync(pnz);
    const r = spawnSync(process.execPath, [CLI, 'compress', file, '-o', '-'], { maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    const toPipe = r.stdout as Buffer;
    // header bytes 16–23: the dedup window (0 = unlimited), FORMAT.md "Header"
    expect(Number(toFile.readBigUInt64LE(16))).toBe(0);
    expect(Number(toPipe.readBigUInt64LE(16))).toBe(64 << 20);
    const back = spawnSync(process.execPath, [CLI, 'decompress', '-', '-o', '-'], { input: toPipe, maxBuffer: 64 << 20 });
    expect(back.status).toBe(0);
    expect(nodeSha256(back.stdout as Buffer)).toBe(nodeSha256(data));
  });

  it('progress: nothing on stderr when it is not a terminal, a line per second with --progress (MB/s, ETA); -q prints nothing', () => {
    const pnz = join(dir, 'progress.pnz');
    const plain = cli(['compress', file, '-o', pnz, '--force']);
    expect([plain.status, plain.stderr]).toEqual([0, '']);
    expect(plain.stdout).toMatch(/→ .*progress\.pnz: .* MB\/s\n$/);
    const loud = cli(['compress', file, '-o', pnz, '--force', '--progress']);
    expect(loud.status).toBe(0);
    expect(loud.stderr).toMatch(/^compress \[[#.]{30}\] +\d+% [\d.]+ (B|KiB|MiB) → [\d.]+ (B|KiB|MiB)  [\d.]+ MB\/s  ETA \d+:\d\d\n/);
    expect(loud.stderr).not.toContain('\r');
    const quiet = cli(['compress', file, '-o', pnz, '--force', '-q', '--progress']);
    expect([quiet.status, quiet.stdout, quiet.stderr]).toEqual([0, '', '']);
    const out = join(dir, 'progress.out');
    const dq = cli(['decompress', pnz, '-o', out, '--force', '--quiet']);
    expect([dq.status, dq.stdout, dq.stderr]).toEqual([0, '', '']);
    expect(nodeSha256(readFileSync(out))).toBe(nodeSha256(data));
    const dl = cli(['decompress', pnz, '-o', out, '--force', '--progress']);
    expect(dl.stderr).toMatch(/^decompress /);
    // --json keeps stdout machine-readable and stderr empty, whatever else is asked
    const js = cli(['compress', file, '-o', pnz, '--force', '--json', '--progress']);
    expect(js.stderr).toBe('');
    expect(JSON.parse(js.stdout).inputBytes).toBe(data.length);
  });

  it('a tree never goes to stdout as if it were a file; a closed pipe ends quietly; hash --json', () => {
    const tree = join(dir, 'tree');
    rmSync(tree, { recursive: true, force: true });
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'a.txt'), 'alpha\n'.repeat(1000));
    writeFileSync(join(tree, 'sub', 'b.txt'), 'beta\n'.repeat(1000));
    const pnz = join(dir, 'tree.pnz');
    expect(cli(['compress', tree, '-o', pnz]).status).toBe(0);
    const r = cli(['decompress', pnz, '-o', '-']);
    expect(r.status).toBe(EXIT_STATUS.OPTION);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/holds a tree of 2 files/);
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
    const s = cli(['decompress', '-', '-o', join(dir, 'tree.bin')], new Uint8Array(readFileSync(pnz)));
    expect(s.status).toBe(EXIT_STATUS.OPTION);
    expect(existsSync(join(dir, 'tree.bin'))).toBe(false);
    // a reader that stops early: exit 141 (as after SIGPIPE), no stack trace
    const big = join(dir, 'big.pnz');
    expect(cli(['compress', file, '-o', big]).status).toBe(0);
    const piped = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" decompress "${big}" -o - | head -c 10 >/dev/null`], { encoding: 'utf8' });
    expect(piped.status).toBe(141);
    expect(piped.stderr).toBe('');
    const h = cli(['hash', file, '--json']);
    expect(JSON.parse(h.stdout)).toEqual({ path: file, sha256: nodeSha256(data), crc32: nodeCrc32(data).toString(16).padStart(8, '0'), size: data.length });
  });

  it('decompress FILE.pnz restores the stored name; a missing path in extract is NOT_FOUND; a damaged container in validate-reconstruction exits 3', () => {
    const sub = join(dir, 'named');
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(sub);
    writeFileSync(join(sub, 'report.csv'), 'a,b\n1,2\n');
    const pnz = join(dir, 'renamed-container.pnz');
    expect(cli(['compress', join(sub, 'report.csv'), '-o', pnz]).status).toBe(0);
    const d = cli(['decompress', pnz]);
    expect(d.status, d.stderr).toBe(0);
    expect(readFileSync(join(dir, 'report.csv'), 'utf8')).toBe('a,b\n1,2\n');
    const tree = join(dir, 'tree.pnz');
    expect(cli(['extract', tree, 'no/such.txt']).status).toBe(EXIT_STATUS.NOT_FOUND);
    const bad = Uint8Array.from(readFileSync(pnz));
    bad[40]! ^= 1;
    writeFileSync(join(dir, 'bad.pnz'), bad);
    const v = cli(['validate-reconstruction', '--original', join(sub, 'report.csv'), '--compressed', join(dir, 'bad.pnz')]);
    expect(v.status).toBe(3);
    expect(v.stdout).toMatch(/^NOT bit-perfect: the container fails verification/);
  });
});
