// The `memory` compress option: it lowers the worker threads until the estimate fits, gives the dhātu codec's
// long-range history what is left, refuses a bound one thread cannot meet, and never changes the bytes of an input the
// history covers. (The estimate's numbers are measured by bench/memory.mjs, not asserted here.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress, init, PaniniError } from '../../src/index.js';
import { compressMemory, DEFAULT_DEDUP_WINDOW, resolveCompressOptions } from '../../src/container/options.js';
import { MATCH_HISTORY_CAP } from '../../src/limits.js';
import { EXIT_STATUS } from '../../src/errors.js';
import { nodeSha256 } from '../helpers/oracles.js';
import { prngBytes } from '../helpers/prng.mjs';

const MiB = 1 << 20;
const CLI = join(import.meta.dirname, '..', '..', 'dist/cli.js');

function optionError(f: () => unknown): PaniniError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PaniniError);
    return e as PaniniError;
  }
  throw new Error('no error');
}

describe('compress option memory', () => {
  it('lowers the workers to the most that fit, and leaves them alone without a bound', () => {
    for (const codec of ['dhatu', 'deflate', 'plz', 'pfz'] as const) {
      for (const mem of [256, 400, 512, 768, 1024, 4096]) {
        const memory = mem * MiB;
        let o;
        try {
          o = resolveCompressOptions({ codec, workers: 8, memory, dedupWindow: DEFAULT_DEDUP_WINDOW });
        } catch (e) {
          // one thread does not fit: the error says what it would need
          expect((e as PaniniError).code).toBe('OPTION');
          expect(compressMemory({ codec, level: codec === 'dhatu' ? 2 : 6, matchHistory: DEFAULT_DEDUP_WINDOW, workers: 1 })).toBeGreaterThan(memory);
          continue;
        }
        const est = (workers: number) => compressMemory({ codec, level: o.level, matchHistory: Math.min(o.matchHistory, DEFAULT_DEDUP_WINDOW), workers });
        expect(o.workers).toBeGreaterThanOrEqual(1);
        expect(o.workers).toBeLessThanOrEqual(8);
        expect(est(o.workers)).toBeLessThanOrEqual(memory);
        if (o.workers < 8) expect(est(o.workers + 1)).toBeGreaterThan(memory);
        expect(compressMemory({ codec, level: o.level, matchHistory: o.matchHistory, workers: o.workers })).toBeLessThanOrEqual(memory);
      }
      expect(resolveCompressOptions({ codec, workers: 8 }).workers).toBe(8);
    }
  });

  it('gives the long-range history what the bound leaves, up to the dedup window', () => {
    // no bound: the window, or the cap for an unlimited one
    expect(resolveCompressOptions({ dedupWindow: 0 }).matchHistory).toBe(MATCH_HISTORY_CAP);
    expect(resolveCompressOptions({ dedupWindow: 8 * MiB }).matchHistory).toBe(8 * MiB);
    expect(resolveCompressOptions({}).matchHistory).toBe(DEFAULT_DEDUP_WINDOW);
    // a bound: more memory, more history (never less than the default window's, never more than asked for)
    let last = 0;
    for (const mem of [512, 768, 1024, 2048, 8192]) {
      const o = resolveCompressOptions({ dedupWindow: 0, workers: 1, memory: mem * MiB });
      expect(o.matchHistory).toBeGreaterThanOrEqual(Math.max(last, DEFAULT_DEDUP_WINDOW));
      expect(o.matchHistory).toBeLessThanOrEqual(MATCH_HISTORY_CAP);
      expect(compressMemory(o)).toBeLessThanOrEqual(mem * MiB);
      last = o.matchHistory;
    }
    expect(last).toBe(MATCH_HISTORY_CAP);
    expect(resolveCompressOptions({ dedupWindow: 8 * MiB, memory: 8192 * MiB }).matchHistory).toBe(8 * MiB);
    // the other codecs have no such history: the bound only sets their workers
    expect(compressMemory({ codec: 'deflate', level: 6, matchHistory: MATCH_HISTORY_CAP, workers: 1 })).toBe(compressMemory({ codec: 'deflate', level: 6, matchHistory: 0, workers: 1 }));
  });

  it('refuses a bound one thread cannot meet, and bad values, with OPTION errors naming memory', () => {
    const need = compressMemory({ codec: 'dhatu', level: 2, matchHistory: DEFAULT_DEDUP_WINDOW, workers: 1 });
    const e = optionError(() => resolveCompressOptions({ memory: need - MiB }));
    expect(e.code).toBe('OPTION');
    expect(e.where?.option).toBe('memory');
    expect(e.message).toMatch(/one thread/);
    expect(e.message).toMatch(/deflate/);
    expect(resolveCompressOptions({ memory: need }).workers).toBe(1);
    for (const bad of [0, -1, 1.5, 1000, '512M', null, Number.NaN]) {
      const b = optionError(() => resolveCompressOptions({ memory: bad }));
      expect(b.code).toBe('OPTION');
      expect(b.where?.option).toBe('memory');
    }
  });

  it('does not change the bytes of an input its history covers', async () => {
    await init();
    const part = prngBytes(77, 300_000);
    const data = new Uint8Array(2 * part.length + 5000);
    data.set(part, 0);
    data.set(part, part.length + 5000); // a long repeat COMM finds
    const plain = await compress(data, { dedupWindow: 0 });
    const bounded = await compress(data, { dedupWindow: 0, memory: 512 * MiB, workers: 4 });
    expect(nodeSha256(bounded)).toBe(nodeSha256(plain));
    expect(nodeSha256(await decompress(bounded))).toBe(nodeSha256(data));
  });
});

describe('panini-fs compress --memory', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'panini-memory-'));
    writeFileSync(join(dir, 'in.bin'), prngBytes(5, 200_000));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

  it('takes a size, gives the default bytes, and refuses a bound too small in one line', () => {
    const a = cli(['compress', join(dir, 'in.bin'), '-o', join(dir, 'a.pnz'), '-q']);
    expect(a.status).toBe(0);
    const b = cli(['compress', join(dir, 'in.bin'), '-o', join(dir, 'b.pnz'), '-q', '--memory', '2G', '--workers', '3']);
    expect(b.status).toBe(0);
    expect(nodeSha256(readFileSync(join(dir, 'b.pnz')))).toBe(nodeSha256(readFileSync(join(dir, 'a.pnz'))));
    const small = cli(['compress', join(dir, 'in.bin'), '-o', join(dir, 'c.pnz'), '--memory', '64M']);
    expect(small.status).toBe(EXIT_STATUS.OPTION);
    expect(small.stderr.trim().split('\n')).toHaveLength(1);
    expect(small.stderr).toMatch(/memory.*64 MiB.*one thread/);
    const bad = cli(['compress', join(dir, 'in.bin'), '-o', join(dir, 'c.pnz'), '--memory', 'lots']);
    expect(bad.status).toBe(EXIT_STATUS.OPTION);
    expect(bad.stderr).toMatch(/--memory must be a size/);
    // with codec deflate the same bound is enough
    expect(cli(['compress', join(dir, 'in.bin'), '-o', join(dir, 'd.pnz'), '-q', '--codec', 'deflate', '--memory', '200M']).status).toBe(0);
  });
});
