// Smoke test of the benchmark harness: a tiny generated corpus, `bench/run.mjs --quick`, and the outputs checked for
// their stable fields and for every panini-fs round trip being bit-perfect. CLI anchors that are not installed are
// skipped by the harness itself (and named in its notes), so this passes with or without them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist', 'node.js');

const ROW_FIELDS = [
  'section',
  'item',
  'itemKind',
  'tool',
  'variant',
  'key',
  'isPanini',
  'status',
  'error',
  'originalBytes',
  'compressedBytes',
  'ratio',
  'compressSeconds',
  'decompressSeconds',
  'compressMBps',
  'decompressMBps',
  'throughputMBps',
  'peakRssBytes',
  'compressPeakRssBytes',
  'decompressPeakRssBytes',
  'verified',
  'verifiedScope',
  'runs',
  'decompressRuns',
  'compressTimes',
  'decompressTimes',
  'restoredBytes',
  'files',
  'versions',
  'threads',
  'command',
];

interface Row {
  [k: string]: unknown;
  section: string;
  item: string;
  tool: string;
  variant: string;
  isPanini: boolean;
  status: string;
  verified: boolean | null;
  ratio: number | null;
  originalBytes: number | null;
  compressedBytes: number | null;
}
interface Results {
  meta: Record<string, any>;
  rows: Row[];
}

function node(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => done({ code, out }));
  });
}

let tmp = '';
let outDir = '';
let results: Results;
let log = '';
let paniniBuilt = false;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'panini-bench-smoke-'));
  const corpus = join(tmp, 'corpus');
  outDir = join(tmp, 'out');
  const made = await node(['bench/make-tiny-corpus.mjs', corpus]);
  expect(made.code, made.out).toBe(0);
  const run = await node(['bench/run.mjs', '--corpus', corpus, '--out', outDir, '--quick']);
  log = run.out;
  expect(run.code, run.out.slice(-4000)).toBe(0);
  results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
  if (existsSync(DIST)) {
    const lib = (await import(DIST)) as Record<string, unknown>;
    paniniBuilt = typeof lib.compress === 'function' && typeof lib.decompress === 'function';
  }
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('bench harness --quick on a tiny corpus', () => {
  it('writes results.json, report.md and report.html', () => {
    for (const f of ['results.json', 'report.md', 'report.html']) expect(existsSync(join(outDir, f)), f).toBe(true);
  });

  it('records the machine, the versions, the git state and the options', () => {
    const m = results.meta;
    expect(m.schema).toBe(1);
    expect(typeof m.machine.cpuModel).toBe('string');
    expect(m.machine.cores).toBeGreaterThan(0);
    expect(m.machine.memoryBytes).toBeGreaterThan(0);
    expect(m.versions.node).toBe(process.version);
    expect(m.options.quick).toBe(true);
    expect(m.options.runs).toBe(1);
    expect(m.options.frontier).toBe(false);
    expect(m.git).toHaveProperty('commit');
    expect(m.git).toHaveProperty('dirty');
    expect(m.tools).toHaveProperty('zstd');
    expect(Array.isArray(m.skippedTools)).toBe(true);
    expect(m.corpus.single.length).toBe(3);
    expect(m.corpus.versions.map((v: { name: string }) => v.name)).toEqual(['v1', 'v2', 'v3']);
    expect(m.rowFields).toEqual(ROW_FIELDS);
  });

  it('measured the panini-fs core next to node:crypto and hash-wasm', () => {
    const core = results.rows.filter((r) => r.section === 'core');
    expect(core.some((r) => r.isPanini)).toBe(true);
    expect(core.some((r) => r.tool === 'node:crypto')).toBe(true);
    for (const r of core) expect(r.status, `${String(r.key)}: ${String(r.error)}`).toBe('ok');
  });

  it('gives every row the stable fields', () => {
    expect(results.rows.length).toBeGreaterThan(0);
    for (const r of results.rows) {
      expect(Object.keys(r).slice(0, ROW_FIELDS.length)).toEqual(ROW_FIELDS);
      expect(r.key).toBe(`${r.section}/${r.item}/${r.tool}/${r.variant}`);
    }
    const sections = new Set(results.rows.map((r) => r.section));
    expect(sections.has('single')).toBe(true);
    expect(sections.has('trees')).toBe(true);
    // the in-process anchors need nothing installed: they are always there
    for (const tool of ['fflate', 'zlib-gzip', 'zlib-brotli']) {
      const rows = results.rows.filter((r) => r.tool === tool);
      expect(rows.length, tool).toBe(3);
      for (const r of rows) {
        expect(r.status, `${r.key}: ${String(r.error)}`).toBe('ok');
        expect(r.verified).toBe(true);
        expect(r.ratio).toBeCloseTo((r.originalBytes ?? 0) / (r.compressedBytes ?? 1), 9);
      }
    }
  });

  it('verified every panini-fs result bit-perfect', () => {
    const panini = results.rows.filter((r) => r.isPanini && r.section !== 'core' && r.section !== 'models');
    // quick: L1 cdc and L1 cdc dhatu on each of the tiny corpus's 3 files
    if (paniniBuilt) expect(panini.filter((r) => r.section === 'single').length).toBe(6);
    for (const r of panini) {
      expect(r.status, `${r.key}: ${String(r.error)}`).toBe('ok');
      expect(r.verified, String(r.key)).toBe(true);
      expect(r.compressedBytes).toBeGreaterThan(0);
    }
  });

  it('checked every anchor round trip too (backup tools with same-date, same-size changed files included)', () => {
    for (const r of results.rows.filter((x) => !x.isPanini && x.section !== 'core' && x.section !== 'models')) {
      expect(r.status, `${String(r.key)}: ${String(r.error)}`).toBe('ok');
      expect(r.verified, String(r.key)).toBe(true);
    }
  });

  it('names the skipped tools, and writes readable reports', () => {
    const md = readFileSync(join(outDir, 'report.md'), 'utf8');
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(md).toContain('# panini-fs benchmark');
    expect(md).toContain('## panini-fs vs the best anchor');
    for (const t of results.meta.skippedTools as string[]) expect(md).toContain(`${t} is not installed`);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('class="front"'); // a Pareto front was drawn
    // self-contained: nothing loaded from elsewhere
    expect(html).not.toMatch(/<(script|img|link|iframe)[^>]+(src|href)=/i);
    expect(log).toContain('rows');
  });
});

describe('bench harness --frontier', () => {
  type Variant = { variant: string; args?: string[]; options?: Record<string, unknown> };
  type Single = {
    cliAnchors(threads: number, frontier?: boolean): { tool: string; variants: Variant[] }[];
    paniniVariants(threads: number, codecs?: string[], frontier?: boolean): Variant[];
  };
  const load = async (): Promise<Single> => (await import(join(ROOT, 'bench', 'sections', 'single.mjs'))) as Single;

  it('adds the levels in between to section single, and only with the option', async () => {
    const s = await load();
    const names = (frontier: boolean): string[] =>
      s.cliAnchors(2, frontier).flatMap((a) => a.variants.map((v) => `${a.tool} ${v.variant}`));
    expect(names(false)).toEqual(['zstd -3', 'zstd -19', 'zstd -22 --ultra --long=27', 'xz -9e', 'brotli -q 11']);
    const f = names(true);
    for (const n of ['zstd -9', 'zstd -12', 'zstd -15', 'zstd -16', 'zstd -17', 'zstd -18', 'xz -1', 'xz -4', 'xz -6', 'brotli -q 5', 'brotli -q 9']) {
      expect(f, n).toContain(n);
    }
    // a CLI gets its level and the thread count
    const zstd = s.cliAnchors(2, true).find((a) => a.tool === 'zstd')!;
    expect(zstd.variants.find((v) => v.variant === '-12')!.args).toEqual(['-12', '-T2']);
    const paniniNames = (frontier: boolean): string[] => s.paniniVariants(1, ['dhatu'], frontier).map((v) => v.variant);
    expect(paniniNames(false)).not.toContain('L4 cdc dhatu');
    expect(paniniNames(true)).toEqual(expect.arrayContaining(['L2 cdc dhatu', 'L3 cdc dhatu', 'L4 cdc dhatu', 'L5 cdc dhatu']));
    expect(s.paniniVariants(1, ['dhatu'], true).find((v) => v.variant === 'L4 cdc dhatu')!.options).toEqual({ level: 4, strategy: 'cdc', workers: 1, codec: 'dhatu' });
    // without the dhatu codec in the build, no dhatu levels
    expect(s.paniniVariants(1, [], true).some((v) => v.variant.endsWith('dhatu'))).toBe(false);
  });
});
