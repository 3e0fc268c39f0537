// listRecords (per-record listing with the dhātu stage chain) and compressFiles (an in-memory tree as a tree
// container), checked against node:crypto digests, inspect()'s totals and the Node tree reader (extractTree).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compress, compressFiles, decompress, extract, extractTree, init, inspect, listRecords, PaniniError } from '../../src/node.js';
import { prngBytes } from '../helpers/prng.mjs';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const text = (n: number, seed: string) => new TextEncoder().encode(Array.from({ length: n }, (_, i) => `${seed} line ${i} ${(i * 7919) % 1000}\n`).join(''));

describe('listRecords', () => {
  it('covers the input record by record, with SHA-256s and stage chains that add up to inspect()', async () => {
    await init();
    const a = text(40000, 'alpha');
    const input = new Uint8Array(a.length * 2 + 300_000);
    input.set(a, 0);
    input.set(prngBytes(7, 300_000), a.length);
    input.set(a, a.length + 300_000); // a repeat: REF records or COMM copies
    for (const codec of ['dhatu', 'deflate'] as const) {
      const pnz = await compress(input, { codec, level: 1 });
      const recs = await listRecords(pnz);
      const info = await inspect(pnz);
      expect(recs.length).toBe(info.records);
      let at = 0;
      for (const r of recs) {
        expect(r.offset).toBe(at);
        expect(r.sha256).toBe(sha(input.subarray(r.offset, r.offset + r.length)));
        at += r.length;
      }
      expect(at).toBe(input.length);
      expect(recs.filter((r) => r.kind === 'ref').length).toBe(info.refRecords);
      expect(recs.reduce((s, r) => s + r.storedLength, 0)).toBe(info.codecs.reduce((s, c) => s + c.storedBytes, 0));
      if (codec === 'dhatu') {
        expect(recs.every((r) => r.codec === 'dhatu' && r.stages.length > 0)).toBe(true);
        const byDhatu = new Map<string, number>();
        for (const r of recs) if (r.kind === 'data') for (const s of r.stages) byDhatu.set(s.dhatu, (byDhatu.get(s.dhatu) ?? 0) + s.handled);
        expect(Object.fromEntries(byDhatu)).toEqual(Object.fromEntries(info.dhatu.map((d) => [d.primitive, d.bytes])));
      } else {
        expect(recs.every((r) => r.stages.length === 0)).toBe(true);
      }
    }
  });

  it('rejects a damaged container with a typed error', async () => {
    const pnz = await compress(text(5000, 'beta'), { codec: 'dhatu', level: 1 });
    const bad = pnz.slice(0, pnz.length - 3);
    await expect(listRecords(bad)).rejects.toBeInstanceOf(PaniniError);
  });
});

describe('compressFiles', () => {
  it('writes a tree container that extractTree restores file for file (node:crypto digests)', async () => {
    const files = [
      { path: 'docs/readme.txt', data: text(3000, 'readme') },
      { path: 'data/a/big.bin', data: prngBytes(11, 200_000), mtime: 1_700_000_000_000 },
      { path: 'data/a/copy.bin', data: prngBytes(11, 200_000) },
      { path: 'empty', data: new Uint8Array(0) },
      { path: 'z.json', data: new TextEncoder().encode(JSON.stringify({ x: [1, 2, 3] })) },
    ];
    const pnz = await compressFiles(files, { codec: 'dhatu', level: 1 });
    const info = await inspect(pnz);
    expect(info.manifest?.root).toBe('tree');
    expect(info.manifest?.entries.filter((e) => e.type === 'dir').map((e) => e.path)).toEqual(['data', 'data/a', 'docs']);
    expect(pnz.length).toBeLessThan(260_000); // the identical 200 kB random file is stored once (COMM copies it)
    const all = await decompress(pnz);
    expect(all.length).toBe(files.reduce((s, f) => s + f.data.length, 0));
    for (const f of files) expect(sha(await extract(pnz, f.path))).toBe(sha(f.data));
    const dir = mkdtempSync(join(tmpdir(), 'panini-files-'));
    try {
      writeFileSync(join(dir, 't.pnz'), pnz);
      await extractTree(join(dir, 't.pnz'), join(dir, 'out'));
      for (const f of files) expect(sha(readFileSync(join(dir, 'out', f.path)))).toBe(sha(f.data));
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(['data', 'docs', 'empty', 'z.json']);
      expect(statSync(join(dir, 'out', 'data/a/big.bin')).mtimeMs).toBe(1_700_000_000_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unsafe, repeated and conflicting paths', async () => {
    const d = new Uint8Array(3);
    await expect(compressFiles([{ path: '../x', data: d }])).rejects.toMatchObject({ code: 'PATH' });
    await expect(compressFiles([{ path: 'a', data: d }, { path: 'a', data: d }])).rejects.toMatchObject({ code: 'PATH' });
    await expect(compressFiles([{ path: 'a', data: d }, { path: 'a/b', data: d }])).rejects.toMatchObject({ code: 'PATH' });
  });
});
