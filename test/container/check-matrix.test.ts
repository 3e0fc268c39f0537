// The check matrix: every verification the decoders make × every reader. Each check builds a container that breaks
// exactly that check — the other CRCs, SHA-256s, offsets and counts are re-computed, so nothing else fails — and each
// reader must answer exactly the check's error code (or, where a reader legitimately does not make the check, decode
// the container to the right bytes: those cells are listed with the reason). The containers are written here from
// docs/FORMAT.md with node:crypto, node:zlib and msgpackr, not by the encoder under test.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zcrc32, deflateRawSync } from 'node:zlib';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompress, decompressStream, extract, init, PaniniError, verify } from '../../src/index.js';
import { decompressFile, extractFile, extractTree, verifyFile } from '../../src/node.js';
import { EXIT_STATUS, type ErrorCode } from '../../src/errors.js';
import { prngBytes } from '../helpers/prng.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist/cli.js');
const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const crc = (b: Uint8Array) => zcrc32(b) >>> 0;
const cat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const te = new TextEncoder();
const packr = new Packr({ useRecords: false, variableMapSize: true });

// ------------------------------------------------------------------------------------------ the container model
interface Rec {
  kind: 1 | 2; // DATA, REF
  codec: number;
  params: number;
  /** DATA: the original bytes; REF: taken from the target */
  original?: Uint8Array;
  target?: number;
}
interface ManifestEntry {
  p: string;
  t: string;
  m: number;
  mt: number;
  s: number;
  h?: Uint8Array;
  l?: string;
}
interface Model {
  window: number;
  records: Rec[];
  /** manifest map, packed with msgpackr (undefined: a bare stream) */
  manifest?: { v: number; r: string; e: ManifestEntry[] };
}

/** Changes applied while writing: `pre` hooks edit a structure before its CRC32 is computed, `post` hooks after. */
interface Tamper {
  header?: (b: DataView) => void;
  headerPost?: (b: Uint8Array) => void;
  /** record i's 56-byte header before its CRC (payload CRC and SHA-256 already filled in) */
  record?: (i: number, b: DataView, raw: Uint8Array) => void;
  recordPost?: (i: number, b: Uint8Array) => void;
  /** record i's payload after its CRC went into the header */
  payloadPost?: (i: number, p: Uint8Array) => Uint8Array;
  end?: (b: DataView, raw: Uint8Array) => void;
  endPost?: (b: Uint8Array) => void;
  manifestBytes?: (m: Uint8Array) => Uint8Array;
  /** the manifest bytes after their CRC went into END */
  manifestPost?: (m: Uint8Array) => Uint8Array;
  index?: (b: DataView) => void;
  indexPost?: (b: Uint8Array) => void;
  /** the footer before its CRC; `frames` are the records' offsets */
  footer?: (b: DataView, frames: number[]) => void;
  footerPost?: (b: Uint8Array) => void;
  /** the finished container */
  whole?: (c: Uint8Array) => Uint8Array;
}

const u64 = (v: DataView, at: number, n: number) => {
  v.setUint32(at, n >>> 0, true);
  v.setUint32(at + 4, Math.floor(n / 2 ** 32), true);
};

/** The original output of a model (REF records repeat their target's bytes). */
function outputOf(m: Model): Uint8Array {
  return cat(m.records.map((r) => (r.kind === 1 ? r.original! : m.records[r.target!]!.original!)));
}

/** Writes a .pnz container (FORMAT.md, version 1) from a model, with the tampering hooks applied. */
function build(m: Model, t: Tamper = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    at += b.length;
  };
  const header = new Uint8Array(32);
  header.set([0x89, 0x50, 0x4e, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a]);
  const hv = new DataView(header.buffer);
  hv.setUint16(8, 1, true);
  u64(hv, 16, m.window);
  t.header?.(hv);
  hv.setUint32(28, crc(header.subarray(0, 28)), true);
  t.headerPost?.(header);
  push(header);
  const frames: number[] = [];
  const originals: number[] = [];
  let original = 0;
  m.records.forEach((r, i) => {
    frames.push(at);
    originals.push(original);
    const bytes = r.kind === 1 ? r.original! : m.records[r.target!]!.original!;
    original += bytes.length;
    let payload = r.kind === 1 ? (r.codec === 1 ? new Uint8Array(deflateRawSync(bytes, { level: 6 })) : r.codec === 0 ? bytes : (() => { throw new Error(`model codec ${r.codec}`); })()) : new Uint8Array(0);
    const h = new Uint8Array(56);
    const v = new DataView(h.buffer);
    h[0] = r.kind;
    h[1] = r.kind === 1 ? r.codec : 0;
    v.setUint16(2, r.kind === 1 ? r.params : 0, true);
    v.setUint32(4, payload.length, true);
    v.setUint32(8, bytes.length, true);
    v.setUint32(12, r.kind === 2 ? r.target! : 0, true);
    h.set(sha(bytes), 16);
    v.setUint32(48, r.kind === 1 ? crc(payload) : 0, true);
    t.record?.(i, v, h);
    v.setUint32(52, crc(h.subarray(0, 52)), true);
    t.recordPost?.(i, h);
    if (t.payloadPost) payload = t.payloadPost(i, payload);
    push(h);
    push(payload);
  });
  const endAt = at;
  let manifest: Uint8Array = m.manifest ? new Uint8Array(packr.pack(m.manifest)) : new Uint8Array(0);
  if (t.manifestBytes) manifest = t.manifestBytes(manifest);
  const end = new Uint8Array(56);
  const ev = new DataView(end.buffer);
  ev.setUint32(4, manifest.length, true);
  ev.setUint32(12, m.records.length, true);
  end.set(sha(outputOf(m)), 16);
  ev.setUint32(48, manifest.length ? crc(manifest) : 0, true);
  t.end?.(ev, end);
  ev.setUint32(52, crc(end.subarray(0, 52)), true);
  t.endPost?.(end);
  push(end);
  if (t.manifestPost) manifest = t.manifestPost(manifest);
  push(manifest);
  const index = new Uint8Array(16 * m.records.length);
  const iv = new DataView(index.buffer);
  frames.forEach((f, i) => {
    u64(iv, i * 16, f);
    u64(iv, i * 16 + 8, originals[i]!);
  });
  t.index?.(iv);
  const indexCrc = crc(index);
  t.indexPost?.(index);
  push(index);
  const footer = new Uint8Array(32);
  const fv = new DataView(footer.buffer);
  u64(fv, 0, endAt);
  u64(fv, 8, original);
  fv.setUint32(16, m.records.length, true);
  fv.setUint32(20, indexCrc, true);
  footer.set(te.encode('PNZ!'), 24);
  t.footer?.(fv, frames);
  fv.setUint32(28, crc(footer.subarray(0, 28)), true);
  t.footerPost?.(footer);
  push(footer);
  const c = cat(parts);
  return t.whole ? t.whole(c) : c;
}

// The base contents: four records (deflate, store, a REF to record 0, deflate) behind a tree of two files and a link,
// or behind a one-file manifest. Record 1 is the one the checks break: both files and every reader depend on it.
const R0 = te.encode('the quick brown fox jumps over the lazy dog; '.repeat(67)).subarray(0, 3000);
const R1 = prngBytes(77, 2000);
const R3 = te.encode('pack my box with five dozen liquor jugs. '.repeat(40)).subarray(0, 1500);
const RECORDS: Rec[] = [
  { kind: 1, codec: 1, params: 6, original: R0 },
  { kind: 1, codec: 0, params: 0, original: R1 },
  { kind: 2, codec: 0, params: 0, target: 0 },
  { kind: 1, codec: 1, params: 6, original: R3 },
];
const OUTPUT = cat([R0, R1, R0, R3]);
const A_SIZE = 4000; // d/a: records 0 and the first 1000 bytes of record 1; d/b: the rest
const FILE_A = OUTPUT.subarray(0, A_SIZE);
const FILE_B = OUTPUT.subarray(A_SIZE);
const MTIME = 1_700_000_000_000;
const dirE = (p: string): ManifestEntry => ({ p, t: 'dir', m: 0o755, mt: MTIME, s: 0 });
const fileE = (p: string, b: Uint8Array): ManifestEntry => ({ p, t: 'file', m: 0o644, mt: MTIME, s: b.length, h: sha(b) });
const linkE = (p: string, l: string): ManifestEntry => ({ p, t: 'symlink', m: 0o777, mt: MTIME, s: 0, l });
const treeEntries = (): ManifestEntry[] => [dirE('d'), fileE('d/a', FILE_A), fileE('d/b', FILE_B), linkE('d/l', 'a')];
const treeModel = (o: Partial<Model> = {}): Model => ({ window: 0, records: RECORDS, manifest: { v: 1, r: 'tree', e: treeEntries() }, ...o });
const fileModel = (o: Partial<Model> = {}): Model => ({ window: 0, records: RECORDS, manifest: { v: 1, r: 'file', e: [{ ...fileE('f', OUTPUT) }] }, ...o });

// ------------------------------------------------------------------------------------------ the readers
type Outcome = { ok: true; out?: Uint8Array } | { ok: false; code: string; message: string };
const failed = (e: unknown): Outcome => {
  if (!(e instanceof PaniniError)) throw new Error(`not a PaniniError: ${String(e)}`, { cause: e });
  return { ok: false, code: e.code, message: e.message };
};
let dir: string;
let n = 0;
const tmp = (name: string) => join(dir, `${n++}-${name}`);
const container = (c: Uint8Array) => {
  const p = tmp('c.pnz');
  writeFileSync(p, c);
  return p;
};

type Flavor = 'tree' | 'file';
interface Reader {
  name: string;
  flavor: Flavor;
  /** what the reader yields for an intact container */
  expected: Uint8Array;
  /** `o`: the check's decoder options (maxOutputSize, maxWindow), for the readers that take them */
  run(c: Uint8Array, o?: { maxOutputSize?: number; maxWindow?: number }): Promise<Outcome>;
}

async function streamDecode(c: Uint8Array, o?: object): Promise<Uint8Array> {
  const ts = decompressStream(o);
  const w = ts.writable.getWriter();
  const parts: Uint8Array[] = [];
  const reading = (async () => {
    const r = ts.readable.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) return;
      parts.push(value);
    }
  })();
  const cut = Math.floor(c.length / 3);
  const writing = (async () => {
    await w.write(c.slice(0, cut));
    await w.write(c.slice(cut));
    await w.close();
  })();
  const [a, b] = await Promise.allSettled([writing, reading]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return cat(parts);
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}
const codeOfStatus = (s: number | null) => Object.entries(EXIT_STATUS).filter(([, v]) => v === s).map(([k]) => k);

const ALL_READERS: Reader[] = [
  { name: 'decompress', flavor: 'tree', expected: OUTPUT, run: async (c, o) => ({ ok: true, out: await decompress(c, o) }) },
  {
    name: 'verify',
    flavor: 'tree',
    expected: OUTPUT,
    run: async (c) => {
      const r = await verify(c);
      if (r.ok) return { ok: true };
      expect(r.error).toBeInstanceOf(PaniniError);
      return { ok: false, code: r.error!.code, message: r.error!.message };
    },
  },
  { name: 'decompressStream', flavor: 'tree', expected: OUTPUT, run: async (c, o) => ({ ok: true, out: await streamDecode(c, o) }) },
  { name: 'extract', flavor: 'tree', expected: FILE_B, run: async (c, o) => ({ ok: true, out: await extract(c, 'd/b', o && { maxOutputSize: o.maxOutputSize }) }) },
  {
    name: 'decompressFile',
    flavor: 'file',
    expected: OUTPUT,
    run: async (c, o) => {
      const out = tmp('out');
      await decompressFile(container(c), out, o);
      return { ok: true, out: new Uint8Array(readFileSync(out)) };
    },
  },
  {
    name: 'verifyFile',
    flavor: 'tree',
    expected: OUTPUT,
    run: async (c) => {
      const r = await verifyFile(container(c));
      return r.ok ? { ok: true } : { ok: false, code: r.error!.code, message: r.error!.message };
    },
  },
  { name: 'extractFile', flavor: 'tree', expected: FILE_B, run: async (c, o) => ({ ok: true, out: (await extractFile(container(c), 'd/b', o && { maxOutputSize: o.maxOutputSize })).data }) },
  {
    name: 'extractTree',
    flavor: 'tree',
    expected: OUTPUT,
    run: async (c, o) => {
      const out = tmp('tree');
      await extractTree(container(c), out, o);
      return { ok: true, out: cat([readFileSync(join(out, 'd/a')), readFileSync(join(out, 'd/b'))]) };
    },
  },
  {
    name: 'cli verify --json',
    flavor: 'tree',
    expected: OUTPUT,
    run: async (c) => {
      const r = cli(['verify', container(c), '--json']);
      if (r.status === 0) return { ok: true };
      const j = JSON.parse(r.stdout) as { ok: boolean; code: string; message: string };
      expect(j.ok).toBe(false);
      expect(r.status, `exit status for ${j.code}`).toBe(EXIT_STATUS[j.code as ErrorCode]);
      expect(r.stderr).toMatch(/^panini-fs: [^\n]+\n$/);
      return { ok: false, code: j.code, message: j.message };
    },
  },
  {
    name: 'cli decompress',
    flavor: 'tree',
    expected: OUTPUT,
    run: async (c) => {
      const out = tmp('cli-tree');
      const r = cli(['decompress', container(c), '-o', out]);
      if (r.status === 0) return { ok: true, out: cat([readFileSync(join(out, 'd/a')), readFileSync(join(out, 'd/b'))]) };
      expect(r.stderr).toMatch(/^panini-fs: [^\n]+\n$/);
      // the exit status names the code's class (CHECKSUM, FORMAT and TRUNCATED share 3)
      return { ok: false, code: `status ${r.status} (${codeOfStatus(r.status).join('|')})`, message: r.stderr };
    },
  },
];

// The mutation run (vitest.mutation.config.ts) mutates src/ in place, while the CLI runs dist/, which is not rebuilt
// per mutant: there the CLI columns would only cost time, so that config leaves them out (and says so).
const IN_PROCESS = process.env.PANINI_MATRIX_IN_PROCESS === '1';
const READERS = IN_PROCESS ? ALL_READERS.filter((r) => !r.name.startsWith('cli ')) : ALL_READERS;
if (IN_PROCESS) console.log('check matrix: CLI readers left out (PANINI_MATRIX_IN_PROCESS=1: src is mutated, dist/cli.js is not)');

// ------------------------------------------------------------------------------------------ the checks
interface Check {
  name: string;
  /** the error code every reader must answer */
  code: ErrorCode;
  /** the broken container, for the reader's flavor */
  make(flavor: Flavor): Uint8Array;
  /** readers that do not make this check, with why: they must decode the container to the right bytes */
  accepts?: Record<string, string>;
  /** readers that answer another code, with why */
  codes?: Record<string, ErrorCode>;
  /** decoder options the readers get */
  options?: { maxOutputSize?: number; maxWindow?: number };
  /** what the error message must say (which of several checks with the same code fired) */
  message?: RegExp;
  /** readers this check cannot reach (the container has no file for them), with why */
  na?: Record<string, string>;
}

const model = (f: Flavor, o?: Partial<Model>) => (f === 'tree' ? treeModel(o) : fileModel(o));
const flip = (b: Uint8Array, at: number) => {
  b[at]! ^= 0x01;
};
const manifestWith = (f: Flavor, e: ManifestEntry[], t: Tamper = {}) => (f === 'tree' ? build(treeModel({ manifest: { v: 1, r: 'tree', e } }), t) : build(fileModel(), t));
const treeOnly = (why: string) => ({ decompressFile: `a one-file container has no ${why}` });
/** a bare stream: readers that need a manifest (files) cannot read it */
const manifestReaders = (why: string) => Object.fromEntries(['extract', 'extractFile', 'extractTree', 'cli decompress', 'decompressFile'].map((r) => [r, `a bare stream has no ${why}`]));

const RANDOM_ACCESS_ONLY = 'extract decodes only the records of its file and checks the file\'s SHA-256';

const CHECKS: Check[] = [
  // CRC32s
  { name: 'header CRC32', code: 'CHECKSUM', make: (f) => build(model(f), { headerPost: (b) => flip(b, 28) }) },
  { name: 'record header CRC32 (record 1 of 4)', code: 'CHECKSUM', make: (f) => build(model(f), { recordPost: (i, b) => i === 1 && flip(b, 52) }) },
  {
    // the payload is intact and its SHA-256 right: only the CRC field disagrees
    name: 'payload CRC32 of record 1 of 4 (payload and SHA-256 intact)',
    code: 'CHECKSUM',
    make: (f) => build(model(f), { record: (i, v) => i === 1 && v.setUint32(48, v.getUint32(48, true) ^ 1, true) }),
  },
  {
    name: 'payload CRC32 of the last record (a deflate payload changed, CRC kept)',
    code: 'CHECKSUM',
    make: (f) =>
      build(model(f), {
        payloadPost: (i, p) => {
          if (i !== 3) return p;
          const q = p.slice();
          flip(q, q.length >> 1);
          return q;
        },
      }),
  },
  { name: 'END frame CRC32', code: 'CHECKSUM', make: (f) => build(model(f), { endPost: (b) => flip(b, 52) }) },
  { name: 'manifest CRC32', code: 'CHECKSUM', make: (f) => build(model(f), { manifestPost: (m) => { const q = m.slice(); flip(q, q.length - 1); return q; } }) },
  {
    name: 'index CRC32',
    code: 'CHECKSUM',
    make: (f) => build(model(f), { indexPost: (b) => flip(b, 8 + 16) }),
    codes: { decompressStream: 'FORMAT' }, // the stream decoder compares the index with the records it found
  },
  { name: 'footer CRC32', code: 'CHECKSUM', make: (f) => build(model(f), { footerPost: (b) => flip(b, 0) }) },
  // SHA-256s
  {
    name: 'record SHA-256 of record 1 (CRCs re-computed, whole SHA-256 right)',
    code: 'CHECKSUM',
    make: (f) => build(model(f), { record: (i, _v, h) => i === 1 && flip(h, 20) }),
  },
  {
    name: 'whole-output SHA-256 in END (records intact)',
    code: 'CHECKSUM',
    make: (f) => build(model(f), { end: (_v, b) => flip(b, 16) }),
    accepts: { extract: RANDOM_ACCESS_ONLY, extractFile: RANDOM_ACCESS_ONLY },
  },
  {
    name: "a file's SHA-256 in the manifest (container checks intact)",
    code: 'CHECKSUM',
    make: (f) => (f === 'tree' ? manifestWith(f, [dirE('d'), fileE('d/a', FILE_A), { ...fileE('d/b', FILE_B), h: sha(FILE_A) }, linkE('d/l', 'a')]) : build(fileModel({ manifest: { v: 1, r: 'file', e: [{ ...fileE('f', OUTPUT), h: sha(R0) }] } }))),
    accepts: {
      decompress: 'decompress() returns the output stream; its whole SHA-256 is checked, file boundaries are not its concern',
      decompressStream: 'the stream decoder returns the output stream (whole SHA-256 checked)',
    },
  },
  // REF records and the dedup window
  {
    name: 'REF whose bytes differ from its recorded SHA-256',
    code: 'FORMAT',
    make: (f) => build(model(f), { record: (i, _v, h) => i === 2 && flip(h, 20) }),
  },
  {
    name: 'REF pointing forward',
    code: 'FORMAT',
    make: (f) => build(model(f), { record: (i, v) => i === 2 && v.setUint32(12, 3, true) }),
  },
  {
    name: 'REF to a record outside the declared dedup window',
    code: 'FORMAT',
    make: (f) => build(model(f, { window: 4000 })),
    accepts: { extract: 'random access reads the REF target through the index', extractFile: 'random access reads the REF target through the index' },
  },
  // index and footer fields (their CRCs re-computed)
  {
    name: 'index entry: frame offset',
    code: 'FORMAT',
    make: (f) => build(model(f), { index: (v) => v.setUint32(16, v.getUint32(16, true) + 1, true) }),
    // random access follows the entry and finds no valid record header there
    codes: { extract: 'CHECKSUM', extractFile: 'CHECKSUM' },
  },
  { name: 'index entry: original offset', code: 'FORMAT', make: (f) => build(model(f), { index: (v) => v.setUint32(16 * 3 + 8, v.getUint32(16 * 3 + 8, true) - 1, true) }) },
  { name: 'footer: total size', code: 'FORMAT', make: (f) => build(model(f), { footer: (v) => v.setUint32(8, v.getUint32(8, true) + 1, true) }) },
  { name: 'footer: END offset', code: 'FORMAT', make: (f) => build(model(f), { footer: (v, frames) => v.setUint32(0, frames[3]!, true) }) },
  { name: 'footer: record count', code: 'FORMAT', make: (f) => build(model(f), { footer: (v) => v.setUint32(16, 3, true) }) },
  { name: 'END: record count', code: 'FORMAT', make: (f) => build(model(f), { end: (v) => v.setUint32(12, 5, true) }) },
  { name: 'footer magic', code: 'TRUNCATED', make: (f) => build(model(f), { footerPost: (b) => flip(b, 24) }) },
  { name: 'truncated by one byte', code: 'TRUNCATED', make: (f) => build(model(f)).subarray(0, -1) },
  {
    name: 'data after the footer',
    code: 'TRUNCATED', // random access looks for the footer at the end
    make: (f) => cat([build(model(f)), Uint8Array.of(0)]),
    codes: { decompressStream: 'FORMAT' }, // the stream decoder reads the footer, then finds more
  },
  // manifest rules (PATH from checkPath, FORMAT from the manifest's own rules)
  // a bad path on an extra directory entry, so the files every reader extracts stay as they are
  ...(
    [
      ["path with a '..' segment (its parent listed first)", 'd/..', /'\.\.' segment/],
      ["path starting with '..'", '../e', /'\.\.' segment/],
      ["path that is '..'", '..', /'\.\.' segment/],
      ["path with a '.' segment", 'd/./e', /'\.' or '\.\.' segment/],
      ['empty path segment', 'd//e', /empty, '\.' or/],
      ['absolute path', '/d/e', /must be relative/],
      ['Windows drive path', 'C:e', /must be relative/],
      ['backslash in a path', 'd\\e', /must be relative/],
      ['NUL in a path', 'd/e\0', /must be relative/],
      ['empty path', '', /invalid entry 1 path/],
    ] as const
  ).map(([name, bad, message]): Check => ({
    name,
    code: 'PATH',
    message,
    make: (f) => manifestWith(f, [dirE('d'), dirE(bad), fileE('d/a', FILE_A), fileE('d/b', FILE_B), linkE('d/l', 'a')]),
    na: treeOnly('paths but its one'),
  })),
  { name: 'repeated path', code: 'FORMAT', make: (f) => manifestWith(f, [dirE('d'), fileE('d/a', FILE_A), fileE('d/a', FILE_B), linkE('d/l', 'a')]), na: treeOnly('second path') },
  { name: 'child before its directory', code: 'FORMAT', make: (f) => manifestWith(f, [fileE('d/a', FILE_A), dirE('d'), fileE('d/b', FILE_B), linkE('d/l', 'a')]), na: treeOnly('directories') },
  { name: 'file sizes that do not add up', code: 'FORMAT', make: (f) => (f === 'tree' ? manifestWith(f, [dirE('d'), fileE('d/a', FILE_A), fileE('d/b', FILE_B.subarray(1)), linkE('d/l', 'a')]) : build(fileModel({ manifest: { v: 1, r: 'file', e: [fileE('f', OUTPUT.subarray(1))] } }))) },
  { name: 'file manifest with two entries', code: 'FORMAT', make: () => build(fileModel({ manifest: { v: 1, r: 'file', e: [fileE('f', FILE_A), fileE('g', FILE_B)] } })) },
  { name: 'unknown manifest field', code: 'FORMAT', make: (f) => build(model(f), { manifestBytes: () => new Uint8Array(packr.pack({ ...(f === 'tree' ? treeModel() : fileModel()).manifest, x: 1 })) }) },
  { name: 'manifest version', code: 'UNSUPPORTED', make: (f) => build(model(f), { manifestBytes: () => new Uint8Array(packr.pack({ ...(f === 'tree' ? treeModel() : fileModel()).manifest, v: 2 })) }) },
  // limits
  { name: 'record over the record limit', code: 'LIMIT', make: (f) => build(model(f), { record: (i, v) => i === 1 && v.setUint32(8, 2 ** 32 - 1, true) }) },
  { name: 'manifest over the manifest limit', code: 'LIMIT', make: (f) => build(model(f), { end: (v) => v.setUint32(4, 2 ** 32 - 1, true) }) },
  {
    name: 'maxOutputSize one byte below what the reader would return',
    code: 'LIMIT',
    make: (f) => build(model(f)),
    options: { maxOutputSize: FILE_B.length - 1 }, // d/b, what extract returns, is the smaller
    na: {
      verify: 'verify returns no output (no maxOutputSize)',
      verifyFile: 'verify returns no output (no maxOutputSize)',
      'cli verify --json': 'verify returns no output (no maxOutputSize)',
      'cli decompress': 'the CLI has no maxOutputSize option',
    },
  },
  {
    name: "REF older than the stream decoder's maxWindow (declared window unlimited)",
    code: 'LIMIT',
    make: (f) => build(model(f)),
    options: { maxWindow: 4000 }, // records 0 (3000) and 1 (2000): record 0 is out of a 4000-byte window at the REF
    accepts: Object.fromEntries(
      ['decompress', 'verify', 'extract', 'decompressFile', 'verifyFile', 'extractFile', 'extractTree', 'cli verify --json', 'cli decompress'].map((r) => [r, 'random access reads a REF target through the index: maxWindow bounds only the stream decoder']),
    ),
  },
  // frame fields (CRCs re-computed)
  { name: 'unknown record kind', code: 'FORMAT', make: (f) => build(model(f), { record: (i, _v, h) => i === 1 && (h[0] = 3) }), message: /unknown kind 3/ },
  { name: 'empty record', code: 'FORMAT', make: (f) => build(model(f), { record: (i, v) => i === 1 && v.setUint32(8, 0, true) }), message: /is empty/ },
  { name: 'DATA record stored length over the record limit', code: 'LIMIT', make: (f) => build(model(f), { record: (i, v) => i === 1 && v.setUint32(4, 2 ** 32 - 1, true) }) },
  { name: 'DATA record with a target', code: 'FORMAT', make: (f) => build(model(f), { record: (i, v) => i === 1 && v.setUint32(12, 1, true) }), message: /target field must be zero/ },
  { name: 'REF record with a codec', code: 'FORMAT', make: (f) => build(model(f), { record: (i, _v, h) => i === 2 && (h[1] = 1) }), message: /must be zero/ },
  { name: 'REF record with a payload CRC', code: 'FORMAT', make: (f) => build(model(f), { record: (i, v) => i === 2 && v.setUint32(48, 1, true) }), message: /must be zero/ },
  { name: 'END frame reserved field', code: 'FORMAT', make: (f) => build(model(f), { end: (_v, b) => (b[1] = 1) }), message: /reserved fields/ },
  { name: 'END frame with a manifest CRC but no manifest', code: 'FORMAT', make: () => build({ window: 0, records: RECORDS }, { end: (v) => v.setUint32(48, 1, true) }), na: manifestReaders('a manifest') },
  { name: 'END frame: manifest length', code: 'FORMAT', make: (f) => build(model(f), { end: (v) => v.setUint32(4, v.getUint32(4, true) - 1, true) }), codes: { decompressStream: 'CHECKSUM' } },
  { name: 'record payload running past the END frame', code: 'FORMAT', make: (f) => build(model(f), { record: (i, v) => i === 3 && v.setUint32(4, v.getUint32(4, true) + 200, true) }), codes: { decompressStream: 'CHECKSUM' } },
  { name: 'footer: a 64-bit field over 2^53', code: 'FORMAT', make: (f) => build(model(f), { footer: (v) => v.setUint32(12, 0x00400000, true) }), message: /exceeds 2\^53/, codes: {} },
  { name: 'footer: END offset before the first record', code: 'FORMAT', make: (f) => build(model(f), { footer: (v) => v.setUint32(0, 8, true) }) },
  { name: 'header flags', code: 'UNSUPPORTED', make: (f) => build(model(f), { header: (v) => v.setUint16(10, 1, true) }) },
  { name: 'header reserved field at byte 12', code: 'FORMAT', make: (f) => build(model(f), { header: (v) => v.setUint32(12, 1, true) }) },
  { name: 'not a container (bad magic)', code: 'FORMAT', make: (f) => build(model(f), { headerPost: (b) => (b[0] = 0x88) }) },
  { name: 'only part of a header', code: 'TRUNCATED', make: (f) => build(model(f)).subarray(0, 20) },
  { name: 'cut inside a record', code: 'TRUNCATED', make: (f) => build(model(f)).subarray(0, 32 + 56 + 10) },
  // manifest fields
  ...(
    [
      ['manifest that is not MessagePack', () => Uint8Array.of(0xc1)],
      ['manifest that is not a map', () => new Uint8Array(packr.pack([1, 2]))],
      ['manifest root', () => new Uint8Array(packr.pack({ ...treeModel().manifest, r: 'disk' }))],
      ['manifest entries not an array', () => new Uint8Array(packr.pack({ v: 1, r: 'tree', e: 1 }))],
      ['manifest entry that is not a map', () => new Uint8Array(packr.pack({ v: 1, r: 'tree', e: [1] }))],
    ] as const
  ).map(([name, bytes]): Check => ({ name, code: 'FORMAT', make: (f) => build(model(f), { manifestBytes: bytes }), na: treeOnly('tree manifest') })),
  ...(
    [
      ['entry of an unknown type', (e: ManifestEntry[]) => [...e, { ...dirE('x'), t: 'fifo' }]],
      ['entry with an unknown field', (e: ManifestEntry[]) => [...e, { ...dirE('x'), q: 1 } as ManifestEntry]],
      ['entry mode over 0o7777', (e: ManifestEntry[]) => [...e, { ...dirE('x'), m: 0o10000 }]],
      ['entry mode not an integer', (e: ManifestEntry[]) => [...e, { ...dirE('x'), m: 1.5 }]],
      ['entry with a negative size', (e: ManifestEntry[]) => [...e, { ...dirE('x'), s: -1 }]],
      ['directory with content', (e: ManifestEntry[]) => [...e, { ...dirE('x'), s: 1 }]],
      ['directory with a SHA-256', (e: ManifestEntry[]) => [...e, { ...dirE('x'), h: sha(R0) }]],
      ['file without a SHA-256', (e: ManifestEntry[]) => e.map((x) => (x.p === 'd/b' ? { ...x, h: undefined } : x))],
      ['file with a short SHA-256', (e: ManifestEntry[]) => e.map((x) => (x.p === 'd/b' ? { ...x, h: x.h!.subarray(0, 31) } : x))],
      ['symlink without a target', (e: ManifestEntry[]) => e.map((x) => (x.p === 'd/l' ? { ...x, l: '' } : x))],
      ['symlink target with NUL', (e: ManifestEntry[]) => e.map((x) => (x.p === 'd/l' ? { ...x, l: 'a\0' } : x))],
      ['files holding more than the output', (e: ManifestEntry[]) => e.map((x) => (x.p === 'd/a' ? { ...x, s: OUTPUT.length + 1 } : x))],
    ] as const
  ).map(([name, f]): Check => ({
    name,
    code: 'FORMAT',
    make: (fl) => build(treeModel({ manifest: { v: 1, r: 'tree', e: f(treeEntries()).map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as unknown as ManifestEntry) } })),
    na: treeOnly('tree manifest'),
  })),
  { name: '"file" manifest holding a directory', code: 'FORMAT', make: () => build(fileModel({ manifest: { v: 1, r: 'file', e: [dirE('d')] } })) },
  // header fields
  { name: 'header version', code: 'UNSUPPORTED', make: (f) => build(model(f), { header: (v) => v.setUint16(8, 2, true) }) },
  { name: 'header reserved field', code: 'FORMAT', make: (f) => build(model(f), { header: (v) => v.setUint32(24, 1, true) }) },
];

/** The CLI decompress cell sees the exit status only: the code's status. */
const statusCode = (code: string) => `status ${EXIT_STATUS[code as ErrorCode]} (${codeOfStatus(EXIT_STATUS[code as ErrorCode]).join('|')})`;

beforeAll(async () => {
  if (!IN_PROCESS) expect(existsSync(CLI), 'dist/cli.js is missing: run `npm run build`').toBe(true);
  await init();
  dir = mkdtempSync(join(tmpdir(), 'panini-matrix-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the intact containers', () => {
  for (const r of READERS) {
    it(`${r.name} decodes them`, async () => {
      const o = await r.run(build(r.flavor === 'tree' ? treeModel() : fileModel()));
      expect(o).toMatchObject({ ok: true });
      if (o.ok && o.out) expect(Buffer.from(o.out).equals(Buffer.from(r.expected))).toBe(true);
    });
  }
});

describe('check matrix', () => {
  for (const c of CHECKS) {
    describe(c.name, () => {
      for (const r of READERS) {
        if (c.na?.[r.name]) continue;
        const accepted = c.accepts?.[r.name];
        const code = c.codes?.[r.name] ?? c.code;
        it(accepted ? `${r.name}: accepts (${accepted})` : `${r.name}: ${code}`, async () => {
          const broken = c.make(r.flavor);
          let o: Outcome;
          try {
            o = await r.run(broken, c.options);
          } catch (e) {
            o = failed(e);
          }
          if (accepted) {
            expect(o, accepted).toMatchObject({ ok: true });
            if (o.ok && o.out) expect(Buffer.from(o.out).equals(Buffer.from(r.expected))).toBe(true);
            return;
          }
          const want = r.name === 'cli decompress' ? statusCode(code) : code;
          expect(o.ok ? 'accepted' : o.code, o.ok ? 'accepted' : o.message).toBe(want);
          if (c.message && !o.ok) expect(o.message).toMatch(c.message);
        });
      }
    });
  }
});
