// The model registry and `panini-fs models …` through the built CLI (node dist/cli.js): list against node:crypto
// hashes of the shipped files, use and rollback in a user folder of the test's own, compare on a folder of labelled
// files, add of a personal model, the SHA-256 check, and the training command's byte-for-byte reproduction.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_STATUS } from '../../src/errors.js';
import { trainClassifier } from '../../src/model/classifier-train.js';
import { generateChunk, seeded } from '../../src/model/generate.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist/cli.js');
const home = mkdtempSync(join(tmpdir(), 'panini-models-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, 'models', ...args], { encoding: 'utf8', env: { ...process.env, PANINI_MODELS_HOME: home, ...env }, maxBuffer: 16 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const shipped = JSON.parse(readFileSync(join(ROOT, 'models/registry.json'), 'utf8')) as { models: Array<{ name: string; version: string; sha256: string; file: string; bytes: number }> };

describe('panini-fs models', () => {
  it('dist/cli.js exists', () => expect(existsSync(CLI), 'dist/cli.js is missing: run `npm run build`').toBe(true));

  it('list --json: every shipped model with name, version, tier, path and a sha256 that the file has', () => {
    const r = cli(['list', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; version: string; tier: string; path: string; sha256: string; active: boolean }>;
    expect(rows.length).toBe(shipped.models.length);
    for (const m of shipped.models) {
      const row = rows.find((x) => x.name === m.name && x.version === m.version)!;
      expect(row.tier).toBe('public');
      const bytes = readFileSync(row.path);
      expect(bytes.length).toBeLessThanOrEqual(1 << 20);
      expect(sha(bytes)).toBe(row.sha256);
      expect(row.sha256).toBe(m.sha256);
    }
    // the newest public version is in use by default
    expect(rows.filter((x) => x.active && x.name === 'content-classifier').map((x) => x.version)).toEqual(['1.1.0']);
  });

  it('use, then rollback to the version before, then rollback to the parent', () => {
    expect(cli(['use', 'content-classifier@1.0.0']).stdout).toContain('using 1.0.0');
    let rows = (JSON.parse(cli(['list', '--json']).stdout) as Array<{ name: string; version: string; active: boolean }>).filter((x) => x.name === 'content-classifier');
    expect(rows.filter((x) => x.active).map((x) => x.version)).toEqual(['1.0.0']);
    expect(cli(['use', 'content-classifier@1.1.0']).stdout).toContain('using 1.1.0');
    expect(cli(['rollback', 'content-classifier']).stdout).toContain('back to 1.0.0');
    rows = (JSON.parse(cli(['list', '--json']).stdout) as Array<{ name: string; version: string; active: boolean }>).filter((x) => x.name === 'content-classifier');
    expect(rows.filter((x) => x.active).map((x) => x.version)).toEqual(['1.0.0']);
    // one step further back: the version in use before the first `use`
    expect(cli(['rollback', 'content-classifier']).stdout).toContain('back to 1.1.0');
    // history used up: rollback follows the parent link, and 1.0.0 has none
    expect(cli(['rollback', 'content-classifier']).stdout).toContain('back to 1.0.0');
    const r = cli(['rollback', 'content-classifier']);
    expect(r.status).toBe(EXIT_STATUS.MODEL);
    expect(r.stderr).toContain('no earlier version');
    rmSync(join(home, 'state.json'));
  });

  it('compare runs both versions on the same chunks: sizes, time and accuracy side by side', () => {
    const dir = mkdtempSync(join(tmpdir(), 'panini-compare-'));
    try {
      const r0 = seeded(5);
      const json = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], price: i * 1.5 })));
      writeFileSync(join(dir, 'items.json'), json);
      writeFileSync(join(dir, 'items.json.gz'), gzipSync(json));
      writeFileSync(join(dir, 'page.html'), '<!DOCTYPE html>\n<html><body>\n' + '<div class="row"><a href="/x">link</a> text</div>\n'.repeat(1500) + '</body></html>\n');
      writeFileSync(join(dir, 'prog.js'), generateChunk('source', r0, 60000, true));
      const r = cli(['compare', 'content-classifier@1.0.0', 'content-classifier@1.1.0', '--corpus', dir, '--device', 'cpu', '--json']);
      expect(r.status, r.stderr).toBe(0);
      const [a, b] = JSON.parse(r.stdout) as Array<{ spec: string; bytes: number; chunks: number; accuracy: number; device: string; perClass: Record<string, { n: number; correct: number }> }>;
      expect(a!.spec).toBe('content-classifier@1.0.0');
      expect(b!.spec).toBe('content-classifier@1.1.0');
      for (const x of [a!, b!]) {
        expect(x.device).toBe('cpu');
        expect(x.bytes).toBe(shipped.models.find((m) => `${m.name}@${m.version}` === x.spec)!.bytes);
        const n = Object.values(x.perClass).reduce((s, p) => s + p.n, 0);
        const ok = Object.values(x.perClass).reduce((s, p) => s + p.correct, 0);
        expect(n).toBe(x.chunks);
        expect(x.accuracy).toBeCloseTo(ok / n, 10);
      }
      expect(a!.chunks).toBe(b!.chunks);
      expect(Object.keys(a!.perClass).sort()).toEqual(['compressed', 'json', 'markup', 'source']);
      const text = cli(['compare', 'content-classifier@1.0.0', 'content-classifier@1.1.0', '--corpus', dir, '--device', 'cpu']);
      expect(text.stdout).toMatch(/accuracy\s+[\d.]+%\s+[\d.]+%/);
      expect(text.stdout).toMatch(/size \(bytes\)\s+\d+\s+\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('add --tier personal keeps the model in the user folder, never in the shipped registry', () => {
    const src = join(home, 'mine.onnx');
    copyFileSync(join(ROOT, 'models', shipped.models[0]!.file), src);
    const r = cli(['add', src, '--tier', 'personal', '--name', 'my-classifier', '--version', '0.1.0']);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(cli(['list', '--json']).stdout) as Array<{ name: string; tier: string; path: string; sha256: string }>;
    const mine = rows.find((x) => x.name === 'my-classifier')!;
    expect(mine.tier).toBe('personal');
    expect(mine.path.startsWith(home)).toBe(true);
    expect(mine.sha256).toBe(sha(readFileSync(src)));
    expect(readFileSync(join(ROOT, 'models/registry.json'), 'utf8')).not.toContain('my-classifier');
    expect(cli(['add', src, '--tier', 'public', '--name', 'x', '--version', '1.0.0']).status).toBe(EXIT_STATUS.OPTION);
    expect(cli(['add', src, '--tier', 'personal', '--name', 'my-classifier', '--version', '0.1.0']).status).toBe(EXIT_STATUS.EXISTS);
  });

  it('a model file that does not match its SHA-256 is refused (MODEL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'panini-shipped-'));
    try {
      const reg = JSON.parse(readFileSync(join(ROOT, 'models/registry.json'), 'utf8')) as typeof shipped;
      writeFileSync(join(dir, 'registry.json'), JSON.stringify(reg));
      for (const m of reg.models) {
        const b = readFileSync(join(ROOT, 'models', m.file));
        b[b.length - 5]! ^= 1;
        writeFileSync(join(dir, m.file), b);
      }
      const corpus = mkdtempSync(join(tmpdir(), 'panini-c-'));
      writeFileSync(join(corpus, 'a.json'), '{"a":1}'.repeat(200));
      const r = cli(['compare', 'content-classifier@1.0.0', 'content-classifier@1.1.0', '--corpus', corpus], { PANINI_MODELS_DIR: dir });
      rmSync(corpus, { recursive: true, force: true });
      expect(r.status).toBe(EXIT_STATUS.MODEL);
      expect(r.stderr).toMatch(/has SHA-256 [0-9a-f]{64}, the registry says/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unknown model and version are MODEL errors that say what exists', () => {
    expect(cli(['show', 'nope']).stderr).toContain('no model named "nope"');
    const r = cli(['show', 'content-classifier@9.9.9']);
    expect(r.status).toBe(EXIT_STATUS.MODEL);
    expect(r.stderr).toContain('it has 1.0.0, 1.1.0');
  });

  it('training reproduces the shipped content-classifier@1.0.0 byte for byte', () => {
    const { onnx } = trainClassifier('1.0.0');
    const m = shipped.models.find((x) => x.name === 'content-classifier' && x.version === '1.0.0')!;
    expect(sha(onnx)).toBe(m.sha256);
    expect(Buffer.from(onnx).equals(readFileSync(join(ROOT, 'models', m.file)))).toBe(true);
  }, 300_000);

  it('training reproduces the shipped plan-selector from the corpus byte for byte, and its embedded weights', () => {
    // the whole recipe: the exhaustive planner's trials over the corpus and the generated chunks (about two minutes)
    const r = cli(['train', '--check', '--name', 'plan-selector', '--corpus', CORPUS_DIR]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/plan-selector@1\.0\.0\t\d+ B\tsha256 [0-9a-f]{64}\tmatches the registry; embedded weights match/);
  }, 600_000);

  it('compare of plan-selector versions: the gain each keeps at levels 2 and 6 on the same records', () => {
    const dir = mkdtempSync(join(tmpdir(), 'panini-compare-sel-'));
    try {
      writeFileSync(join(dir, 'page.html'), '<!DOCTYPE html>\n<html><body>\n' + Array.from({ length: 4000 }, (_, i) => `<div class="row r${i % 7}"><a href="/x/${i}">link ${i}</a> text of row ${i}</div>\n`).join('') + '</body></html>\n');
      writeFileSync(join(dir, 'prog.js'), generateChunk('source', seeded(8), 300000, true));
      const r = cli(['compare', 'plan-selector@1.0.0', 'plan-selector@1.0.0', '--corpus', dir, '--device', 'cpu', '--json']);
      expect(r.status, r.stderr).toBe(0);
      const [a, b] = JSON.parse(r.stdout) as Array<{ spec: string; records: number; device: string; levels: Record<string, { records: number; gainShare: number; agree: number }> }>;
      expect(a!.spec).toBe('plan-selector@1.0.0');
      expect(a!.device).toBe('cpu');
      expect(Object.keys(a!.levels)).toEqual(['2', '6']);
      for (const l of ['2', '6']) {
        expect(a!.levels[l]!.records).toBeGreaterThan(0);
        expect(a!.levels[l]!.agree).toBeLessThanOrEqual(a!.levels[l]!.records);
        expect(Number.isFinite(a!.levels[l]!.gainShare)).toBe(true);
        // the same model on the same records: the same choices
        expect(b!.levels[l]).toEqual(a!.levels[l]);
      }
      const text = cli(['compare', 'plan-selector@1.0.0', 'plan-selector@1.0.0', '--corpus', dir, '--device', 'cpu']);
      expect(text.stdout).toMatch(/level 2 gain kept/);
      const mixed = cli(['compare', 'content-classifier@1.0.0', 'plan-selector@1.0.0', '--corpus', dir]);
      expect(mixed.status).toBe(EXIT_STATUS.OPTION);
      expect(mixed.stderr).toContain('different models');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
