// The notebook (examples/notebook/panini-fs.ipynb) executed headless as `npm run notebook` does: Deno's Jupyter kernel,
// the package as packed from dist/, nbconvert --execute. A failing cell (its own checks: round-trip SHA-256 equal,
// ratios within bounds, extract equal to the file on disk) fails the run; the executed notebook is read back here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
      for (const c of code) {
        expect(c.outputs!.filter((o) => o.output_type === 'error'), 'no cell has an error').toEqual([]);
        expect(c.outputs!.length, 'every cell shows something').toBeGreaterThan(0);
      }
      const text = code.flatMap((c) => c.outputs!).map((o) => joined(o.text) + joined(o.data?.['text/html'])).join('\n');
      expect(text).toMatch(/panini-fs [\d.]+ from .*\/node_modules\/panini-fs\/dist\//); // the installed package, not src
      expect(text).toContain('all 5 round trips bit-perfect');
      expect(text).toMatch(/damaged container: (CHECKSUM|FORMAT)/);
      expect((text.match(/<svg /g) ?? []).length, 'the charts').toBeGreaterThanOrEqual(3);
      expect(text).toContain('dhātu distribution');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
