// The container manifest, version 2 (docs/FORMAT.md "Manifest version 2"): round trips of random trees, agreement
// with the independent reference decoder (test/reference/pnz-decode.ts) on every valid and hostile manifest, the
// columns built by hand from the spec (store coder) for each rule, byte-level mutation fuzzing, and whole containers
// whose files are cut in an output order other than the manifest's.
import { createHash } from 'node:crypto';
import { crc32 as zcrc32 } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressFiles, decompress, extract, init, PaniniError, verify } from '../../src/index.js';
import { decodeManifest, encodeManifest, MAX_MANIFEST_RAW, outputFiles, type Manifest, type ManifestEntry } from '../../src/container/manifest.js';
import { writeEnd, writeFooter, writeHeader, writeIndex, writeRecordHeader } from '../../src/container/format.js';
import { decodeManifest as refDecodeManifest, decodePnz, RefError } from '../reference/pnz-decode.js';
import { mulberry32 } from '../helpers/prng.mjs';

beforeAll(async () => {
  await init();
});

const crc = (b: Uint8Array) => zcrc32(b) >>> 0;
const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const te = new TextEncoder();

// ------------------------------------------------------------------ a manifest written by hand from the spec text
function uv(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
interface Cols {
  types: number[];
  plen: number[];
  pbytes: number[];
  modes: number[];
  mtimes: number[];
  sizes: number[];
  crcs: number[];
  links: number[];
  order: number[];
}
/** Columns for entries written as the spec says (front coding against the previous path, XOR and zigzag deltas). */
function columns(entries: { path: string; type: 'file' | 'dir' | 'symlink' | 'hardlink'; mode?: number; mtime?: number; size?: number; crc?: number; target?: string }[]): Cols {
  const c: Cols = { types: [], plen: [], pbytes: [], modes: [], mtimes: [], sizes: [], crcs: [], links: [], order: [] };
  let prev: Uint8Array = new Uint8Array(0);
  const lastMode: Record<string, number> = {};
  let lastMt = 0;
  for (const e of entries) {
    c.types.push({ file: 0, dir: 1, symlink: 2, hardlink: 3 }[e.type]);
    const p = te.encode(e.path);
    let k = 0;
    while (k < p.length && k < prev.length && p[k] === prev[k]) k++;
    c.plen.push(...uv(k), ...uv(p.length - k));
    c.pbytes.push(...p.subarray(k));
    prev = p;
    const mode = e.mode ?? 0o644;
    c.modes.push(...uv(mode ^ (lastMode[e.type] ?? 0)));
    lastMode[e.type] = mode;
    const d = (e.mtime ?? 0) - lastMt;
    lastMt = e.mtime ?? 0;
    c.mtimes.push(...uv(d >= 0 ? 2 * d : -2 * d - 1));
    if (e.type === 'file') {
      c.sizes.push(...uv(e.size ?? 0));
      const x = e.crc ?? 0;
      c.crcs.push(x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24);
    }
    if (e.type === 'symlink' || e.type === 'hardlink') {
      const t = te.encode(e.target ?? 'x');
      c.links.push(...uv(t.length), ...t);
    }
  }
  return c;
}
const ORDER: (keyof Cols)[] = ['types', 'plen', 'pbytes', 'modes', 'mtimes', 'sizes', 'crcs', 'links', 'order'];
/** The manifest bytes: header, then every column stored (coder 0, one block). */
function manifestBytes(c: Cols, o: { root?: number; reserved?: number; n?: number; coder?: Partial<Record<keyof Cols, number>>; rawLength?: Partial<Record<keyof Cols, number>>; tail?: number[] } = {}): Uint8Array {
  const out: number[] = [2, o.root ?? 1, o.reserved ?? 0, ...uv(o.n ?? c.types.length)];
  for (const k of ORDER) {
    const col = c[k];
    out.push(o.coder?.[k] ?? 0, ...uv(o.rawLength?.[k] ?? col.length), ...uv(col.length), ...col);
  }
  out.push(...(o.tail ?? []));
  return Uint8Array.from(out);
}

function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof PaniniError || e instanceof RefError) return e.code;
    throw e; // a crash, not a typed rejection
  }
}
const both = (b: Uint8Array, total: number) => [outcome(() => decodeManifest(b, total)), outcome(() => refDecodeManifest(b, total))];

// ------------------------------------------------------------------ random trees
const segment = fc.oneof(fc.constantFrom('a', 'b', 'src', 'lib', 'README.md', 'index.js', 'é', 'データ', '🙂'), fc.stringMatching(/^[a-z0-9._-]{1,12}$/)).filter((s) => s !== '.' && s !== '..');
const tree = fc
  .array(fc.record({ dirs: fc.array(segment, { maxLength: 3 }), name: segment, kind: fc.constantFrom('file', 'file', 'file', 'symlink', 'hardlink'), size: fc.nat(5000), mode: fc.nat(0o7777), mtime: fc.integer({ min: -(2 ** 40), max: 2 ** 44 }), crc: fc.nat(0xffffffff), target: fc.constantFrom('../x', '/etc/passwd', 'b/c', 'ünï') }), { maxLength: 40 })
  .map((items) => {
    const entries: ManifestEntry[] = [];
    const seen = new Set<string>();
    const typeOf = new Map<string, string>();
    for (const it of items) {
      const prefixes = it.dirs.map((_, d) => it.dirs.slice(0, d + 1).join('/'));
      if (prefixes.some((p) => typeOf.has(p) && typeOf.get(p) !== 'dir')) continue; // a file or link is in the way
      for (const dir of prefixes) {
        if (typeOf.has(dir)) continue;
        typeOf.set(dir, 'dir');
        seen.add(dir);
        entries.push({ path: dir, type: 'dir', mode: 0o755, mtime: it.mtime, size: 0 });
      }
      const path = [...it.dirs, it.name].join('/');
      if (seen.has(path)) continue;
      typeOf.set(path, it.kind);
      seen.add(path);
      const earlier = entries.find((e) => e.type === 'file');
      if (it.kind === 'hardlink' && earlier) entries.push({ path, type: 'hardlink', mode: it.mode, mtime: it.mtime, size: 0, target: earlier.path });
      else if (it.kind === 'file' || it.kind === 'hardlink') entries.push({ path, type: 'file', mode: it.mode, mtime: it.mtime, size: it.size, crc32: it.crc });
      else entries.push({ path, type: 'symlink', mode: 0o777, mtime: it.mtime, size: 0, target: it.target });
    }
    return entries;
  });

describe('manifest version 2', () => {
  it('random trees round-trip; the reference decoder reads the same entries and order', () => {
    fc.assert(
      fc.property(tree, fc.integer(), (entries, seed) => {
        const files = entries.filter((e) => e.type === 'file').length;
        const rnd = mulberry32(seed);
        const order = Array.from({ length: files }, (_, i) => i);
        for (let i = files - 1; i > 0; i--) {
          const j = rnd() % (i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const m: Manifest = { version: 2, root: 'tree', entries, ...(seed % 2 ? { order } : {}) };
        const total = entries.reduce((s, e) => s + e.size, 0);
        const b = encodeManifest(m);
        expect(b[0]).toBe(2);
        expect(encodeManifest(m)).toEqual(b); // deterministic
        const got = decodeManifest(b, total);
        expect(got.entries).toEqual(entries);
        const identity = !m.order || m.order.every((x, i) => x === i);
        expect(got.order).toEqual(identity ? undefined : m.order);
        const ref = refDecodeManifest(b, total);
        expect(ref.entries.map((e) => [e.path, e.type, e.mode, e.mtime, e.size, e.crc32, e.target])).toEqual(entries.map((e) => [e.path, e.type, e.mode, e.mtime, e.size, e.crc32, e.target]));
        expect(ref.order).toEqual(got.order);
        const inManifestOrder = entries.filter((e) => e.type === 'file');
        expect(outputFiles(got).map((e) => e.path)).toEqual((got.order ?? inManifestOrder.map((_, i) => i)).map((x) => inManifestOrder[x]!.path));
      }),
      { numRuns: 200 },
    );
  });

  it('a hand-written manifest (every column stored) decodes as the spec says', () => {
    const c = columns([
      { path: 'd', type: 'dir', mode: 0o755, mtime: 1_700_000_000_000 },
      { path: 'd/a.txt', type: 'file', mode: 0o644, mtime: 1_700_000_001_000, size: 3, crc: 0x12345678 },
      { path: 'd/ab', type: 'symlink', mode: 0o777, mtime: 5, target: '../x' },
      { path: 'e', type: 'file', mode: 0o600, mtime: -7, size: 2, crc: 1 },
    ]);
    const m = decodeManifest(manifestBytes(c), 5);
    expect(m.entries).toEqual([
      { path: 'd', type: 'dir', mode: 0o755, mtime: 1_700_000_000_000, size: 0 },
      { path: 'd/a.txt', type: 'file', mode: 0o644, mtime: 1_700_000_001_000, size: 3, crc32: 0x12345678 },
      { path: 'd/ab', type: 'symlink', mode: 0o777, mtime: 5, size: 0, target: '../x' },
      { path: 'e', type: 'file', mode: 0o600, mtime: -7, size: 2, crc32: 1 },
    ]);
    expect(both(manifestBytes(c), 5)).toEqual(['ok', 'ok']);
    // the same entries with files in the other order
    expect(decodeManifest(manifestBytes({ ...c, order: [1, 0] }), 5).order).toEqual([1, 0]);
  });

  it('hostile manifests: each rule of the spec, the same error class from src/ and from the reference', () => {
    const ok = [
      { path: 'd', type: 'dir' as const },
      { path: 'd/a', type: 'file' as const, size: 3 },
      { path: 'l', type: 'symlink' as const, target: 't' },
    ];
    const c = columns(ok);
    const edit = (k: keyof Cols, v: number[]) => ({ ...c, [k]: v });
    const cases: [string, Uint8Array, number, string][] = [
      ['root byte', manifestBytes(c, { root: 2 }), 3, 'FORMAT'],
      ['reserved byte', manifestBytes(c, { reserved: 1 }), 3, 'FORMAT'],
      ['first byte neither 02 nor a map', Uint8Array.of(3, 1, 0, 0), 0, 'FORMAT'],
      ['unknown coder', manifestBytes(c, { coder: { sizes: 200 } }), 3, 'UNSUPPORTED'],
      ['columns over MAX_MANIFEST_RAW', manifestBytes(c, { coder: { links: 1 }, rawLength: { links: MAX_MANIFEST_RAW } }), 3, 'LIMIT'],
      ['stored block of the wrong length', manifestBytes(c, { rawLength: { types: 4 } }), 3, 'FORMAT'],
      ['entry count differs from types', manifestBytes(c, { n: 4 }), 3, 'FORMAT'],
      ['type 3', manifestBytes(edit('types', [1, 3, 2])), 3, 'FORMAT'],
      ['prefix longer than the previous path', manifestBytes(edit('plen', [0, 1, 9, 1, 0, 1])), 3, 'FORMAT'],
      ['path bytes missing', manifestBytes(edit('pbytes', c.pbytes.slice(0, -1))), 3, 'FORMAT'],
      ['path bytes left over', manifestBytes(edit('pbytes', [...c.pbytes, 0x61])), 3, 'FORMAT'],
      ['path not UTF-8', manifestBytes(columns([{ path: 'x', type: 'file', size: 3 }]), { tail: [] }).map((x, i, a) => (i === a.indexOf(0x78) ? 0xff : x)), 3, 'FORMAT'],
      ['dot-dot', manifestBytes(columns([{ path: '..', type: 'file', size: 3 }])), 3, 'PATH'],
      ['absolute', manifestBytes(columns([{ path: '/etc/passwd', type: 'file', size: 3 }])), 3, 'PATH'],
      ['backslash', manifestBytes(columns([{ path: 'a\\b', type: 'file', size: 3 }])), 3, 'PATH'],
      ['no parent', manifestBytes(columns([{ path: 'd/a', type: 'file', size: 3 }])), 3, 'FORMAT'],
      ['parent is a file', manifestBytes(columns([{ path: 'd', type: 'file', size: 3 }, { path: 'd/a', type: 'file', size: 0 }])), 3, 'FORMAT'],
      ['duplicate', manifestBytes(columns([{ path: 'a', type: 'file', size: 1 }, { path: 'a', type: 'file', size: 2 }])), 3, 'FORMAT'],
      ['mode over 0o7777', manifestBytes(edit('modes', [...uv(0o10000), 0, 0])), 3, 'FORMAT'],
      ['mtime over 2^51', manifestBytes(columns([{ path: 'a', type: 'file', size: 3, mtime: 2 ** 51 }])), 3, 'FORMAT'],
      ['varint over 8 bytes', manifestBytes(edit('mtimes', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0])), 3, 'FORMAT'],
      ['sizes do not add up', manifestBytes(c), 4, 'FORMAT'],
      ['sizes column left over', manifestBytes(edit('sizes', [3, 0])), 3, 'FORMAT'],
      ['CRC32 column short', manifestBytes(edit('crcs', [0, 0, 0])), 3, 'FORMAT'],
      ['empty link target', manifestBytes(columns([{ path: 'l', type: 'symlink', target: '' }])), 0, 'FORMAT'],
      ['link target with NUL', manifestBytes(columns([{ path: 'l', type: 'symlink', target: 'a\0b' }])), 0, 'FORMAT'],
      ['order not a permutation', manifestBytes({ ...columns([{ path: 'a', type: 'file', size: 1 }, { path: 'b', type: 'file', size: 2 }]), order: [0, 0] }), 3, 'FORMAT'],
      ['order out of range', manifestBytes({ ...columns([{ path: 'a', type: 'file', size: 1 }, { path: 'b', type: 'file', size: 2 }]), order: [0, 2] }), 3, 'FORMAT'],
      ['order too long', manifestBytes({ ...columns([{ path: 'a', type: 'file', size: 1 }, { path: 'b', type: 'file', size: 2 }]), order: [1, 0, 0] }), 3, 'FORMAT'],
      ['hard link to a later file', manifestBytes(columns([{ path: 'h', type: 'hardlink', target: 'a' }, { path: 'a', type: 'file', size: 3 }])), 3, 'FORMAT'],
      ['hard link to a directory', manifestBytes(columns([{ path: 'd', type: 'dir' }, { path: 'h', type: 'hardlink', target: 'd' }, { path: 'a', type: 'file', size: 3 }])), 3, 'FORMAT'],
      ['hard link to nothing', manifestBytes(columns([{ path: 'a', type: 'file', size: 3 }, { path: 'h', type: 'hardlink', target: 'b' }])), 3, 'FORMAT'],
      ['root file with a directory', manifestBytes(columns([{ path: 'd', type: 'dir' }]), { root: 0 }), 0, 'FORMAT'],
      ['bytes after the last column', manifestBytes(c, { tail: [0] }), 3, 'FORMAT'],
      ['truncated header', Uint8Array.of(2, 1), 0, 'FORMAT'],
    ];
    expect(both(manifestBytes(c), 3)).toEqual(['ok', 'ok']);
    expect(both(manifestBytes(columns([{ path: 'a', type: 'file', size: 3 }, { path: 'h', type: 'hardlink', target: 'a' }])), 3)).toEqual(['ok', 'ok']);
    for (const [name, b, total, code] of cases) expect(both(b, total), name).toEqual([code, code]);
  });

  it('mutated manifests (bit flips, truncations, insertions) are rejected with a typed error or decode alike in both decoders', () => {
    const rnd = mulberry32(77);
    const samples: { b: Uint8Array; total: number }[] = [];
    fc.sample(tree, { numRuns: 30, seed: 5 }).forEach((entries, i) => {
      const files = entries.filter((e) => e.type === 'file').length;
      const order = i % 2 ? Array.from({ length: files }, (_, k) => files - 1 - k) : undefined;
      samples.push({ b: encodeManifest({ version: 2, root: 'tree', entries, ...(order ? { order } : {}) }), total: entries.reduce((s, e) => s + e.size, 0) });
    });
    let rejected = 0;
    let runs = 0;
    for (const { b, total } of samples) {
      for (let t = 0; t < 60; t++) {
        let m = b.slice();
        const op = t % 3;
        if (op === 0) m[rnd() % m.length]! ^= 1 << rnd() % 8;
        else if (op === 1) m = m.subarray(0, rnd() % m.length);
        else {
          const at = rnd() % m.length;
          m = Uint8Array.from([...m.subarray(0, at), rnd() % 256, ...m.subarray(at)]);
        }
        runs++;
        const [a, r] = both(m, total);
        expect(a === 'ok', `mutation ${t}: src ${a}, reference ${r}`).toBe(r === 'ok');
        if (a === 'ok') {
          const x = decodeManifest(m, total);
          const y = refDecodeManifest(m, total);
          expect(y.entries.map((e) => [e.path, e.type, e.mode, e.mtime, e.size, e.crc32, e.target])).toEqual(x.entries.map((e) => [e.path, e.type, e.mode, e.mtime, e.size, e.crc32, e.target]));
          expect(y.order).toEqual(x.order);
        } else rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(runs / 4); // a flip inside a stored path or time often gives another valid manifest: the container's manifest CRC is what catches those
  });
});

// ------------------------------------------------------------------ whole containers
/** One stored record holding `output`, with `manifest`. */
function container(output: Uint8Array, manifest: Uint8Array): Uint8Array {
  const h = writeHeader({ version: 1, flags: 0, window: 0 });
  const r = writeRecordHeader({ kind: 1, codec: 0, params: 0, storedLength: output.length, originalLength: output.length, target: 0, sha256: sha(output), payloadCrc: crc(output) });
  const end = writeEnd({ manifestLength: manifest.length, recordCount: 1, sha256: sha(output), manifestCrc: crc(manifest) });
  const idx = writeIndex({ frameOffsets: [32], originalOffsets: [0] });
  const foot = writeFooter({ endOffset: 32 + 56 + output.length, totalSize: output.length, recordCount: 1, indexCrc: crc(idx) });
  return Uint8Array.from(Buffer.concat([h, r, output, end, manifest, idx, foot]));
}

describe('containers with a version 2 manifest', () => {
  const A = te.encode('alpha alpha alpha\n');
  const B = te.encode('bravo\n');
  const C = te.encode('charlie charlie\n');
  const entries = (crcs: number[]): ManifestEntry[] => [
    { path: 'a.txt', type: 'file', mode: 0o644, mtime: 0, size: A.length, crc32: crcs[0] },
    { path: 'b.txt', type: 'file', mode: 0o644, mtime: 0, size: B.length, crc32: crcs[1] },
    { path: 'c.txt', type: 'file', mode: 0o644, mtime: 0, size: C.length, crc32: crcs[2] },
  ];

  it('files are cut in output order: the order column decides where each file lies (extract, verify, the reference)', async () => {
    // the output holds c, a, b: order = [2, 0, 1]
    const out = Uint8Array.from(Buffer.concat([C, A, B]));
    const good = container(out, encodeManifest({ version: 2, root: 'tree', entries: entries([crc(A), crc(B), crc(C)]), order: [2, 0, 1] }));
    expect(Buffer.from(await extract(good, 'a.txt')).equals(Buffer.from(A))).toBe(true);
    expect(Buffer.from(await extract(good, 'b.txt')).equals(Buffer.from(B))).toBe(true);
    expect(Buffer.from(await extract(good, 'c.txt')).equals(Buffer.from(C))).toBe(true);
    expect((await verify(good)).ok).toBe(true);
    const ref = decodePnz(good);
    expect(ref.files.map((f) => [f.path, Buffer.from(f.data).toString()])).toEqual([
      ['c.txt', 'charlie charlie\n'],
      ['a.txt', 'alpha alpha alpha\n'],
      ['b.txt', 'bravo\n'],
    ]);
    expect(Buffer.from(await decompress(good)).equals(Buffer.from(out))).toBe(true);
    // the same bytes read in manifest order would cut the files wrongly: every decoder that produces files says so
    const unordered = container(out, encodeManifest({ version: 2, root: 'tree', entries: entries([crc(A), crc(B), crc(C)]) }));
    await expect(extract(unordered, 'a.txt')).rejects.toMatchObject({ code: 'CHECKSUM' });
    expect((await verify(unordered)).error?.code).toBe('CHECKSUM');
    expect(() => decodePnz(unordered)).toThrow(RefError);
  });

  it('a wrong CRC32 of one file is CHECKSUM for that file, and the others still extract', async () => {
    const out = Uint8Array.from(Buffer.concat([A, B, C]));
    const bad = container(out, encodeManifest({ version: 2, root: 'tree', entries: entries([crc(A), crc(B) ^ 1, crc(C)]) }));
    await expect(extract(bad, 'b.txt')).rejects.toMatchObject({ code: 'CHECKSUM', where: { path: 'b.txt' } });
    expect(Buffer.from(await extract(bad, 'c.txt')).equals(Buffer.from(C))).toBe(true);
    expect((await verify(bad)).error).toMatchObject({ code: 'CHECKSUM' });
    try {
      decodePnz(bad);
      expect.unreachable();
    } catch (e) {
      expect((e as RefError).code).toBe('CHECKSUM');
    }
  });

  it('compressFiles writes version 2 with each file\'s CRC32 (node:zlib) and the reference decoder cuts the same files', async () => {
    const files = [
      { path: 'x/1.txt', data: A },
      { path: 'x/2.txt', data: B },
      { path: 'y.txt', data: C },
    ];
    const c = await compressFiles(files, { level: 6 });
    const ref = decodePnz(c);
    expect(ref.manifest!.version).toBe(2);
    for (const f of files) {
      const e = ref.manifest!.entries.find((x) => x.path === f.path)!;
      expect(e.crc32).toBe(crc(f.data));
      expect(Buffer.from(ref.files.find((x) => x.path === f.path)!.data).equals(Buffer.from(f.data))).toBe(true);
    }
  });
});
