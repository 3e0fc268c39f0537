// The committed test vectors (test/vectors/*.pnz, made by test/vectors/generate.mjs): each decodes to its known
// original with decompress(), decompressStream(), verify() and the independent reference decoder, and rebuilding it
// from the original with the recorded options gives the committed bytes exactly — so the format (and the encoder's
// deterministic output) cannot drift by accident. A deliberate change regenerates them: npm run build &&
// node test/vectors/generate.mjs.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/node.js';
import { decodePnz } from './reference/pnz-decode.js';
import { buildVector, INPUTS, TREE, VECTORS, type Vector } from './vectors/spec.mjs';

interface Recorded extends Vector {
  containerSize: number;
  containerSha256: string;
  outputSize: number;
  outputSha256: string;
  records: number;
  dataRecords: number;
  refRecords: number;
  codecs: string[];
}

const DIR = new URL('./vectors/', import.meta.url);
const recorded = (JSON.parse(readFileSync(new URL('vectors.json', DIR), 'utf8')) as { vectors: Recorded[] }).vectors;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const read = (file: string) => new Uint8Array(readFileSync(new URL(file, DIR)));

async function streamDecode(c: Uint8Array, piece: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const rs = new ReadableStream<Uint8Array>({
    start(ctl) {
      for (let k = 0; k < c.length; k += piece) ctl.enqueue(c.slice(k, k + piece));
      ctl.close();
    },
  }).pipeThrough(api.decompressStream());
  for await (const p of rs as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}

beforeAll(async () => {
  await api.init();
});

describe('test vectors', () => {
  it('vectors.json lists exactly the vectors of spec.mjs, each file under 10 KiB', () => {
    expect(recorded.map((r) => ({ file: r.file, kind: r.kind, input: r.input, options: r.options, about: r.about, frozen: r.frozen }))).toEqual(
      VECTORS.map((v) => ({ file: v.file, kind: v.kind, input: v.input, options: v.options, about: v.about, frozen: v.frozen })),
    );
    for (const r of recorded) {
      expect(existsSync(new URL(r.file, DIR))).toBe(true);
      expect(r.containerSize).toBeLessThan(10 * 1024);
    }
  });

  for (const r of recorded) {
    describe(r.file, () => {
      it('decodes to its recorded original (decompress, decompressStream, verify, inspect, reference decoder)', async () => {
        const c = read(r.file);
        expect(c.length).toBe(r.containerSize);
        expect(sha(c)).toBe(r.containerSha256);
        const out = await api.decompress(c);
        expect(out.length).toBe(r.outputSize);
        expect(sha(out)).toBe(r.outputSha256);
        for (const piece of [1, 7, 64, 1 << 20]) expect(sha(await streamDecode(c, piece))).toBe(r.outputSha256);
        const v = await api.verify(c);
        expect(v.ok).toBe(true);
        expect(v.sha256).toBe(r.outputSha256);
        const info = await api.inspect(c);
        expect([info.records, info.dataRecords, info.refRecords]).toEqual([r.records, r.dataRecords, r.refRecords]);
        expect(info.codecs.map((x) => `${x.name}:${x.records}`)).toEqual(r.codecs);
        // the reference decoder implements codecs 0–2 (store, deflate via node:zlib, plz is UNSUPPORTED there too) only
        if (r.codecs.some((x) => /^(pfz|dhatu):/.test(x))) return;
        const ref = decodePnz(c);
        expect(sha(ref.output)).toBe(r.outputSha256);
        expect([ref.recordCount, ref.dataRecords, ref.refRecords]).toEqual([r.records, r.dataRecords, r.refRecords]);
        if (r.kind === 'bytes') expect(ref.manifest).toBeUndefined();
        expect(ref.manifest?.version).toBe(r.kind === 'bytes' ? undefined : r.frozen ? 1 : 2);
        if (r.kind === 'file') expect(ref.manifest).toMatchObject({ root: 'file', entries: [{ path: 'hello.txt', type: 'file', mode: 0o644, size: r.outputSize }] });
        if (r.kind === 'tree') {
          expect(ref.manifest!.root).toBe('tree');
          expect(ref.manifest!.entries.map((e) => [e.path, e.type, e.mode, e.mtime, e.target])).toEqual(TREE.map((e) => [e.path, e.type, e.mode, e.mtime, e.target]));
          const files = TREE.filter((e) => e.type === 'file');
          expect(ref.files.map((f) => [f.path, sha(f.data)])).toEqual(files.map((e) => [e.path, sha(e.data!())]));
        }
      });

      if (r.file === 'adaptive.pnz') {
        it('holds what it says: cut at line starts (semantic, the format recognised), not the cuts CDC makes', async () => {
          const c = read(r.file);
          const input = INPUTS.records!();
          const ref = decodePnz(c);
          expect(ref.records.length).toBeGreaterThan(1);
          for (const rec of ref.records.slice(1)) expect(input[rec.originalOffset - 1], `record ${rec.index} starts after a newline`).toBe(0x0a);
          const cdc = await api.compress(input, { ...r.options, strategy: 'cdc' });
          expect(Buffer.from(cdc).equals(Buffer.from(c)), 'the same bytes as strategy "cdc"').toBe(false);
        });
      }
      if (r.file === 'dhatu-reflate.pnz') {
        it('holds what it says: a dhātu record with a REFLATE stage that re-creates the ZIP entry (a zlib stream)', async () => {
          const info = await api.inspect(read(r.file));
          expect(info.stages.map((x) => x.name)).toContain('reflate');
          expect(info.reflate).toMatchObject({ records: 1, streams: 1, zlib: 1, foreign: 0 });
          expect(info.reflate.rawBytes).toBe(5000);
        });
      }

      it.skipIf(r.frozen)('rebuilding it from the original with the recorded options gives the same bytes', async () => {
        const work = mkdtempSync(join(tmpdir(), 'pnz-vec-'));
        try {
          const { container, output } = await buildVector(api, r, work);
          expect(sha(output)).toBe(r.outputSha256);
          expect(container.length).toBe(r.containerSize);
          expect(Buffer.from(container).equals(Buffer.from(read(r.file)))).toBe(true);
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      });
    });
  }

  it.each(['tree.pnz', 'tree-v1.pnz'])('%s extracts to the recorded tree (extractTree)', async (name) => {
    const work = mkdtempSync(join(tmpdir(), 'pnz-vec-x-'));
    try {
      const pnz = join(work, 'tree.pnz');
      await import('node:fs').then((fs) => fs.writeFileSync(pnz, read(name)));
      await api.extractTree(pnz, join(work, 'out'));
      for (const e of TREE) {
        const p = join(work, 'out', ...e.path.split('/'));
        const st = lstatSync(p);
        if (e.type === 'file') {
          expect(Buffer.compare(readFileSync(p), e.data!())).toBe(0);
          expect(st.mode & 0o7777).toBe(e.mode);
          expect(st.mtimeMs).toBe(e.mtime);
        } else if (e.type === 'dir') {
          expect(st.isDirectory()).toBe(true);
          expect(st.mode & 0o7777).toBe(e.mode);
        } else {
          expect(readlinkSync(p)).toBe(e.target);
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
