// The notebook (examples/notebook/panini-fs.ipynb) executed headless as `npm run notebook` does: Deno's Jupyter kernel,
// the package as packed from dist/, nbconvert --execute. A failing cell (its own checks: round-trip SHA-256 equal,
// ratios within bounds, extract equal to the file on disk) fails the run; the executed notebook is read back here.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
      const res = JSON.parse(readFileSync(join(dir, 'executed.results.json'), 'utf8')) as { slice: number; damaged: string; files: { name: string; inputSha256: string; restoredSha256: string; ratio: number; verified: boolean }[] };
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
