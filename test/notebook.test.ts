// The notebook (examples/notebook/panini-fs.ipynb) executed headless as `npm run notebook` does: Deno's Jupyter kernel,
// the package as packed from dist/, nbconvert --execute. A failing cell (its own checks: round-trip SHA-256 equal,
// ratios within bounds, extract equal to the file on disk) fails the run; the executed notebook is read back here.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR } from './helpers/corpus.js';

interface Output { output_type: string; text?: string | string[]; data?: Record<string, string | string[]>; ename?: string }
const joined = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));

describe('examples/notebook', () => {
  it('executes every cell headless against the packed package, with real results', () => {
    expect(existsSync(join(import.meta.dirname, '..', 'dist', 'node.js')), 'dist/ is built (npm test builds first)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'panini-notebook-'));
    try {
      const out = join(dir, 'executed.ipynb');
      const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'examples', 'notebook', 'run.mjs'), '--out', out], { encoding: 'utf8', timeout: 540_000 });
      expect(r.status, `npm run notebook failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
      const nb = JSON.parse(readFileSync(out, 'utf8')) as { cells: { cell_type: string; outputs?: Output[] }[] };
      const code = nb.cells.filter((c) => c.cell_type === 'code');
      expect(code.length).toBeGreaterThanOrEqual(8);
      for (const c of code) expect(c.outputs!.filter((o) => o.output_type === 'error'), 'no cell has an error').toEqual([]);
      const text = code.flatMap((c) => c.outputs!).map((o) => joined(o.text) + joined(o.data?.['text/html'])).join('\n');
      expect(text).toMatch(/panini-fs [\d.]+ from .*\/node_modules\/panini-fs\/dist\//); // the installed package, not src
      // the verify cell's checked results, against node:crypto's SHA-256 of the same corpus slices read here
      const res = JSON.parse(readFileSync(join(dir, 'executed.results.json'), 'utf8')) as {
        slice: number;
        damaged: string;
        files: { name: string; inputSha256: string; restoredSha256: string; ratio: number; verified: boolean }[];
        server: { state: string; total: number; bytesIn: number; validation: { ok: boolean; files: number; bytes: number; sha256: string }; transitions: Record<string, number> };
        backup: { releases: string[]; snapshots: { bytes: number }[]; repositoryBytes: number; problems: number; restored: Record<string, string> };
      };
      expect(res.files.length).toBe(5);
      for (const f of res.files) {
        const slice = readFileSync(join(CORPUS_DIR, 'single', f.name)).subarray(0, res.slice);
        expect(f.inputSha256, f.name).toBe(createHash('sha256').update(slice).digest('hex'));
        expect(f.restoredSha256, f.name).toBe(f.inputSha256);
        expect(f.verified).toBe(true);
        expect(f.ratio, f.name).toBeGreaterThan(0.001);
        expect(f.ratio, f.name).toBeLessThan(0.6);
      }
      expect(res.damaged).toMatch(/CHECKSUM|FORMAT/);
      // the job server's compress job, proven by a validate job: it verified exactly the five slices and the 150 mails
      const mailDir = join(CORPUS_DIR, 'tree', readdirSync(join(CORPUS_DIR, 'tree')).sort()[0]!);
      const mails = readdirSync(mailDir).sort().slice(0, 150).reduce((s, f) => s + statSync(join(mailDir, f)).size, 0);
      const slices = res.files.reduce((s, f) => s + Math.min(res.slice, statSync(join(CORPUS_DIR, 'single', f.name)).size), 0);
      expect(res.server.state).toBe('verified');
      expect(res.server.bytesIn).toBe(slices + mails);
      expect(res.server.validation.ok).toBe(true);
      expect(res.server.validation.files).toBe(155);
      expect(res.server.bytesIn).toBe(res.server.validation.bytes);
      expect(res.server.transitions.verified).toBe(res.server.total);
      // the backup: the last release restored, file by file, equal to the corpus files (under 600 KB) of that release
      const release = join(CORPUS_DIR, 'versions', res.backup.releases.at(-1)!);
      const want = Object.fromEntries(readdirSync(release).sort().filter((f) => statSync(join(release, f)).isFile() && statSync(join(release, f)).size < 600_000).map((f) => [f, createHash('sha256').update(readFileSync(join(release, f))).digest('hex')]));
      expect(Object.keys(want).length).toBeGreaterThan(10);
      expect(res.backup.restored).toEqual(want);
      expect(res.backup.problems).toBe(0);
      expect(res.backup.snapshots.length).toBe(3);
      const read = res.backup.snapshots.reduce((s, x) => s + x.bytes, 0);
      expect(res.backup.repositoryBytes).toBeLessThan(read / 4); // three coded, encrypted snapshots in a quarter of their size
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
