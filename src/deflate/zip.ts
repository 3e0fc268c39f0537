// ZIP structure (PKWARE APPNOTE 6.3): locates every entry's compressed data, through the central directory (which
// holds the real sizes even when the local header defers them to a data descriptor, flag bit 3), with zip64 sizes and
// offsets, and an archive prefixed by other bytes (self-extractors: the directory's offsets are shifted). When no
// usable central directory exists (truncated archive) it falls back to walking local headers. Never throws on
// malformed input: bad offsets and truncation only yield fewer entries.
import { concatBytes } from '../bytes.js';

export interface ZipEntry {
  /** offset of the local file header (PK\3\4) */
  headerOffset: number;
  /** offset of the entry's (compressed) data */
  dataOffset: number;
  /** compressed size; -1 when unknown (local-header walk of a data-descriptor entry) */
  compSize: number;
  /** uncompressed size; -1 when unknown */
  rawSize: number;
  /** 0 stored, 8 deflate, … */
  method: number;
  flags: number;
  /** name bytes as latin-1 (for reports only) */
  name: string;
}

const LFH = 0x04034b50;
const CDH = 0x02014b50;
const EOCD = 0x06054b50;
const Z64_LOC = 0x07064b50;
const Z64_EOCD = 0x06064b50;
const MAX_ENTRIES = 1 << 20;

function u16(d: Uint8Array, o: number): number {
  return d[o]! | (d[o + 1]! << 8);
}
function u32(d: Uint8Array, o: number): number {
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}
function u64(d: Uint8Array, o: number): number {
  const hi = u32(d, o + 4);
  // beyond 2^53 cannot be a real offset in a JS array: report as invalid
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + u32(d, o);
}

function latin1(d: Uint8Array, o: number, n: number): string {
  let s = '';
  const end = Math.min(o + Math.min(n, 256), d.length);
  for (let i = o; i < end; i++) s += String.fromCharCode(d[i]!);
  return s;
}

/** Whether `data` starts like a ZIP (local header or empty-archive EOCD). */
export function isZip(data: Uint8Array): boolean {
  return data.length >= 22 && (u32(data, 0) === LFH || u32(data, 0) === EOCD);
}

/** Offset of the end-of-central-directory record, searching back over a comment of up to 64 KiB; -1 if none. */
export function findEocd(data: Uint8Array): number {
  const lo = Math.max(0, data.length - 22 - 0xffff);
  for (let i = data.length - 22; i >= lo; i--) {
    if (data[i] === 0x50 && data[i + 1] === 0x4b && data[i + 2] === 5 && data[i + 3] === 6) {
      // the comment must reach exactly to the end (or the archive has trailing bytes: accept when it fits)
      if (i + 22 + u16(data, i + 20) <= data.length) return i;
    }
  }
  return -1;
}

interface CdInfo {
  count: number;
  cdOffset: number;
  cdSize: number;
  /** where the central directory ends (EOCD or zip64 EOCD record) */
  cdEnd: number;
}

function centralDirectory(data: Uint8Array, eocd: number): CdInfo | null {
  let count = u16(data, eocd + 10);
  let cdSize = u32(data, eocd + 12);
  let cdOffset = u32(data, eocd + 16);
  let cdEnd = eocd;
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocd >= 20 && u32(data, eocd - 20) === Z64_LOC) {
    const z = u64(data, eocd - 20 + 8);
    // the zip64 EOCD record normally sits right before the locator; its stored offset may be shifted by a prefix
    let at = eocd - 20 - 56;
    if (!(at >= 0 && u32(data, at) === Z64_EOCD)) at = z;
    if (at >= 0 && at + 56 <= data.length && u32(data, at) === Z64_EOCD) {
      count = Math.min(u64(data, at + 32), MAX_ENTRIES + 1);
      cdSize = u64(data, at + 40);
      cdOffset = u64(data, at + 48);
      cdEnd = at;
    }
  }
  if (count > MAX_ENTRIES) return null;
  return { count, cdOffset, cdSize, cdEnd };
}

/** The zip64 extended-information extra field's values for the fields that are saturated in the header. */
function zip64Extra(data: Uint8Array, ext: number, extLen: number, need: { usize: boolean; csize: boolean; off: boolean }): { usize: number; csize: number; off: number } | null {
  let p = ext;
  const end = Math.min(ext + extLen, data.length);
  while (p + 4 <= end) {
    const id = u16(data, p);
    const len = u16(data, p + 2);
    if (id === 1) {
      let q = p + 4;
      const qe = Math.min(p + 4 + len, end);
      const r = { usize: -1, csize: -1, off: -1 };
      if (need.usize) { if (q + 8 > qe) return null; r.usize = u64(data, q); q += 8; }
      if (need.csize) { if (q + 8 > qe) return null; r.csize = u64(data, q); q += 8; }
      if (need.off) { if (q + 8 > qe) return null; r.off = u64(data, q); q += 8; }
      return r;
    }
    p += 4 + len;
  }
  return null;
}

function entriesFromCd(data: Uint8Array): ZipEntry[] | null {
  const eocd = findEocd(data);
  if (eocd < 0) return null;
  const cd = centralDirectory(data, eocd);
  if (!cd) return null;
  // a prefixed archive (self-extractor, or a zip embedded in other bytes) has all offsets shifted by `delta`
  let delta = 0;
  if (!(cd.cdOffset + 4 <= data.length && (cd.count === 0 || u32(data, cd.cdOffset) === CDH))) {
    const real = cd.cdEnd - cd.cdSize;
    if (real >= 0 && real + 4 <= data.length && u32(data, real) === CDH) delta = real - cd.cdOffset;
    else return null;
  }
  const out: ZipEntry[] = [];
  let p = cd.cdOffset + delta;
  for (let i = 0; i < cd.count; i++) {
    if (p + 46 > data.length || u32(data, p) !== CDH) break;
    const flags = u16(data, p + 8);
    const method = u16(data, p + 10);
    let csize = u32(data, p + 20);
    let usize = u32(data, p + 24);
    const nl = u16(data, p + 28);
    const el = u16(data, p + 30);
    const cl = u16(data, p + 32);
    let lo = u32(data, p + 42);
    if (csize === 0xffffffff || usize === 0xffffffff || lo === 0xffffffff) {
      const z = zip64Extra(data, p + 46 + nl, el, { usize: usize === 0xffffffff, csize: csize === 0xffffffff, off: lo === 0xffffffff });
      if (z) {
        if (z.usize >= 0) usize = z.usize;
        if (z.csize >= 0) csize = z.csize;
        if (z.off >= 0) lo = z.off;
      }
    }
    const name = latin1(data, p + 46, nl);
    p += 46 + nl + el + cl;
    const h = lo + delta;
    if (h < 0 || h + 30 > data.length || u32(data, h) !== LFH) continue;
    const ds = h + 30 + u16(data, h + 26) + u16(data, h + 28);
    if (ds > data.length || csize > data.length - ds) continue;
    out.push({ headerOffset: h, dataOffset: ds, compSize: csize, rawSize: usize, method, flags, name });
  }
  return out;
}

/** Walks local headers from offset 0 (no central directory): sizes may be unknown (-1) for data-descriptor entries. */
function entriesFromLocal(data: Uint8Array): ZipEntry[] {
  const out: ZipEntry[] = [];
  let p = 0;
  while (p + 30 <= data.length && out.length < MAX_ENTRIES) {
    if (u32(data, p) !== LFH) {
      // resynchronise on the next local header signature
      let q = p + 1;
      while (q + 30 <= data.length && !(data[q] === 0x50 && data[q + 1] === 0x4b && data[q + 2] === 3 && data[q + 3] === 4)) q++;
      if (q + 30 > data.length) break;
      p = q;
      continue;
    }
    const flags = u16(data, p + 6);
    const method = u16(data, p + 8);
    let csize = u32(data, p + 18);
    let usize = u32(data, p + 22);
    const nl = u16(data, p + 26);
    const el = u16(data, p + 28);
    const ds = p + 30 + nl + el;
    if (ds > data.length) break;
    if (csize === 0xffffffff || usize === 0xffffffff) {
      const z = zip64Extra(data, p + 30 + nl, el, { usize: usize === 0xffffffff, csize: csize === 0xffffffff, off: false });
      if (z) {
        if (z.usize >= 0) usize = z.usize;
        if (z.csize >= 0) csize = z.csize;
      }
    }
    const deferred = (flags & 8) !== 0 && csize === 0;
    const known = !deferred && csize !== 0xffffffff && csize <= data.length - ds;
    out.push({ headerOffset: p, dataOffset: ds, compSize: known ? csize : -1, rawSize: deferred || usize === 0xffffffff ? -1 : usize, method, flags, name: latin1(data, p + 30, nl) });
    p = known ? ds + csize : ds;
  }
  return out;
}

/**
 * Every entry whose data lies inside `data`, sorted by data offset, without overlaps (a later entry overlapping an
 * earlier one is dropped). Central directory first; local-header walk when there is none.
 */
export function zipEntries(data: Uint8Array): ZipEntry[] {
  let list: ZipEntry[];
  try {
    list = entriesFromCd(data) ?? (isZip(data) ? entriesFromLocal(data) : []);
  } catch {
    list = [];
  }
  list.sort((a, b) => a.dataOffset - b.dataOffset);
  const out: ZipEntry[] = [];
  let end = 0;
  for (const e of list) {
    if (e.headerOffset < end) continue;
    out.push(e);
    end = e.compSize >= 0 ? e.dataOffset + e.compSize : e.dataOffset;
  }
  return out;
}

/** Cut offsets for the grammar registry: each entry's local header and the central directory's start (sorted, > 0). */
export function zipBoundaries(data: Uint8Array): number[] {
  const cuts = new Set<number>();
  for (const e of zipEntries(data)) if (e.headerOffset > 0) cuts.add(e.headerOffset);
  const eocd = findEocd(data);
  if (eocd > 0) {
    const cd = centralDirectory(data, eocd);
    if (cd) {
      const start = cd.cdEnd - cd.cdSize;
      if (start > 0 && start < data.length && u32(data, start) === CDH) cuts.add(start);
    }
    cuts.add(eocd);
  }
  return [...cuts].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b);
}

const DD = 0x08074b50;

/**
 * Where to cut a ZIP that streams by into pieces of about `target` inflated bytes, each starting at a local file
 * header (so REFLATE finds a piece's entries by walking them). An entry's inflated size comes from its local header,
 * or, when the header defers it (flag bit 3), from the data descriptor just before the next header (with or without
 * its signature, 32- or 64-bit sizes); without either it is estimated as 4× the entry's stored bytes. Entries whose
 * sizes are known are skipped over, so no signature inside their data is mistaken for a header. Never throws:
 * malformed input only changes where the cuts fall.
 */
export class ZipPieceCutter {
  /** bytes before the current chunk, kept for headers and descriptors that straddle chunks (≥ 64 bytes) */
  private tail = new Uint8Array(0);
  /** absolute offset of tail[0] */
  private tailStart = 0;
  /** absolute offset the scan resumes at */
  private scanAt = 0;
  /** the current entry: its data's start (-1: none), inflated size (-1: unknown) */
  private dataStart = -1;
  private usize = -1;
  /** a local header whose fields are not all here yet */
  private pendingHeader = -1;
  /** inflated bytes of the current piece's finished entries (≥ target > 0 only after an entry: never at offset 0) */
  private pieceRaw = 0;
  private end = 0;
  constructor(private readonly target: number) {}

  /** The next bytes; returns the cut offsets inside `c` (ascending, each at a local header). */
  push(c: Uint8Array): number[] {
    const chunkStart = this.end;
    this.end += c.length;
    const buf = this.tail.length ? concatBytes([this.tail, c]) : c;
    const base = this.tail.length ? this.tailStart : chunkStart;
    const cuts: number[] = [];
    if (this.pendingHeader >= 0 && this.pendingHeader + 30 <= this.end) this.scanAt = this.header(buf, base, this.pendingHeader);
    let i = Math.max(this.scanAt, base) - base;
    const last = buf.length - 4;
    while (i <= last) {
      if (buf[i] !== 0x50 || buf[i + 1] !== 0x4b || buf[i + 2] !== 3 || buf[i + 3] !== 4) {
        i++;
        continue;
      }
      const p = base + i;
      this.finishEntry(buf, base, p);
      if (this.pieceRaw >= this.target && p >= chunkStart) {
        cuts.push(p - chunkStart);
        this.pieceRaw = 0;
      }
      if (p + 30 <= this.end) {
        const next = this.header(buf, base, p);
        i = Math.max(i + 4, next - base);
      } else {
        this.pendingHeader = p;
        i = buf.length;
      }
    }
    // the last 3 bytes are scanned again with the next chunk; past the data of an entry whose size is known, later
    this.scanAt = Math.max(this.scanAt, base + i);
    // keep enough for a descriptor before the next header and a header that straddles the end
    const keepFrom = Math.min(Math.max(0, buf.length - 64), this.pendingHeader >= 0 ? Math.max(0, this.pendingHeader - base - 24) : buf.length);
    this.tail = buf.slice(keepFrom);
    this.tailStart = base + keepFrom;
    return cuts;
  }

  /** Reads the local header at absolute `p`; returns where scanning goes on (past the data when its size is known). */
  private header(buf: Uint8Array, base: number, p: number): number {
    this.pendingHeader = -1;
    const o = p - base;
    const flags = u16(buf, o + 6);
    const csize = u32(buf, o + 18);
    const usize = u32(buf, o + 22);
    const ds = p + 30 + u16(buf, o + 26) + u16(buf, o + 28);
    this.dataStart = ds;
    const deferred = (flags & 8) !== 0 && csize === 0;
    const saturated = csize === 0xffffffff || usize === 0xffffffff;
    this.usize = deferred || saturated ? -1 : usize;
    return deferred || saturated ? ds : ds + csize;
  }

  /** The header at absolute `p` ends the current entry: its inflated size joins the piece. */
  private finishEntry(buf: Uint8Array, base: number, p: number): void {
    if (this.dataStart < 0) return;
    let raw = this.usize;
    if (raw < 0) {
      const o = p - base;
      const stored = p - this.dataStart;
      if (o >= 16 && u32(buf, o - 16) === DD && u32(buf, o - 8) === stored - 16) raw = u32(buf, o - 4);
      else if (o >= 24 && u32(buf, o - 24) === DD && u32(buf, o - 16) === stored - 24) raw = u64(buf, o - 8);
      else if (o >= 12 && u32(buf, o - 8) === stored - 12) raw = u32(buf, o - 4);
      else raw = 4 * Math.max(0, stored);
    }
    this.pieceRaw += Math.min(raw, 1 << 30);
    this.dataStart = -1;
  }
}
