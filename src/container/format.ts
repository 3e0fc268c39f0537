// The .pnz container, version 1: constants and the fixed binary structures. docs/FORMAT.md is the specification;
// this file is its executable twin (every offset here appears there).
//
//   HEADER (32) · RECORD* · END (56) · MANIFEST (M bytes, optional) · INDEX (16 × count) · FOOTER (32)
//   RECORD = record header (56) · payload (stored length)
// All integers little-endian. Every byte is covered by a CRC32: header, record headers, payloads, END, manifest
// (CRC in END), index (CRC in FOOTER), footer.
import { crc32 } from '../hash/crc32.js';
import { PaniniError } from '../errors.js';
import { MAX_RECORD } from '../limits.js';

export const MAGIC = Uint8Array.of(0x89, 0x50, 0x4e, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a); // \x89 P N Z \r \n \x1a \n
export const FOOTER_MAGIC = Uint8Array.of(0x50, 0x4e, 0x5a, 0x21); // "PNZ!"
export const VERSION = 1;
export const HEADER_SIZE = 32;
export const RECORD_HEADER_SIZE = 56;
export const END_SIZE = 56;
export const INDEX_ENTRY_SIZE = 16;
export const FOOTER_SIZE = 32;
/** smallest possible container: header, END, footer (no records, no manifest) */
export const MIN_CONTAINER = HEADER_SIZE + END_SIZE + FOOTER_SIZE;

/** Largest original (and stored) length of one record. A decoder never allocates more per record. */
export { MAX_RECORD };
/** Largest manifest. */
export const MAX_MANIFEST = 256 << 20;

export const KIND_END = 0;
export const KIND_DATA = 1;
export const KIND_REF = 2;

export interface Header {
  version: number;
  flags: number;
  /** dedup window in bytes (0: unlimited). See FORMAT.md "Dedup window". */
  window: number;
}

export interface RecordHeader {
  kind: typeof KIND_DATA | typeof KIND_REF;
  codec: number;
  params: number;
  storedLength: number;
  originalLength: number;
  /** REF: index of the DATA record it repeats */
  target: number;
  sha256: Uint8Array;
  payloadCrc: number;
}

export interface EndFrame {
  manifestLength: number;
  recordCount: number;
  sha256: Uint8Array;
  manifestCrc: number;
}

export interface Footer {
  endOffset: number;
  totalSize: number;
  recordCount: number;
  indexCrc: number;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function u64(v: DataView, at: number, what: string, offset: number): number {
  const lo = v.getUint32(at, true);
  const hi = v.getUint32(at + 4, true);
  if (hi > 0x1fffff) throw new PaniniError('FORMAT', `${what} at byte ${offset + at} exceeds 2^53`, { offset: offset + at });
  return hi * 0x100000000 + lo;
}

function putU64(v: DataView, at: number, n: number): void {
  v.setUint32(at, n >>> 0, true);
  v.setUint32(at + 4, Math.floor(n / 0x100000000), true);
}

function checkCrc(b: Uint8Array, len: number, what: string, offset: number): void {
  const want = dv(b).getUint32(len, true);
  const got = crc32(b.subarray(0, len));
  if (want !== got) {
    throw new PaniniError('CHECKSUM', `${what} at byte ${offset} is corrupt (CRC32 ${hex8(got)}, expected ${hex8(want)})`, { offset });
  }
}

export const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
/** Bytes as lower-case hexadecimal (digests in messages and reports). */
export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// ---------------------------------------------------------------- header
export function writeHeader(h: Header): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  const v = dv(b);
  b.set(MAGIC, 0);
  v.setUint16(8, h.version, true);
  v.setUint16(10, h.flags, true);
  putU64(v, 16, h.window);
  v.setUint32(28, crc32(b.subarray(0, 28)), true);
  return b;
}

export function readHeader(b: Uint8Array): Header {
  if (b.length < HEADER_SIZE) {
    if (startsWithMagic(b)) throw new PaniniError('TRUNCATED', `container ends inside its header (${b.length} of ${HEADER_SIZE} bytes)`, { offset: b.length });
    throw new PaniniError('FORMAT', 'not a panini-fs container (too short for a header)', { offset: 0 });
  }
  if (!startsWithMagic(b)) throw new PaniniError('FORMAT', 'not a panini-fs container (bad magic at byte 0)', { offset: 0 });
  checkCrc(b, 28, 'container header', 0);
  const v = dv(b);
  const version = v.getUint16(8, true);
  if (version !== VERSION) throw new PaniniError('UNSUPPORTED', `container version ${version} is not supported (this decoder reads version ${VERSION})`, { offset: 8 });
  const flags = v.getUint16(10, true);
  if (flags !== 0) throw new PaniniError('UNSUPPORTED', `container flags 0x${flags.toString(16)} are not supported`, { offset: 10 });
  if (v.getUint32(12, true) !== 0 || v.getUint32(24, true) !== 0) throw new PaniniError('FORMAT', 'reserved header fields must be zero', { offset: 12 });
  return { version, flags, window: u64(v, 16, 'dedup window', 0) };
}

function startsWithMagic(b: Uint8Array): boolean {
  for (let i = 0; i < Math.min(b.length, 8); i++) if (b[i] !== MAGIC[i]) return false;
  return b.length > 0;
}

// ---------------------------------------------------------------- records and END
export function writeRecordHeader(r: RecordHeader): Uint8Array {
  const b = new Uint8Array(RECORD_HEADER_SIZE);
  const v = dv(b);
  b[0] = r.kind;
  b[1] = r.codec;
  v.setUint16(2, r.params, true);
  v.setUint32(4, r.storedLength, true);
  v.setUint32(8, r.originalLength, true);
  v.setUint32(12, r.target, true);
  b.set(r.sha256, 16);
  v.setUint32(48, r.payloadCrc, true);
  v.setUint32(52, crc32(b.subarray(0, 52)), true);
  return b;
}

export function writeEnd(e: EndFrame): Uint8Array {
  const b = new Uint8Array(END_SIZE);
  const v = dv(b);
  b[0] = KIND_END;
  v.setUint32(4, e.manifestLength, true);
  v.setUint32(12, e.recordCount, true);
  b.set(e.sha256, 16);
  v.setUint32(48, e.manifestCrc, true);
  v.setUint32(52, crc32(b.subarray(0, 52)), true);
  return b;
}

/** Parses a 56-byte frame header: a record (DATA/REF) or the END frame. `index` is the record number it would be. */
export function readFrame(b: Uint8Array, offset: number, index: number): RecordHeader | ({ kind: typeof KIND_END } & EndFrame) {
  checkCrc(b, 52, `record ${index} header`, offset);
  const v = dv(b);
  const kind = b[0]!;
  if (kind === KIND_END) {
    if (b[1] !== 0 || v.getUint16(2, true) !== 0 || v.getUint32(8, true) !== 0) {
      throw new PaniniError('FORMAT', `END frame at byte ${offset}: reserved fields must be zero`, { offset });
    }
    const manifestLength = v.getUint32(4, true);
    if (manifestLength > MAX_MANIFEST) throw new PaniniError('LIMIT', `manifest of ${manifestLength} bytes exceeds the ${MAX_MANIFEST}-byte limit`, { offset: offset + 4 });
    return { kind, manifestLength, recordCount: v.getUint32(12, true), sha256: b.slice(16, 48), manifestCrc: v.getUint32(48, true) };
  }
  if (kind !== KIND_DATA && kind !== KIND_REF) throw new PaniniError('FORMAT', `record ${index} at byte ${offset} has unknown kind ${kind}`, { offset, record: index });
  const r: RecordHeader = {
    kind,
    codec: b[1]!,
    params: v.getUint16(2, true),
    storedLength: v.getUint32(4, true),
    originalLength: v.getUint32(8, true),
    target: v.getUint32(12, true),
    sha256: b.slice(16, 48),
    payloadCrc: v.getUint32(48, true),
  };
  if (r.originalLength === 0) throw new PaniniError('FORMAT', `record ${index} at byte ${offset} is empty (records hold at least one byte)`, { offset, record: index });
  if (r.originalLength > MAX_RECORD) throw new PaniniError('LIMIT', `record ${index} at byte ${offset} declares ${r.originalLength} bytes, over the ${MAX_RECORD}-byte record limit`, { offset, record: index });
  if (kind === KIND_DATA) {
    if (r.storedLength > MAX_RECORD) throw new PaniniError('LIMIT', `record ${index} at byte ${offset} stores ${r.storedLength} bytes, over the ${MAX_RECORD}-byte record limit`, { offset, record: index });
    if (r.target !== 0) throw new PaniniError('FORMAT', `DATA record ${index} at byte ${offset}: target field must be zero`, { offset, record: index });
  } else {
    if (r.codec !== 0 || r.params !== 0 || r.storedLength !== 0 || r.payloadCrc !== 0) {
      throw new PaniniError('FORMAT', `REF record ${index} at byte ${offset}: codec, params, stored length and payload CRC must be zero`, { offset, record: index });
    }
    if (r.target >= index) throw new PaniniError('FORMAT', `REF record ${index} at byte ${offset} points forward to record ${r.target}`, { offset, record: index });
  }
  return r;
}

// ---------------------------------------------------------------- index and footer
/** Writes index entry `i` (frame offset, original offset: u64 LE each) into `v`: the one index-entry writer. */
export function putIndexEntry(v: DataView, i: number, frameOffset: number, originalOffset: number): void {
  putU64(v, i * INDEX_ENTRY_SIZE, frameOffset);
  putU64(v, i * INDEX_ENTRY_SIZE + 8, originalOffset);
}

export function writeIndex(entries: { frameOffsets: number[]; originalOffsets: number[] }): Uint8Array {
  const n = entries.frameOffsets.length;
  const b = new Uint8Array(n * INDEX_ENTRY_SIZE);
  const v = dv(b);
  for (let i = 0; i < n; i++) putIndexEntry(v, i, entries.frameOffsets[i]!, entries.originalOffsets[i]!);
  return b;
}

export function readIndexEntry(index: Uint8Array, i: number, indexOffset: number): { frameOffset: number; originalOffset: number } {
  const v = dv(index);
  return {
    frameOffset: u64(v, i * 16, `index entry ${i}`, indexOffset),
    originalOffset: u64(v, i * 16 + 8, `index entry ${i}`, indexOffset),
  };
}

export function writeFooter(f: Footer): Uint8Array {
  const b = new Uint8Array(FOOTER_SIZE);
  const v = dv(b);
  putU64(v, 0, f.endOffset);
  putU64(v, 8, f.totalSize);
  v.setUint32(16, f.recordCount, true);
  v.setUint32(20, f.indexCrc, true);
  b.set(FOOTER_MAGIC, 24);
  v.setUint32(28, crc32(b.subarray(0, 28)), true);
  return b;
}

/** Parses the footer: the last 32 bytes of a container whose total length is `containerLength`. */
export function readFooter(b: Uint8Array, containerLength: number): Footer {
  const offset = containerLength - FOOTER_SIZE;
  for (let i = 0; i < 4; i++) {
    if (b[24 + i] !== FOOTER_MAGIC[i]) {
      throw new PaniniError('TRUNCATED', `container has no footer (no "PNZ!" at byte ${offset + 24}): truncated or not finished`, { offset: containerLength });
    }
  }
  checkCrc(b, 28, 'container footer', offset);
  const v = dv(b);
  return {
    endOffset: u64(v, 0, 'END offset', offset),
    totalSize: u64(v, 8, 'total size', offset),
    recordCount: v.getUint32(16, true),
    indexCrc: v.getUint32(20, true),
  };
}
