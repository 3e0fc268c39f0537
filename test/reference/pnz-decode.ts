// An independent reference decoder for the .pnz container, written from docs/FORMAT.md only (the codecs from the
// documents it names: ./plz-decode.ts, ./pfz-decode.ts, ./dhatu-decode.ts). It shares no code with src/: node:zlib
// (raw inflate, crc32), node:crypto (SHA-256), msgpackr (version 1 manifests, decoded into Maps so that key types are
// visible), ./plz-decode.ts and ./pfz-decode.ts (version 2 manifest columns) and pako (REFLATE's re-deflation). It follows the "Random access" algorithm of FORMAT.md "Decoding" step by step and makes
// every check listed there, including the ones a fast decoder may find redundant (dedup window membership of REF
// targets, the exact end of each deflate stream, per-file SHA-256 or CRC32). Slow and simple on purpose: everything in memory.
import { createHash } from 'node:crypto';
import { crc32 as zcrc32, inflateRawSync } from 'node:zlib';
import { Unpackr } from 'msgpackr';
import { decodePlan } from './dhatu-decode.js';
import { pfzDecode } from './pfz-decode.js';
import { plzDecode } from './plz-decode.js';

import { RefError, type RefErrorCode } from './errors.js';

export { RefError, type RefErrorCode };

export const MAGIC = [0x89, 0x50, 0x4e, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a];
export const FOOTER_MAGIC = [0x50, 0x4e, 0x5a, 0x21];
export const MAX_RECORD = 64 * 1024 * 1024;
export const MAX_MANIFEST = 256 * 1024 * 1024;
const TWO53 = 2 ** 53;

export interface RefRecord {
  index: number;
  kind: 'DATA' | 'REF';
  codec: number;
  params: number;
  storedLength: number;
  originalLength: number;
  target: number;
  sha256: string;
  frameOffset: number;
  originalOffset: number;
}

export interface RefEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  mode: number;
  mtime: number;
  size: number;
  sha256?: string;
  crc32?: number;
  target?: string;
}

export interface RefManifest {
  version: 1 | 2;
  root: 'file' | 'tree';
  entries: RefEntry[];
  /** version 2: the files (indexes among the file entries) in the order of their bytes in the output */
  order?: number[];
}

export interface RefDecoded {
  containerSize: number;
  version: number;
  flags: number;
  window: number;
  endOffset: number;
  totalSize: number;
  recordCount: number;
  dataRecords: number;
  refRecords: number;
  /** bytes of output represented by REF records */
  refBytes: number;
  /** hex SHA-256 of the whole output, from the END frame (and checked) */
  sha256: string;
  manifestLength: number;
  manifest: RefManifest | undefined;
  records: RefRecord[];
  /** codec id -> { records, originalBytes, storedBytes } over DATA records */
  codecs: Map<number, { records: number; originalBytes: number; storedBytes: number }>;
  output: Uint8Array;
  /** the files of a manifest, cut from the output by size (checked against their SHA-256) */
  files: { path: string; data: Uint8Array }[];
}

const crc32 = (b: Uint8Array): number => zcrc32(b) >>> 0;
const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
/** u64 below 2^53 (FORMAT.md "Conventions"), else FORMAT */
function u64(b: Uint8Array, at: number, what: string): number {
  const lo = u32(b, at);
  const hi = u32(b, at + 4);
  const v = hi * 2 ** 32 + lo;
  if (v >= TWO53) throw new RefError('FORMAT', `${what}: u64 value not below 2^53`);
  return v;
}
/** the CRC32 of bytes [0, n) of a structure against the u32 at n */
function checkCrc(s: Uint8Array, n: number, what: string): void {
  if (crc32(s.subarray(0, n)) !== u32(s, n)) throw new RefError('CHECKSUM', `${what} CRC32 mismatch`);
}

// ------------------------------------------------------------------------------------------------- codecs
/** What a payload decoder may need besides the payload: the record's place in the output and the earlier output. */
export interface RecordContext {
  index: number;
  recordOffset: number;
  window: number;
  readOutput(offset: number, length: number): Uint8Array;
}

/** FORMAT.md "Codec registry": ids 0 (store), 1 (raw deflate), 2 (plz), 3 (pfz), 16 (dhātu plan); others UNSUPPORTED. */
function decodePayload(codec: number, params: number, stored: Uint8Array, originalLength: number, rc: RecordContext): Uint8Array {
  const i = rc.index;
  if (codec === 0) {
    if (params !== 0) throw new RefError('FORMAT', `record ${i}: store with params ${params}`);
    if (stored.length !== originalLength) throw new RefError('FORMAT', `record ${i}: store of ${stored.length} bytes declares ${originalLength}`);
    return stored;
  }
  const names: Record<number, string> = { 1: 'deflate', 2: 'plz', 3: 'pfz', 16: 'dhatu' };
  const name = names[codec];
  if (name === undefined) throw new RefError('UNSUPPORTED', `record ${i}: unsupported codec ${codec}`);
  if (params < 1 || params > 9) throw new RefError('FORMAT', `record ${i}: ${name} params ${params} outside 1-9`);
  if (stored.length >= originalLength) throw new RefError('FORMAT', `record ${i}: ${name} payload not smaller than the original (canonical form)`);
  if (codec === 1) {
    let res: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      // produce at most originalLength + 1 bytes: a longer stream is detected without inflating it all
      res = inflateRawSync(stored, { info: true, maxOutputLength: originalLength + 1 }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    } catch (e) {
      throw new RefError('FORMAT', `record ${i}: invalid raw deflate stream (${(e as Error).message})`);
    }
    if (res.buffer.length !== originalLength) throw new RefError('FORMAT', `record ${i}: deflate stream gives ${res.buffer.length} bytes, declares ${originalLength}`);
    if (res.engine.bytesWritten !== stored.length) throw new RefError('FORMAT', `record ${i}: deflate stream ends at payload byte ${res.engine.bytesWritten} of ${stored.length}`);
    return new Uint8Array(res.buffer.buffer, res.buffer.byteOffset, res.buffer.length);
  }
  if (codec === 2 || codec === 3) {
    if (originalLength > 16 * 1024 * 1024) throw new RefError('FORMAT', `record ${i}: ${name} record of ${originalLength} bytes (> 16 MiB)`);
    return codec === 2 ? plzDecode(stored, originalLength) : pfzDecode(stored, originalLength);
  }
  return decodePlan(stored, { recordLength: originalLength, recordOffset: rc.recordOffset, window: rc.window, readOutput: rc.readOutput });
}

// ------------------------------------------------------------------------------------------------- manifest
// int64AsType 'auto': encoders write integers beyond 32 bits as MessagePack int64; within 2^53 they are numbers
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, moreTypes: false, structuredClone: false, int64AsType: 'auto' as 'bigint' });

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** FORMAT.md "Path rules": PATH errors */
function checkPath(p: unknown): string {
  if (typeof p !== 'string' || p.length < 1 || p.length > 4096) throw new RefError('PATH', `bad path ${JSON.stringify(p)}`);
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\') || p.includes('\0')) throw new RefError('PATH', `unsafe path ${JSON.stringify(p)}`);
  for (const seg of p.split('/')) if (seg === '' || seg === '.' || seg === '..') throw new RefError('PATH', `unsafe path segment in ${JSON.stringify(p)}`);
  return p;
}

export function decodeManifest(bytes: Uint8Array, totalSize: number): RefManifest {
  if (bytes[0] === 0x02) return decodeManifestV2(bytes, totalSize);
  const b0 = bytes[0]!;
  if (!((b0 >= 0x80 && b0 <= 0x8f) || b0 === 0xde || b0 === 0xdf)) throw new RefError('FORMAT', `manifest starts with byte ${b0}: neither version 2 nor a MessagePack map`);
  let raw: unknown;
  try {
    raw = unpackr.unpack(bytes); // one value, no trailing bytes (msgpackr throws otherwise)
  } catch (e) {
    throw new RefError('FORMAT', `manifest is not one MessagePack value (${(e as Error).message})`);
  }
  if (!(raw instanceof Map)) throw new RefError('FORMAT', 'manifest is not a map');
  for (const k of raw.keys()) {
    if (typeof k !== 'string') throw new RefError('FORMAT', 'manifest key is not a string');
    if (k !== 'v' && k !== 'r' && k !== 'e') throw new RefError('FORMAT', `manifest has unknown key ${k}`);
  }
  const v = raw.get('v');
  if (!isInteger(v)) throw new RefError('FORMAT', 'manifest version is not an integer');
  if (v !== 1) throw new RefError('UNSUPPORTED', `manifest version ${v}`);
  const root = raw.get('r');
  if (root !== 'file' && root !== 'tree') throw new RefError('FORMAT', `manifest root ${String(root)}`);
  const list = raw.get('e');
  if (!Array.isArray(list)) throw new RefError('FORMAT', 'manifest entries are not an array');
  const seen = new Set<string>();
  const dirs = new Set<string>();
  let sum = 0;
  const entries: RefEntry[] = list.map((x: unknown, i: number): RefEntry => {
    if (!(x instanceof Map)) throw new RefError('FORMAT', `entry ${i} is not a map`);
    for (const k of x.keys()) {
      if (typeof k !== 'string' || !['p', 't', 'm', 'mt', 's', 'h', 'l'].includes(k)) throw new RefError('FORMAT', `entry ${i} has unknown key ${String(k)}`);
    }
    const path = checkPath(x.get('p'));
    if (seen.has(path)) throw new RefError('FORMAT', `duplicate path ${path}`);
    seen.add(path);
    const slash = path.lastIndexOf('/');
    if (slash >= 0 && !dirs.has(path.slice(0, slash))) throw new RefError('FORMAT', `${path} before its parent directory`);
    const t = x.get('t');
    if (t !== 'file' && t !== 'dir' && t !== 'symlink') throw new RefError('FORMAT', `entry ${i} type ${String(t)}`);
    const int = (k: string, lo: number, hi: number): number => {
      const n = x.get(k);
      if (!isInteger(n) || n < lo || n > hi) throw new RefError('FORMAT', `entry ${i} field ${k} = ${String(n)}`);
      return n;
    };
    const mode = int('m', 0, 0o7777);
    const mtime = int('mt', -TWO53, TWO53);
    const size = int('s', 0, TWO53 - 1);
    const h = x.get('h');
    const l = x.get('l');
    const e: RefEntry = { path, type: t, mode, mtime, size };
    if (t === 'file') {
      if (!(h instanceof Uint8Array) || h.length !== 32) throw new RefError('FORMAT', `file ${path} without a 32-byte h`);
      if (l !== undefined) throw new RefError('FORMAT', `file ${path} with a link target`);
      e.sha256 = hex(h);
      sum += size;
    } else {
      if (size !== 0 || h !== undefined) throw new RefError('FORMAT', `${t} ${path} with content`);
      if (t === 'dir') {
        if (l !== undefined) throw new RefError('FORMAT', `dir ${path} with a link target`);
        dirs.add(path);
      } else {
        if (typeof l !== 'string' || l.length < 1 || l.length > 4096 || l.includes('\0')) throw new RefError('FORMAT', `symlink ${path} without a valid target`);
        e.target = l;
      }
    }
    return e;
  });
  if (sum !== totalSize) throw new RefError('FORMAT', `file sizes add up to ${sum}, output is ${totalSize}`);
  if (root === 'file' && (entries.length !== 1 || entries[0]!.type !== 'file')) throw new RefError('FORMAT', 'root "file" needs exactly one file entry');
  return { version: 1, root, entries };
}

// FORMAT.md "Manifest version 2": nine columns, each coded by a coder of the dhātu coder table
const MAX_MANIFEST_RAW = 256 * 1024 * 1024;
const COLUMN_CODERS: Record<number, { block: number; decode: (p: Uint8Array, n: number) => Uint8Array }> = {
  0: {
    block: Infinity,
    decode: (p, n) => {
      if (p.length !== n) throw new RefError('FORMAT', `stored column block of ${p.length} bytes, declared ${n}`);
      return p;
    },
  },
  1: { block: 16 * 1024 * 1024, decode: plzDecode },
  2: { block: 16 * 1024 * 1024, decode: pfzDecode },
};

class Cursor {
  i = 0;
  constructor(
    readonly b: Uint8Array,
    readonly what: string,
  ) {}
  byte(): number {
    if (this.i >= this.b.length) throw new RefError('FORMAT', `${this.what}: truncated`);
    return this.b[this.i++]!;
  }
  take(n: number): Uint8Array {
    if (n > this.b.length - this.i) throw new RefError('FORMAT', `${this.what}: ${n} bytes wanted, ${this.b.length - this.i} left`);
    this.i += n;
    return this.b.subarray(this.i - n, this.i);
  }
  /** LEB128, ≤ 8 bytes, ≤ 2^53 − 1 */
  uv(): number {
    let v = 0;
    for (let k = 0; k < 8; k++) {
      const x = this.byte();
      v += (x & 127) * 2 ** (7 * k);
      if (x < 128) {
        if (v > TWO53 - 1) throw new RefError('FORMAT', `${this.what}: varint over 2^53 - 1`);
        return v;
      }
    }
    throw new RefError('FORMAT', `${this.what}: varint of more than 8 bytes`);
  }
  done(): boolean {
    return this.i === this.b.length;
  }
}

function decodeManifestV2(bytes: Uint8Array, totalSize: number): RefManifest {
  const c = new Cursor(bytes, 'manifest');
  c.byte();
  const rootByte = c.byte();
  if (rootByte !== 0 && rootByte !== 1) throw new RefError('FORMAT', `manifest root byte ${rootByte}`);
  if (c.byte() !== 0) throw new RefError('FORMAT', 'manifest reserved byte');
  const N = c.uv();
  const names = ['types', 'path lengths', 'path bytes', 'modes', 'mtimes', 'sizes', 'CRC32s', 'link targets', 'order'];
  let declared = 0;
  const cols: Cursor[] = [];
  for (const name of names) {
    const id = c.byte();
    const coder = COLUMN_CODERS[id];
    if (!coder) throw new RefError('UNSUPPORTED', `manifest column ${name}: coder id ${id}`);
    const R = c.uv();
    declared += R;
    if (declared > MAX_MANIFEST_RAW) throw new RefError('LIMIT', 'manifest columns over MAX_MANIFEST_RAW');
    const nBlocks = R === 0 || coder.block === Infinity ? 1 : Math.ceil(R / coder.block);
    const parts: Uint8Array[] = [];
    for (let b = 0; b < nBlocks; b++) {
      const len = nBlocks === 1 ? R : Math.min(coder.block, R - b * coder.block);
      let out: Uint8Array;
      try {
        out = coder.decode(c.take(c.uv()), len);
      } catch (e) {
        if (e instanceof RefError) throw e;
        throw new RefError('FORMAT', `manifest column ${name}: ${(e as Error).message}`);
      }
      if (out.length !== len) throw new RefError('FORMAT', `manifest column ${name}: block decodes to ${out.length} bytes, not ${len}`);
      parts.push(out);
    }
    cols.push(new Cursor(new Uint8Array(Buffer.concat(parts)), `manifest column ${name}`));
  }
  if (!c.done()) throw new RefError('FORMAT', 'bytes after the last manifest column');
  const [types, plen, pbytes, modes, mtimes, sizes, crcs, links, order] = cols as [Cursor, Cursor, Cursor, Cursor, Cursor, Cursor, Cursor, Cursor, Cursor];
  if (types.b.length !== N) throw new RefError('FORMAT', `types column of ${types.b.length} bytes for ${N} entries`);
  const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const utf8 = (b: Uint8Array, what: string): string => {
    try {
      return dec.decode(b);
    } catch {
      throw new RefError('FORMAT', `${what} is not UTF-8`);
    }
  };
  const entries: RefEntry[] = [];
  const paths = new Set<string>();
  const dirs = new Set<string>();
  let prevPath: Uint8Array = new Uint8Array(0);
  const prevMode = new Map<number, number>(); // per type
  let prevMtime = 0;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const t = types.byte();
    const type = (['file', 'dir', 'symlink', 'hardlink'] as const)[t];
    if (type === undefined) throw new RefError('FORMAT', `entry ${i}: type ${t}`);
    const k = plen.uv();
    const sfx = plen.uv();
    if (k > prevPath.length || k + sfx > 16384) throw new RefError('FORMAT', `entry ${i}: path lengths ${k}+${sfx}`);
    const pb = new Uint8Array(k + sfx);
    pb.set(prevPath.subarray(0, k), 0);
    pb.set(pbytes.take(sfx), k);
    prevPath = pb;
    const path = checkPath(utf8(pb, `entry ${i} path`));
    if (paths.has(path)) throw new RefError('FORMAT', `duplicate path ${path}`);
    paths.add(path);
    const slash = path.lastIndexOf('/');
    if (slash >= 0 && !dirs.has(path.slice(0, slash))) throw new RefError('FORMAT', `${path} before its directory`);
    const mode = modes.uv() ^ (prevMode.get(t) ?? 0);
    if (mode < 0 || mode > 0o7777) throw new RefError('FORMAT', `${path}: mode ${mode}`);
    prevMode.set(t, mode);
    const z = mtimes.uv();
    const mtime = prevMtime + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    if (Math.abs(mtime) > 2 ** 51 - 1) throw new RefError('FORMAT', `${path}: mtime ${mtime}`);
    prevMtime = mtime;
    const e: RefEntry = { path, type, mode, mtime, size: 0 };
    if (type === 'file') {
      e.size = sizes.uv();
      const q = crcs.take(4);
      e.crc32 = (q[0]! + q[1]! * 256 + q[2]! * 65536 + q[3]! * 16777216) >>> 0;
      sum += e.size;
    } else if (type === 'dir') {
      dirs.add(path);
    } else {
      const tgt = utf8(links.take(links.uv()), `${path} link target`);
      if (tgt.length < 1 || tgt.length > 4096 || tgt.includes('\0')) throw new RefError('FORMAT', `${path}: bad link target`);
      if (type === 'hardlink' && !entries.some((x) => x.type === 'file' && x.path === tgt)) throw new RefError('FORMAT', `${path}: hard link to ${tgt}, not an earlier file`);
      e.target = tgt;
    }
    entries.push(e);
  }
  for (const col of [plen, pbytes, modes, mtimes, sizes, crcs, links]) if (!col.done()) throw new RefError('FORMAT', `${col.what}: bytes left over`);
  if (sum !== totalSize) throw new RefError('FORMAT', `file sizes add up to ${sum}, output is ${totalSize}`);
  const root = rootByte === 0 ? 'file' : 'tree';
  if (root === 'file' && (entries.length !== 1 || entries[0]!.type !== 'file')) throw new RefError('FORMAT', 'root "file" needs exactly one file entry');
  const m: RefManifest = { version: 2, root, entries };
  if (!order.done()) {
    const F = entries.filter((e) => e.type === 'file').length;
    const list: number[] = [];
    for (let p = 0; p < F; p++) list.push(order.uv());
    if (!order.done()) throw new RefError('FORMAT', 'order column: bytes left over');
    if (new Set(list).size !== F || list.some((x) => x >= F)) throw new RefError('FORMAT', 'order column is not a permutation of the files');
    m.order = list;
  }
  return m;
}

// ------------------------------------------------------------------------------------------------- container
export interface RefOptions {
  maxOutputSize?: number;
}

/** Decodes a whole container held in memory (FORMAT.md "Decoding", random access). Throws RefError. */
export function decodePnz(c: Uint8Array, opts: RefOptions = {}): RefDecoded {
  const S = c.length;
  // 1. header
  if (S < 32) {
    const prefix = S >= 1 && Array.from(c.subarray(0, 8)).every((x, k) => x === MAGIC[k]);
    throw new RefError(prefix ? 'TRUNCATED' : 'FORMAT', `only ${S} bytes`);
  }
  for (let k = 0; k < 8; k++) if (c[k] !== MAGIC[k]) throw new RefError('FORMAT', 'bad magic');
  const header = c.subarray(0, 32);
  checkCrc(header, 28, 'header');
  const version = u16(header, 8);
  if (version !== 1) throw new RefError('UNSUPPORTED', `version ${version}`);
  const flags = u16(header, 10);
  if (flags !== 0) throw new RefError('UNSUPPORTED', `flags ${flags}`);
  if (u32(header, 12) !== 0 || u32(header, 24) !== 0) throw new RefError('FORMAT', 'header reserved fields');
  const window = u64(header, 16, 'window');
  // 2. smallest container
  if (S < 120) throw new RefError('TRUNCATED', `${S} bytes is less than the smallest container`);
  // 3. footer
  const footer = c.subarray(S - 32);
  for (let k = 0; k < 4; k++) if (footer[24 + k] !== FOOTER_MAGIC[k]) throw new RefError('TRUNCATED', 'no footer magic');
  checkCrc(footer, 28, 'footer');
  const endOffset = u64(footer, 0, 'END offset');
  const totalSize = u64(footer, 8, 'total size');
  const recordCount = u32(footer, 16);
  const indexCrc = u32(footer, 20);
  if (endOffset < 32 || endOffset + 56 > S - 32) throw new RefError('FORMAT', `END offset ${endOffset}`);
  if (opts.maxOutputSize !== undefined && totalSize > opts.maxOutputSize) throw new RefError('LIMIT', `total size ${totalSize} over maxOutputSize`);
  // 4. END frame
  const end = c.subarray(endOffset, endOffset + 56);
  checkCrc(end, 52, 'END frame');
  if (end[0] !== 0) throw new RefError('FORMAT', `kind ${end[0]} where END should be`);
  if (end[1] !== 0 || u16(end, 2) !== 0 || u32(end, 8) !== 0) throw new RefError('FORMAT', 'END reserved fields');
  const M = u32(end, 4);
  if (M > MAX_MANIFEST) throw new RefError('LIMIT', `manifest of ${M} bytes`);
  if (u32(end, 12) !== recordCount) throw new RefError('FORMAT', 'END and footer record counts differ');
  const wholeSha = hex(end.subarray(16, 48));
  const manifestCrc = u32(end, 48);
  // 5. layout
  const manifestAt = endOffset + 56;
  const indexAt = manifestAt + M;
  if (indexAt + 16 * recordCount !== S - 32) throw new RefError('FORMAT', 'manifest and index do not fill the space before the footer');
  if (56 * recordCount > endOffset - 32) throw new RefError('FORMAT', `${recordCount} records cannot fit`);
  // 6. manifest CRC
  const manifestBytes = c.subarray(manifestAt, indexAt);
  if (M > 0) {
    if (crc32(manifestBytes) !== manifestCrc) throw new RefError('CHECKSUM', 'manifest CRC32 mismatch');
  } else if (manifestCrc !== 0) throw new RefError('FORMAT', 'manifest CRC without a manifest');
  // 7. index CRC
  const index = c.subarray(indexAt, S - 32);
  if (crc32(index) !== indexCrc) throw new RefError('CHECKSUM', 'index CRC32 mismatch');
  // 8. manifest content
  const manifest = M > 0 ? decodeManifest(manifestBytes, totalSize) : undefined;
  // 9. records
  const records: RefRecord[] = [];
  const data = new Map<number, Uint8Array>(); // DATA record index -> original bytes
  const fifo: { index: number; length: number }[] = [];
  let fifoHead = 0;
  let fifoTotal = 0;
  const inWindow = new Set<number>();
  const pieces: Uint8Array[] = [];
  const codecs = new Map<number, { records: number; originalBytes: number; storedBytes: number }>();
  let at = 32;
  let out = 0;
  let dataRecords = 0;
  let refRecords = 0;
  let refBytes = 0;
  for (let i = 0; i < recordCount; i++) {
    if (u64(index, 16 * i, `index ${i}`) !== at || u64(index, 16 * i + 8, `index ${i}`) !== out) throw new RefError('FORMAT', `index entry ${i} disagrees with the records`);
    if (at + 56 > endOffset) throw new RefError('FORMAT', `record ${i} header runs into END`);
    const h = c.subarray(at, at + 56);
    checkCrc(h, 52, `record ${i} header`);
    const kind = h[0]!;
    if (kind !== 1 && kind !== 2) throw new RefError('FORMAT', `record ${i} kind ${kind}`);
    const codec = h[1]!;
    const params = u16(h, 2);
    const storedLength = u32(h, 4);
    const originalLength = u32(h, 8);
    const target = u32(h, 12);
    const sha = hex(h.subarray(16, 48));
    const payloadCrc = u32(h, 48);
    if (originalLength === 0) throw new RefError('FORMAT', `record ${i} has original length 0 (canonical form)`);
    if (originalLength > MAX_RECORD) throw new RefError('LIMIT', `record ${i} original length ${originalLength}`);
    const rec: RefRecord = { index: i, kind: kind === 1 ? 'DATA' : 'REF', codec, params, storedLength, originalLength, target, sha256: sha, frameOffset: at, originalOffset: out };
    let bytes: Uint8Array;
    if (kind === 1) {
      if (storedLength > MAX_RECORD) throw new RefError('LIMIT', `record ${i} stored length ${storedLength}`);
      if (target !== 0) throw new RefError('FORMAT', `DATA record ${i} with a target`);
      const payloadAt = at + 56;
      if (payloadAt + storedLength > endOffset) throw new RefError('FORMAT', `record ${i} payload runs into END`);
      const stored = c.subarray(payloadAt, payloadAt + storedLength);
      if (crc32(stored) !== payloadCrc) throw new RefError('CHECKSUM', `record ${i} payload CRC32 mismatch`);
      const readOutput = (offset: number, length: number): Uint8Array => {
        if (offset < 0 || offset + length > out) throw new RefError('FORMAT', `record ${i}: reads output [${offset}, ${offset + length}) beyond the ${out} bytes before it`);
        const got = new Uint8Array(length);
        let o = 0; // output offset of pieces[k]
        for (let k = 0, w = 0; k < pieces.length && w < length; k++) {
          const p = pieces[k]!;
          const lo = Math.max(offset + w, o);
          const hi = Math.min(offset + length, o + p.length);
          if (lo < hi && lo === offset + w) {
            got.set(p.subarray(lo - o, hi - o), w);
            w += hi - lo;
          }
          o += p.length;
        }
        return got;
      };
      bytes = decodePayload(codec, params, stored, originalLength, { index: i, recordOffset: out, window, readOutput });
      if (sha256hex(bytes) !== sha) throw new RefError('CHECKSUM', `record ${i} SHA-256 mismatch`);
      data.set(i, bytes);
      // dedup window (FORMAT.md "Dedup window")
      inWindow.add(i);
      if (window !== 0) {
        fifo.push({ index: i, length: originalLength });
        fifoTotal += originalLength;
        while (fifoTotal > window && fifoHead < fifo.length) {
          const old = fifo[fifoHead++]!;
          fifoTotal -= old.length;
          inWindow.delete(old.index);
        }
      }
      dataRecords++;
      const s = codecs.get(codec) ?? { records: 0, originalBytes: 0, storedBytes: 0 };
      s.records++;
      s.originalBytes += originalLength;
      s.storedBytes += storedLength;
      codecs.set(codec, s);
      at = payloadAt + storedLength;
    } else {
      if (codec !== 0 || params !== 0 || storedLength !== 0 || payloadCrc !== 0) throw new RefError('FORMAT', `REF record ${i} with codec/params/stored length/payload CRC`);
      if (target >= i) throw new RefError('FORMAT', `REF record ${i} points forward to ${target}`);
      const t = data.get(target);
      if (t === undefined) throw new RefError('FORMAT', `REF record ${i} targets record ${target}, not a DATA record`);
      if (!inWindow.has(target)) throw new RefError('FORMAT', `REF record ${i} targets record ${target}, outside the dedup window`);
      if (t.length !== originalLength || records[target]!.sha256 !== sha) throw new RefError('FORMAT', `REF record ${i} does not match its target`);
      bytes = t;
      refRecords++;
      refBytes += originalLength;
      at += 56;
    }
    records.push(rec);
    pieces.push(bytes);
    out += originalLength;
  }
  // 10. end
  if (at !== endOffset) throw new RefError('FORMAT', `records end at ${at}, END is at ${endOffset}`);
  if (out !== totalSize) throw new RefError('FORMAT', `records hold ${out} bytes, footer says ${totalSize}`);
  const output = Buffer.concat(pieces, out);
  const outBytes = new Uint8Array(output.buffer, output.byteOffset, output.length);
  if (sha256hex(outBytes) !== wholeSha) throw new RefError('CHECKSUM', 'whole-output SHA-256 mismatch');
  const files: { path: string; data: Uint8Array }[] = [];
  if (manifest) {
    let k = 0;
    const inManifestOrder = manifest.entries.filter((e) => e.type === 'file');
    const inOutputOrder = manifest.order ? manifest.order.map((x) => inManifestOrder[x]!) : inManifestOrder;
    for (const e of inOutputOrder) {
      const d = outBytes.subarray(k, k + e.size);
      if (manifest.version === 1 && sha256hex(d) !== e.sha256) throw new RefError('CHECKSUM', `file ${e.path} SHA-256 mismatch`);
      if (manifest.version === 2 && crc32(d) !== e.crc32) throw new RefError('CHECKSUM', `file ${e.path} CRC32 mismatch`);
      files.push({ path: e.path, data: d });
      k += e.size;
    }
  }
  return {
    containerSize: S,
    version,
    flags,
    window,
    endOffset,
    totalSize,
    recordCount,
    dataRecords,
    refRecords,
    refBytes,
    sha256: wholeSha,
    manifestLength: M,
    manifest,
    records,
    codecs,
    output: outBytes,
    files,
  };
}
