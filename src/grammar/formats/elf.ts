// ELF: cuts at the start and end of every section with file bytes (from the section header table), of every segment
// (program header table), and around both tables. Sections larger than maxSize are cut by size. Every field is
// checked against the file size; a table that does not fit is ignored (its part of the file is cut by size).
import { listGrammar } from '../cut.js';
import type { Grammar } from '../types.js';

export interface ElfHeader {
  bits: 32 | 64;
  littleEndian: boolean;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
}

function rd(data: Uint8Array, off: number, size: 2 | 4 | 8, le: boolean): number {
  if (off < 0 || off + size > data.length) return -1;
  if (size === 2) return le ? data[off]! | (data[off + 1]! << 8) : (data[off]! << 8) | data[off + 1]!;
  if (size === 4) {
    const v = le
      ? data[off]! | (data[off + 1]! << 8) | (data[off + 2]! << 16) | (data[off + 3]! << 24)
      : (data[off]! << 24) | (data[off + 1]! << 16) | (data[off + 2]! << 8) | data[off + 3]!;
    return v >>> 0;
  }
  const lo = rd(data, le ? off : off + 4, 4, le);
  const hi = rd(data, le ? off + 4 : off, 4, le);
  if (hi >= 2 ** 21) return -1; // beyond 2^53: not an offset into any file we can hold
  return hi * 2 ** 32 + lo;
}

/** Parses the ELF file header; undefined when the magic, class or encoding is wrong or the header is cut short. */
export function parseElfHeader(data: Uint8Array): ElfHeader | undefined {
  if (data.length < 52 || data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c || data[3] !== 0x46) return undefined;
  const cls = data[4];
  const enc = data[5];
  if ((cls !== 1 && cls !== 2) || (enc !== 1 && enc !== 2)) return undefined;
  const le = enc === 1;
  if (cls === 2) {
    if (data.length < 64) return undefined;
    return {
      bits: 64,
      littleEndian: le,
      phoff: rd(data, 0x20, 8, le),
      shoff: rd(data, 0x28, 8, le),
      phentsize: rd(data, 0x36, 2, le),
      phnum: rd(data, 0x38, 2, le),
      shentsize: rd(data, 0x3a, 2, le),
      shnum: rd(data, 0x3c, 2, le),
    };
  }
  return {
    bits: 32,
    littleEndian: le,
    phoff: rd(data, 0x1c, 4, le),
    shoff: rd(data, 0x20, 4, le),
    phentsize: rd(data, 0x2a, 2, le),
    phnum: rd(data, 0x2c, 2, le),
    shentsize: rd(data, 0x2e, 2, le),
    shnum: rd(data, 0x30, 2, le),
  };
}

/** Sections with file bytes: [offset, size] pairs that lie inside the data (the others are dropped). */
export function elfSections(data: Uint8Array, h: ElfHeader): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const le = h.littleEndian;
  const minEnt = h.bits === 64 ? 64 : 40;
  if (h.shoff <= 0 || h.shentsize < minEnt) return out;
  let num = h.shnum;
  if (num === 0) {
    // more than 0xff00 sections: the count is in section 0's sh_size
    num = rd(data, h.shoff + (h.bits === 64 ? 32 : 20), h.bits === 64 ? 8 : 4, le);
  }
  if (num <= 0) return out;
  num = Math.min(num, Math.floor((data.length - h.shoff) / h.shentsize)); // never more entries than fit
  for (let k = 0; k < num; k++) {
    const e = h.shoff + k * h.shentsize;
    const type = rd(data, e + 4, 4, le);
    const off = h.bits === 64 ? rd(data, e + 24, 8, le) : rd(data, e + 16, 4, le);
    const size = h.bits === 64 ? rd(data, e + 32, 8, le) : rd(data, e + 20, 4, le);
    if (type === 0 || type === 8 || off < 0 || size <= 0) continue; // SHT_NULL, SHT_NOBITS, unreadable, empty
    if (off + size > data.length) continue;
    out.push([off, size]);
  }
  return out;
}

/** Segments with file bytes: [offset, filesz] pairs that lie inside the data. */
export function elfSegments(data: Uint8Array, h: ElfHeader): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const le = h.littleEndian;
  const minEnt = h.bits === 64 ? 56 : 32;
  if (h.phoff <= 0 || h.phentsize < minEnt || h.phnum <= 0) return out;
  const num = Math.min(h.phnum, Math.floor((data.length - h.phoff) / h.phentsize));
  for (let k = 0; k < num; k++) {
    const e = h.phoff + k * h.phentsize;
    const off = h.bits === 64 ? rd(data, e + 8, 8, le) : rd(data, e + 4, 4, le);
    const size = h.bits === 64 ? rd(data, e + 32, 8, le) : rd(data, e + 16, 4, le);
    if (off < 0 || size <= 0 || off + size > data.length) continue;
    out.push([off, size]);
  }
  return out;
}

export function elfGrammar(data: Uint8Array): Grammar {
  const pos: number[] = [];
  const lvl: number[] = [];
  const h = parseElfHeader(data);
  if (h) {
    const hdrEnd = h.bits === 64 ? 64 : 52;
    pos.push(hdrEnd);
    lvl.push(0);
    for (const [off, size] of elfSections(data, h)) pos.push(off, off + size), lvl.push(0, 0);
    for (const [off, size] of elfSegments(data, h)) pos.push(off, off + size), lvl.push(0, 0);
    if (h.shoff > 0 && h.shoff < data.length) pos.push(h.shoff), lvl.push(0);
    if (h.phoff > 0 && h.phnum > 0 && h.phoff + h.phnum * h.phentsize <= data.length) {
      pos.push(h.phoff, h.phoff + h.phnum * h.phentsize);
      lvl.push(0, 0);
    }
  }
  return listGrammar(data.length, pos, lvl, 1);
}
