// The manifest (FORMAT.md "Manifest"): what a container holds when it is more than a bare byte stream — a file or a
// directory tree. Version 2 (written): columns — entry types, front-coded paths, mode and mtime deltas, sizes, CRC32s,
// link targets, the order of the files' bytes in the output — each coded with the dhātu coder table (plz at level 9,
// or stored). Version 1 (read): MessagePack (msgpackr, records off) of a map with fixed key order.
import { Packr } from 'msgpackr';
import { PaniniError } from '../errors.js';
import { crc32 } from '../hash/crc32.js';
import { createSha256, type Hasher } from '../hash/sha256.js';
import { ByteReader, ByteWriter } from '../dhatu/stages/bytes.js';
import { CODER_PLZ, CODER_STORE, coderById } from '../dhatu/stages/coder.js';
import { hex, hex8 } from './format.js';

/** 'hardlink' (version 2 only): another name of an earlier file entry, whose path is `target` */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface ManifestEntry {
  /** POSIX relative path, '/'-separated, no '.', '..' or empty segments */
  path: string;
  type: EntryType;
  /** permission bits (mode & 0o7777) */
  mode: number;
  /** modification time, integer milliseconds since the epoch */
  mtime: number;
  /** files: size in bytes (0 for others) */
  size: number;
  /** files in version 1 manifests: SHA-256 of the content */
  sha256?: Uint8Array;
  /** files in version 2 manifests: CRC32 of the content (every byte is also under its records' SHA-256) */
  crc32?: number;
  /** symlinks: the link target; hard links: the path of the earlier file entry they name */
  target?: string;
}

export interface Manifest {
  version: 1 | 2;
  /** 'file': one file (entries has one entry); 'tree': a directory (paths relative to it) */
  root: 'file' | 'tree';
  entries: ManifestEntry[];
  /**
   * The files' bytes are the output stream cut by their sizes ("solid": small files share records), in this order:
   * order[p] is the index, among the file entries in manifest order, of the p-th file in the output. Absent: the
   * manifest order. Version 2 only.
   */
  order?: number[];
}

/** The file entries in the order their bytes appear in the output. */
export function outputFiles(m: Manifest): ManifestEntry[] {
  const files = m.entries.filter((e) => e.type === 'file');
  return m.order ? m.order.map((x) => files[x]!) : files;
}

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false, structuredClone: false, variableMapSize: true, int64AsType: 'auto' as 'bigint' }); // 'auto': a number within 2^53, a bigint (rejected) beyond
/** Integers outside 32 bits go out as MessagePack int64 (msgpackr writes such numbers as float64 otherwise). */
const int = (n: number): number | bigint => (n > 0xffffffff || n < -0x80000000 ? BigInt(n) : n);

export function encodeManifest(m: Manifest): Uint8Array {
  if (m.version === 2) return encodeV2(m);
  if (m.entries.some((e) => e.type === 'hardlink')) throw new PaniniError('OPTION', 'a version 1 manifest has no hard links');
  if (m.order) throw new PaniniError('OPTION', 'a version 1 manifest keeps its files in manifest order');
  const entries = m.entries.map((e) => {
    const o: Record<string, unknown> = { p: e.path, t: e.type, m: e.mode, mt: int(e.mtime), s: int(e.size) };
    if (e.sha256) o.h = e.sha256;
    if (e.target !== undefined) o.l = e.target;
    return o;
  });
  return packr.pack({ v: m.version, r: m.root, e: entries });
}

const bad = (msg: string, where?: { path?: string }) => new PaniniError('FORMAT', `manifest: ${msg}`, where);

export function checkPath(p: unknown, what = 'path'): string {
  if (typeof p !== 'string' || p.length === 0 || p.length > 4096) throw new PaniniError('PATH', `unsafe or invalid ${what} ${JSON.stringify(p)}`, { path: String(p) });
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\') || p.includes('\0')) throw new PaniniError('PATH', `unsafe ${what} "${p}": must be relative, '/'-separated`, { path: p });
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw new PaniniError('PATH', `unsafe ${what} "${p}": empty, '.' or '..' segment`, { path: p });
  }
  return p;
}

/**
 * Decodes and validates a manifest against the container: paths are safe and unique, parents come before children,
 * file sizes add up to the container's output size.
 */
export function decodeManifest(bytes: Uint8Array, totalSize: number): Manifest {
  if (bytes[0] === 2) return decodeV2(bytes, totalSize);
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (e) {
    throw bad(`not valid MessagePack (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw bad('not a map');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!['v', 'r', 'e'].includes(k)) throw bad(`unknown field ${k}`);
  if (r.v !== 1) throw new PaniniError('UNSUPPORTED', `manifest version ${String(r.v)} is not supported`);
  if (r.r !== 'file' && r.r !== 'tree') throw bad(`root must be "file" or "tree", got ${JSON.stringify(r.r)}`);
  if (!Array.isArray(r.e)) throw bad('entries must be an array');
  const seen = new Set<string>();
  const dirs = new Set<string>();
  let bytesSum = 0;
  const entries: ManifestEntry[] = r.e.map((x: unknown, i: number) => {
    if (typeof x !== 'object' || x === null) throw bad(`entry ${i} is not a map`);
    const e = x as Record<string, unknown>;
    const path = checkPath(e.p, `entry ${i} path`);
    if (seen.has(path)) throw bad(`entry ${i} repeats path "${path}"`, { path });
    seen.add(path);
    const slash = path.lastIndexOf('/');
    if (slash > 0 && !dirs.has(path.slice(0, slash))) throw bad(`entry ${i} "${path}" comes before its directory`, { path });
    const t = e.t;
    if (t !== 'file' && t !== 'dir' && t !== 'symlink') throw bad(`entry ${i} "${path}" has unknown type ${JSON.stringify(t)}`, { path });
    const int = (k: string, max: number) => {
      const v = e[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < (k === 'mt' ? -(2 ** 53) : 0) || v > max) throw bad(`entry ${i} "${path}": field ${k} invalid (${String(v)})`, { path });
      return v;
    };
    const mode = int('m', 0o7777);
    const mtime = int('mt', Number.MAX_SAFE_INTEGER);
    const size = int('s', Number.MAX_SAFE_INTEGER);
    for (const k of Object.keys(e)) if (!['p', 't', 'm', 'mt', 's', 'h', 'l'].includes(k)) throw bad(`entry ${i} "${path}": unknown field ${k}`, { path });
    const entry: ManifestEntry = { path, type: t, mode, mtime, size };
    if (t === 'file') {
      if (!(e.h instanceof Uint8Array) || e.h.length !== 32) throw bad(`entry ${i} "${path}": file without a 32-byte SHA-256`, { path });
      entry.sha256 = e.h;
      bytesSum += size;
      if (bytesSum > totalSize) throw bad(`files up to entry ${i} "${path}" hold more than the container's ${totalSize} bytes`, { path });
    } else {
      if (size !== 0 || e.h !== undefined) throw bad(`entry ${i} "${path}": a ${t} has no content`, { path });
      if (t === 'dir') dirs.add(path);
      else {
        if (typeof e.l !== 'string' || e.l.length === 0 || e.l.length > 4096 || e.l.includes('\0')) throw bad(`entry ${i} "${path}": symlink without a valid target`, { path });
        entry.target = e.l;
      }
    }
    return entry;
  });
  if (bytesSum !== totalSize) throw bad(`file sizes add up to ${bytesSum}, the container holds ${totalSize} bytes`);
  if (r.r === 'file' && (entries.length !== 1 || entries[0]!.type !== 'file')) throw bad('a "file" manifest holds exactly one file entry');
  return { version: 1, root: r.r, entries };
}

/** One file's bytes checked against its entry: SHA-256 (version 1) or CRC32 (version 2) and the size. */
export class FileDigest {
  private readonly h: Hasher | undefined;
  private crc = 0;
  size = 0;
  constructor(readonly entry: ManifestEntry) {
    this.h = entry.sha256 ? createSha256() : undefined;
  }
  update(b: Uint8Array): void {
    this.size += b.length;
    if (this.h) this.h.update(b);
    else this.crc = crc32(b, this.crc);
  }
  /** null when the bytes match, else what differs (for a CHECKSUM message) */
  mismatch(): string | null {
    const e = this.entry;
    if (this.h) {
      const d = this.h.digest();
      if (this.size === e.size && e.sha256!.every((x, i) => x === d[i])) return null;
      return `${this.size} bytes with SHA-256 ${hex(d)}, the manifest says ${e.size} bytes, ${hex(e.sha256!)}`;
    }
    if (this.size === e.size && this.crc === e.crc32) return null;
    return `${this.size} bytes with CRC32 ${hex8(this.crc)}, the manifest says ${e.size} bytes, ${hex8(e.crc32 ?? 0)}`;
  }
  check(): void {
    const m = this.mismatch();
    if (m) throw new PaniniError('CHECKSUM', `file "${this.entry.path}" decodes to ${m}`, { path: this.entry.path });
  }
}

/**
 * Checks each file of a manifest against the output stream as it goes by (files are consecutive slices of it, in
 * output order): size and digest per file. feed() the output in order, then finish().
 */
export class FileChecker {
  private readonly files: ManifestEntry[];
  private fi = 0;
  private d: FileDigest | undefined;
  constructor(m: Manifest) {
    this.files = outputFiles(m);
    this.open();
  }
  private open(): void {
    this.d = undefined;
    while (this.fi < this.files.length) {
      const d = new FileDigest(this.files[this.fi++]!);
      if (d.entry.size > 0) {
        this.d = d;
        return;
      }
      d.check();
    }
  }
  feed(chunk: Uint8Array): void {
    let k = 0;
    while (k < chunk.length) {
      if (!this.d) throw new PaniniError('FORMAT', 'the output holds bytes beyond the last file of the manifest');
      const take = Math.min(chunk.length - k, this.d.entry.size - this.d.size);
      this.d.update(chunk.subarray(k, k + take));
      k += take;
      if (this.d.size === this.d.entry.size) {
        this.d.check();
        this.open();
      }
    }
  }
  finish(): void {
    if (this.d) throw new PaniniError('FORMAT', `the output ended inside file "${this.d.entry.path}"`);
  }
}


// ---- version 2: columns, front-coded paths, deltas, each column coded by the dhātu coder table ----

/** The manifest version writers use. */
export const MANIFEST_VERSION = 2;
/** v2: the decoded columns together hold at most this many bytes (LIMIT beyond). */
export const MAX_MANIFEST_RAW = 256 * 2 ** 20;
/** v2: |mtime| bound, so that mtime deltas and their zigzag form stay exact integers. */
export const MAX_MTIME_V2 = 2 ** 51 - 1;
const COLUMNS = ['types', 'path lengths', 'path bytes', 'modes', 'mtimes', 'sizes', 'CRC32s', 'link targets', 'order'] as const;
const TYPE_CODE: Record<EntryType, number> = { file: 0, dir: 1, symlink: 2, hardlink: 3 };
const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink'];
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const zig = (d: number): number => (d >= 0 ? 2 * d : -2 * d - 1);
const unzig = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

function encodeV2(m: Manifest): Uint8Array {
  const n = m.entries.length;
  const types = new Uint8Array(n);
  const lens = new ByteWriter(n * 2);
  const names = new ByteWriter(n * 8);
  const modes = new ByteWriter(n);
  const mtimes = new ByteWriter(n * 2);
  const sizes = new ByteWriter(n * 2);
  const crcs = new ByteWriter(n * 4);
  const links = new ByteWriter(16);
  const order = new ByteWriter(16);
  let prev = new Uint8Array(0);
  const lastMode = [0, 0, 0, 0];
  let lastMtime = 0;
  let files = 0;
  m.entries.forEach((e, i) => {
    const t = TYPE_CODE[e.type];
    types[i] = t;
    const p = utf8.encode(e.path);
    let k = 0;
    while (k < p.length && k < prev.length && p[k] === prev[k]) k++;
    lens.varint(k);
    lens.varint(p.length - k);
    names.bytes(p.subarray(k));
    prev = p;
    modes.varint(e.mode ^ lastMode[t]!);
    lastMode[t] = e.mode;
    if (!Number.isInteger(e.mtime) || Math.abs(e.mtime) > MAX_MTIME_V2) throw new PaniniError('OPTION', `"${e.path}": mtime ${e.mtime} is outside ±${MAX_MTIME_V2} ms`, { path: e.path });
    mtimes.varint(zig(e.mtime - lastMtime));
    lastMtime = e.mtime;
    if (e.type === 'file') {
      files++;
      sizes.varint(e.size);
      const c = e.crc32 ?? 0;
      crcs.bytes(Uint8Array.of(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24));
    } else if (e.type === 'symlink' || e.type === 'hardlink') {
      const l = utf8.encode(e.target!);
      links.varint(l.length);
      links.bytes(l);
    }
  });
  if (m.order && m.order.some((x, i) => x !== i)) {
    if (m.order.length !== files) throw new PaniniError('OPTION', `manifest order lists ${m.order.length} files, the manifest has ${files}`);
    for (const x of m.order) order.varint(x);
  }
  const raw = [types, lens.finish(), names.finish(), modes.finish(), mtimes.finish(), sizes.finish(), crcs.finish(), links.finish(), order.finish()];
  const w = new ByteWriter(64);
  w.u8(2);
  w.u8(m.root === 'file' ? 0 : 1);
  w.u8(0);
  w.varint(n);
  const plz = coderById(CODER_PLZ)!;
  const B = plz.maxBlock!;
  for (const col of raw) {
    const blocks: Uint8Array[] = [];
    // a column of a few bytes is stored: coding it cannot win more than its framing
    if (col.length >= 16) for (let o = 0; o < col.length; o += B) blocks.push(plz.encode(col.subarray(o, Math.min(col.length, o + B)), 9));
    const coded = blocks.length > 0 && blocks.reduce((s, b) => s + b.length, 0) + blocks.length * 4 < col.length;
    w.u8(coded ? CODER_PLZ : CODER_STORE);
    w.varint(col.length);
    if (!coded) {
      w.varint(col.length);
      w.bytes(col);
    } else {
      for (const b of blocks) {
        w.varint(b.length);
        w.bytes(b);
      }
    }
  }
  return w.finish();
}

function decodeV2(bytes: Uint8Array, totalSize: number): Manifest {
  const r = new ByteReader(bytes, 'manifest', 'version 2');
  r.u8();
  const rootCode = r.u8();
  if (rootCode > 1) throw bad(`root must be 0 (file) or 1 (tree), got ${rootCode}`);
  if (r.u8() !== 0) throw bad('reserved byte 2 is not 0');
  const n = r.varint(MAX_MANIFEST_RAW);
  let rawTotal = 0;
  const cols = COLUMNS.map((name) => {
    const id = r.u8();
    const c = coderById(id);
    if (!c) throw new PaniniError('UNSUPPORTED', `manifest: column ${name} uses coder id ${id}, which this decoder does not know`);
    const len = r.varint();
    rawTotal += len;
    if (rawTotal > MAX_MANIFEST_RAW) throw new PaniniError('LIMIT', `manifest: its columns declare more than ${MAX_MANIFEST_RAW} bytes`);
    const B = c.maxBlock ?? Infinity;
    const out = new Uint8Array(len);
    const blocks = Math.max(1, Math.ceil(len / B));
    for (let b = 0; b < blocks; b++) {
      const o = b === 0 ? 0 : b * B; // B is Infinity for store: one block
      const part = Math.min(B, len - o);
      const stored = r.bytes(r.varint(bytes.length));
      try {
        out.set(c.decode(stored, part), o);
      } catch (e) {
        if (e instanceof PaniniError) throw new PaniniError('FORMAT', `manifest: column ${name} (${c.name}): ${e.message}`, undefined, { cause: e });
        throw e;
      }
    }
    return new ByteReader(out, 'manifest', `column ${name}`);
  });
  r.end();
  const [types, lens, names, modes, mtimes, sizes, crcs, links, order] = cols as [ByteReader, ByteReader, ByteReader, ByteReader, ByteReader, ByteReader, ByteReader, ByteReader, ByteReader];
  if (types.left !== n) throw bad(`${n} entries but ${types.left} types`);
  const seen = new Set<string>();
  const dirs = new Set<string>();
  const fileAt = new Set<string>();
  let prev = new Uint8Array(0);
  const lastMode = [0, 0, 0, 0];
  let lastMtime = 0;
  let bytesSum = 0;
  const entries: ManifestEntry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = types.u8();
    const type = TYPES[t];
    if (!type) throw bad(`entry ${i} has unknown type ${t}`);
    const k = lens.varint(prev.length);
    const rest = names.bytes(lens.varint(16384 - k));
    const p = new Uint8Array(k + rest.length);
    p.set(prev.subarray(0, k));
    p.set(rest, k);
    prev = p;
    let path: string;
    try {
      path = utf8Strict.decode(p);
    } catch {
      throw bad(`entry ${i}: path is not UTF-8`);
    }
    checkPath(path, `entry ${i} path`);
    if (seen.has(path)) throw bad(`entry ${i} repeats path "${path}"`, { path });
    seen.add(path);
    const slash = path.lastIndexOf('/');
    if (slash > 0 && !dirs.has(path.slice(0, slash))) throw bad(`entry ${i} "${path}" comes before its directory`, { path });
    const mode = modes.varint(0o7777) ^ lastMode[t]!;
    lastMode[t] = mode;
    const mtime = lastMtime + unzig(mtimes.varint());
    if (Math.abs(mtime) > MAX_MTIME_V2) throw bad(`entry ${i} "${path}": mtime ${mtime} out of range`, { path });
    lastMtime = mtime;
    const e: ManifestEntry = { path, type, mode, mtime, size: 0 };
    if (type === 'file') {
      e.size = sizes.varint();
      const c = crcs.bytes(4);
      e.crc32 = (c[0]! | (c[1]! << 8) | (c[2]! << 16) | (c[3]! << 24)) >>> 0;
      fileAt.add(path);
      bytesSum += e.size;
      if (bytesSum > totalSize) throw bad(`files up to entry ${i} "${path}" hold more than the container's ${totalSize} bytes`, { path });
    } else if (type === 'dir') dirs.add(path);
    else {
      const l = links.bytes(links.varint(16384));
      let target: string;
      try {
        target = utf8Strict.decode(l);
      } catch {
        throw bad(`entry ${i} "${path}": link target is not UTF-8`, { path });
      }
      if (target.length === 0 || target.length > 4096 || target.includes('\0')) throw bad(`entry ${i} "${path}": ${type} without a valid target`, { path });
      if (type === 'hardlink' && !fileAt.has(target)) throw bad(`entry ${i} "${path}": hard link to "${target}", which is not a file listed before it`, { path });
      e.target = target;
    }
    entries[i] = e;
  }
  for (const c of [lens, names, modes, mtimes, sizes, crcs, links]) c.end();
  if (bytesSum !== totalSize) throw bad(`file sizes add up to ${bytesSum}, the container holds ${totalSize} bytes`);
  const root = rootCode === 0 ? 'file' : 'tree';
  if (root === 'file' && (n !== 1 || entries[0]!.type !== 'file')) throw bad('a "file" manifest holds exactly one file entry');
  const m: Manifest = { version: 2, root, entries };
  if (order.left) {
    const files = fileAt.size;
    const taken = new Uint8Array(files);
    m.order = Array.from({ length: files }, (_, p) => {
      const x = order.varint(files - 1);
      if (taken[x]) throw bad(`order lists file ${x} twice (at position ${p})`);
      taken[x] = 1;
      return x;
    });
    order.end();
  }
  return m;
}
