// The manifest (FORMAT.md "Manifest"): what a container holds when it is more than a bare byte stream — a file or a
// directory tree. MessagePack (msgpackr, records off) of a map with fixed key order, so it is deterministic.
import { Packr } from 'msgpackr';
import { PaniniError } from '../errors.js';
import { createSha256, type Hasher } from '../hash/sha256.js';

export type EntryType = 'file' | 'dir' | 'symlink';

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
  /** files: SHA-256 of the content. A file's bytes are the next `size` bytes of the container's output stream:
   *  files are concatenated in manifest order (a "solid" stream; small files share chunks). */
  sha256?: Uint8Array;
  /** symlinks: the link target */
  target?: string;
}

export interface Manifest {
  version: 1;
  /** 'file': one file (entries has one entry); 'tree': a directory (paths relative to it) */
  root: 'file' | 'tree';
  entries: ManifestEntry[];
}

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false, structuredClone: false, variableMapSize: true, int64AsType: 'auto' as 'bigint' }); // 'auto': a number within 2^53, a bigint (rejected) beyond
/** Integers outside 32 bits go out as MessagePack int64 (msgpackr writes such numbers as float64 otherwise). */
const int = (n: number): number | bigint => (n > 0xffffffff || n < -0x80000000 ? BigInt(n) : n);

export function encodeManifest(m: Manifest): Uint8Array {
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

/**
 * Checks each file of a manifest against the output stream as it goes by (files are consecutive slices of it):
 * size and SHA-256 per file. feed() the output in order, then finish().
 */
export class FileChecker {
  private readonly files: ManifestEntry[];
  private fi = 0;
  private got = 0;
  private h: Hasher | undefined;
  constructor(m: Manifest) {
    this.files = m.entries.filter((e) => e.type === 'file');
    this.open();
  }
  private open(): void {
    while (this.fi < this.files.length && this.files[this.fi]!.size === 0) this.close(createSha256());
    this.h = this.fi < this.files.length ? createSha256() : undefined;
    this.got = 0;
  }
  private close(h: Hasher): void {
    const e = this.files[this.fi++]!;
    const d = h.digest();
    if (!e.sha256!.every((x, i) => x === d[i])) throw new PaniniError('CHECKSUM', `file "${e.path}" in the manifest has a SHA-256 that its bytes do not match`, { path: e.path });
  }
  feed(chunk: Uint8Array): void {
    let k = 0;
    while (k < chunk.length) {
      if (!this.h) throw new PaniniError('FORMAT', 'the output holds bytes beyond the last file of the manifest');
      const e = this.files[this.fi]!;
      const take = Math.min(chunk.length - k, e.size - this.got);
      this.h.update(chunk.subarray(k, k + take));
      this.got += take;
      k += take;
      if (this.got === e.size) {
        this.close(this.h);
        this.open();
      }
    }
  }
  finish(): void {
    if (this.h) throw new PaniniError('FORMAT', `the output ended inside file "${this.files[this.fi]!.path}"`);
  }
}
