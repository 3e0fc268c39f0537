// The recent output a sequential decode keeps for COMM copies: it starts at 64 MiB and grows to the farthest reach a
// record's own copies ask for (never past its limit, never shrinking), so a container decodes with about the history
// its encoder had. Whatever the history, the output is the same: older bytes are re-decoded through the index, or read
// back from where the caller put the output (memory, the file or the tree being written) and checked like the rest.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compress, compressFile, compressTree, decompress, decompressFile, extractTree, init, PaniniError } from '../../src/node.js';
import { OutputHistory } from '../../src/container/history.js';
import { bytesSource, openContainer } from '../../src/container/read.js';
import { walk } from '../../src/container/walk.js';
import { nodeSha256 } from '../helpers/oracles.js';
import { prngBytes } from '../helpers/prng.mjs';

const MiB = 1 << 20;

describe('OutputHistory.reach', () => {
  it('grows in whole MiB to the distance asked, up to its limit, and never shrinks', () => {
    const h = new OutputHistory(4 * MiB, 10 * MiB);
    expect(h.capacity).toBe(4 * MiB);
    h.reach(3 * MiB);
    expect(h.capacity).toBe(4 * MiB);
    h.reach(5 * MiB + 1);
    expect(h.capacity).toBe(6 * MiB);
    h.reach(5 * MiB);
    expect(h.capacity).toBe(6 * MiB);
    h.reach(40 * MiB);
    expect(h.capacity).toBe(10 * MiB);
    expect(new OutputHistory(8 * MiB, 2 * MiB).capacity).toBe(2 * MiB);
    expect(new OutputHistory(8 * MiB).limit).toBe(8 * MiB);
  });

  it('keeps every byte of the last capacity after growing, and drops what is older', () => {
    const h = new OutputHistory(2 * MiB, 8 * MiB);
    const seg = (k: number) => new Uint8Array(MiB).fill(k);
    for (let k = 0; k < 4; k++) h.push(seg(k));
    expect(h.holds(0, MiB)).toBe(false); // only the last 2 MiB were kept
    expect(h.holds(2 * MiB, 2 * MiB)).toBe(true);
    h.reach(5 * MiB);
    for (let k = 4; k < 9; k++) h.push(seg(k));
    expect(h.start).toBe(4 * MiB); // 9 MiB written, the last 5 kept
    expect(h.read(4 * MiB, 5 * MiB).every((b, i) => b === 4 + Math.floor(i / MiB))).toBe(true);
  });
});

describe('walk: the history follows the copies', () => {
  // A (16 MiB) · B (64 MiB) · A with one byte in 64 KiB changed: the changed bytes keep the repeat's chunks from being
  // REF records, so its bytes are COMM copies reaching 80 MiB back, past the walk's first 64 MiB.
  const a = prngBytes(101, 16 * MiB);
  const b = prngBytes(202, 64 * MiB);
  const a2 = a.slice();
  for (let i = 1000; i < a2.length; i += 64 << 10) a2[i] = a2[i]! ^ 0x5a;
  const input = new Uint8Array(a.length + b.length + a2.length);
  input.set(a, 0);
  input.set(b, a.length);
  input.set(a2, a.length + b.length);

  it('grows to the reach of copies 80 MiB back and restores the input', { timeout: 240_000 }, async () => {
    await init();
    const c = await compress(input, { level: 1, dedupWindow: 0 });
    const info = await openContainer(bytesSource(c));
    const out: Uint8Array[] = [];
    const stats = await walk(bytesSource(c), info, { signal: undefined, onProgress: undefined }, (d) => {
      out.push(d.slice());
    });
    expect(nodeSha256(Buffer.concat(out))).toBe(nodeSha256(input));
    expect(stats.historyBytes).toBeGreaterThanOrEqual(80 * MiB);
    expect(stats.historyBytes).toBeLessThanOrEqual(88 * MiB);
    // A had left the history when its repeat began: its records were decoded again, each once (plus the record
    // that straddles A's end)
    expect(stats.redecodedBytes).toBeGreaterThanOrEqual(a.length);
    expect(stats.redecodedBytes).toBeLessThanOrEqual(a.length + 4 * MiB);
  });

  it('stays at 64 MiB when no copy reaches farther', { timeout: 240_000 }, async () => {
    await init();
    const near = new Uint8Array(a.length + 8 * MiB + a2.length);
    near.set(a, 0);
    near.set(b.subarray(0, 8 * MiB), a.length);
    near.set(a2, a.length + 8 * MiB);
    const c = await compress(near, { level: 1, dedupWindow: 0 });
    const info = await openContainer(bytesSource(c));
    const out: Uint8Array[] = [];
    const stats = await walk(bytesSource(c), info, { signal: undefined, onProgress: undefined }, (d) => {
      out.push(d.slice());
    });
    expect(nodeSha256(Buffer.concat(out))).toBe(nodeSha256(near));
    expect(stats.historyBytes).toBe(64 * MiB);
    expect(stats.redecodedBytes).toBe(0);
  });
});

describe('walk: copies and REFs past the history are read back', () => {
  // A (16 MiB) · B (64 MiB) · A changed (COMM copies 80 MiB back) · A again (REF records 96 MiB back)
  const a = prngBytes(303, 16 * MiB);
  const b = prngBytes(404, 64 * MiB);
  const a2 = a.slice();
  for (let i = 2000; i < a2.length; i += 64 << 10) a2[i] = a2[i]! ^ 0xa5;
  const parts = [a, b, a2, a];
  const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    input.set(p, o);
    o += p.length;
  }
  let pnz: Uint8Array;
  const container = async (): Promise<Uint8Array> => (pnz ??= await compress(input, { level: 1, dedupWindow: 0 }));

  it('reads far sources from readBack instead of decoding again, and restores the input', { timeout: 240_000 }, async () => {
    await init();
    const c = await container();
    const info = await openContainer(bytesSource(c));
    const out = new Uint8Array(input.length);
    let reads = 0;
    let readBytes = 0;
    const readBack = (at: number, n: number): Promise<Uint8Array> => {
      reads++;
      readBytes += n;
      expect(at + n).toBeLessThanOrEqual(out.length);
      return Promise.resolve(out.slice(at, at + n));
    };
    const stats = await walk(bytesSource(c), info, { signal: undefined, onProgress: undefined, readBack }, (d, _i, at) => {
      out.set(d, at);
    });
    expect(nodeSha256(out)).toBe(nodeSha256(input));
    expect(stats.redecodedBytes).toBe(0);
    expect(reads).toBeGreaterThan(0);
    expect(readBytes).toBeGreaterThan(a.length / 2); // most of the far copies of A (the rest lie in a2, within the history)
  });

  it('reads a far REF\'s target back (after checking that it names a DATA record)', { timeout: 240_000 }, async () => {
    await init();
    // A · B · A in fixed 1 MiB chunks: the second A's chunks are REFs 80 MiB back, past the 32 MiB of recent records
    // a walk keeps for REFs
    const x = new Uint8Array(2 * a.length + b.length);
    x.set(a, 0);
    x.set(b, a.length);
    x.set(a, a.length + b.length);
    const c = await compress(x, { codec: 'deflate', level: 1, strategy: 'fixed', chunkSize: MiB, dedupWindow: 0 });
    const info = await openContainer(bytesSource(c));
    const out = new Uint8Array(info.footer.totalSize);
    let readBytes = 0;
    const readBack = (at: number, n: number): Promise<Uint8Array> => {
      readBytes += n;
      return Promise.resolve(out.slice(at, at + n));
    };
    const stats = await walk(bytesSource(c), info, { signal: undefined, onProgress: undefined, readBack }, (d, _i, at) => {
      out.set(d, at);
    });
    expect(stats.refRecords).toBeGreaterThan(0);
    expect(stats.redecodedBytes).toBe(0);
    expect(readBytes).toBe(a.length);
    expect(nodeSha256(out.subarray(a.length + b.length))).toBe(nodeSha256(a));
  });

  it('checks what readBack returns: wrong bytes are a CHECKSUM error, not wrong output', { timeout: 240_000 }, async () => {
    await init();
    const c = await container();
    const info = await openContainer(bytesSource(c));
    const out = new Uint8Array(input.length);
    const readBack = (at: number, n: number): Promise<Uint8Array> => {
      const r = out.slice(at, at + n);
      r[r.length >> 1] = r[r.length >> 1]! ^ 1;
      return Promise.resolve(r);
    };
    const e = await walk(bytesSource(c), info, { signal: undefined, onProgress: undefined, readBack }, (d, _i, at) => {
      out.set(d, at);
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PaniniError);
    expect((e as PaniniError).code).toBe('CHECKSUM');
  });

  it('decompress, decompressFile and extractTree restore far copies and REFs exactly', { timeout: 400_000 }, async () => {
    await init();
    expect(nodeSha256(await decompress(await container()))).toBe(nodeSha256(input));
    const dir = mkdtempSync(join(tmpdir(), 'pfs-readback-'));
    try {
      writeFileSync(join(dir, 'one.bin'), input);
      await compressFile(join(dir, 'one.bin'), join(dir, 'one.pnz'), { level: 1 });
      await decompressFile(join(dir, 'one.pnz'), join(dir, 'one.out'));
      expect(nodeSha256(readFileSync(join(dir, 'one.out')))).toBe(nodeSha256(input));
      // the same bytes as a tree: A's repeats are other files, and a small file between them
      const t = join(dir, 'tree');
      mkdirSync(join(t, 'sub'), { recursive: true });
      writeFileSync(join(t, '1-a.bin'), a);
      writeFileSync(join(t, '2-b.bin'), b);
      writeFileSync(join(t, 'sub', '3-small.txt'), 'between\n');
      writeFileSync(join(t, 'sub', '4-a2.bin'), a2);
      writeFileSync(join(t, 'sub', '5-a.bin'), a);
      await compressTree(t, join(dir, 'tree.pnz'), { level: 1 });
      await extractTree(join(dir, 'tree.pnz'), join(dir, 'back'));
      for (const [f, want] of [['1-a.bin', a], ['2-b.bin', b], ['sub/4-a2.bin', a2], ['sub/5-a.bin', a]] as const) {
        expect(nodeSha256(readFileSync(join(dir, 'back', f)))).toBe(nodeSha256(want));
      }
      expect(readFileSync(join(dir, 'back', 'sub', '3-small.txt'), 'utf8')).toBe('between\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
