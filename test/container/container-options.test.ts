// Option validation by recording readers: the keys the code reads are the keys accepted; any other key is an OPTION
// error naming it and listing the accepted ones, for compress, decompress and the file helpers (which add `force`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compress, compressFile, decompress, decompressFile, init, PaniniError } from '../../src/node.js';
import { resolveCompressOptions, resolveDecompressOptions } from '../../src/container/options.js';

async function err(p: unknown): Promise<PaniniError> {
  try {
    await (typeof p === 'function' ? (p as () => unknown)() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(PaniniError);
    return e as PaniniError;
  }
  throw new Error('no error');
}

describe('options read by recorders', () => {
  it('compress and decompress name an unknown key and list the keys they read', async () => {
    await init();
    const c = await err(() => resolveCompressOptions({ level: 2, turbo: true }));
    expect(c.code).toBe('OPTION');
    expect(c.where?.option).toBe('turbo');
    for (const k of ['level', 'codec', 'blockSize', 'strategy', 'dedupWindow', 'workers', 'memory', 'onProgress', 'signal']) expect(c.message).toContain(k);
    const d = await err(() => resolveDecompressOptions({ maxWindow: 1 << 20, level: 3 }, 'decompress', 1));
    expect(d.where?.option).toBe('level');
    expect(d.message).toMatch(/allowed: maxOutputSize, maxWindow, workers, onProgress, signal/);
    expect((await err(compress(new Uint8Array(10), { levle: 2 } as never))).where?.option).toBe('levle');
    expect((await err(decompress(await compress(new Uint8Array(10)), { max: 1 } as never))).where?.option).toBe('max');
    // not an object
    for (const bad of [null, 3, 'x', [1]]) expect((await err(() => resolveCompressOptions(bad))).code).toBe('OPTION');
    // undefined values are as good as absent
    expect(resolveCompressOptions({ level: undefined, workers: undefined }).level).toBe(2);
  });

  it("compress cuts CDC pieces by chunk()'s size rule, every bound at most a record (64 MiB)", async () => {
    const { CDC_LIMITS, resolveChunkOptions } = await import('../../src/chunk/options.js');
    // the same values and the same errors as chunk() for the same sizes
    for (const sizes of [{}, { avgSize: 256 }, { avgSize: 4096, minSize: 64 }, { minSize: 1 << 20, avgSize: 2 << 20, maxSize: 8 << 20 }]) {
      const c = resolveChunkOptions({ strategy: 'cdc', ...sizes }) as { minSize: number; avgSize: number; maxSize: number; bits: number };
      const o = resolveCompressOptions(sizes);
      expect([o.minSize, o.avgSize, o.maxSize, o.bits]).toEqual([c.minSize, c.avgSize, c.maxSize, c.bits]);
    }
    for (const bad of [{ avgSize: CDC_LIMITS.avgSize[0] - 1 }, { minSize: 8192, avgSize: 4096 }, { avgSize: 8192, maxSize: 4096 }, { minSize: 4096, avgSize: 4096, maxSize: 4096 }]) {
      const a = await err(() => resolveChunkOptions({ strategy: 'cdc', ...bad }));
      const b = await err(() => resolveCompressOptions(bad));
      expect(b.where?.option).toBe(a.where?.option);
      // the same message, but for the upper bound of a range (a record's 64 MiB in compress)
      expect(b.message.replace(/, \d+\]/, ', N]')).toBe(a.message.replace(/, \d+\]/, ', N]'));
    }
    // a record is at most 64 MiB: larger bounds are chunk()'s only
    expect(resolveChunkOptions({ strategy: 'cdc', maxSize: 128 << 20 })).toMatchObject({ maxSize: 128 << 20 });
    expect((await err(() => resolveCompressOptions({ maxSize: 128 << 20 }))).message).toMatch(/"maxSize" must be in \[256, 67108864\]/);
  });

  it('the file helpers take force on top, and pass everything else to the same check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panini-opts-'));
    try {
      const f = join(dir, 'a.txt');
      writeFileSync(f, 'hello '.repeat(100));
      await compressFile(f, join(dir, 'a.pnz'), { force: true, level: 1 });
      const e = await err(compressFile(f, join(dir, 'b.pnz'), { force: true, speed: 9 } as never));
      expect(e.where?.option).toBe('speed');
      const g = await err(decompressFile(join(dir, 'a.pnz'), join(dir, 'a.out'), { force: true, levl: 1 } as never));
      expect(g.where?.option).toBe('levl');
      expect((await err(compressFile(f, join(dir, 'c.pnz'), { force: 'yes' } as never))).where?.option).toBe('force');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
