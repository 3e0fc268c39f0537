// tar (v7, ustar, GNU, pax): cuts before every member (its pax 'x' / GNU 'L' 'K' prefix headers stay with it), at
// the end-of-archive blocks, then between each member's header and its data, then by size. Every header's checksum
// is verified and every size is checked against the file; the first bad header ends the parse (the rest is cut by
// size).
import { listGrammar } from '../cut.js';
import type { Grammar } from '../types.js';

/** Parses a numeric field: octal text (NUL/space terminated) or GNU base-256; -1 when malformed. */
export function tarNumber(data: Uint8Array, off: number, len: number): number {
  const c0 = data[off]!;
  if (c0 & 0x80) {
    if (c0 !== 0x80) return -1; // negative or absurdly large
    let v = 0;
    for (let k = 1; k < len; k++) {
      v = v * 256 + data[off + k]!;
      if (v > Number.MAX_SAFE_INTEGER / 256) return -1;
    }
    return v;
  }
  let v = 0;
  let k = 0;
  while (k < len && data[off + k] === 32) k++;
  let digits = 0;
  for (; k < len; k++) {
    const c = data[off + k]!;
    if (c === 0 || c === 32) break;
    if (c < 48 || c > 55) return -1;
    v = v * 8 + (c - 48);
    digits++;
  }
  return digits === 0 ? 0 : v;
}

/** True when the 512-byte block at off has a valid header checksum (unsigned sum, chksum field as spaces). */
export function tarChecksumOk(data: Uint8Array, off: number): boolean {
  if (off + 512 > data.length) return false;
  const want = tarNumber(data, off + 148, 8);
  if (want < 0) return false;
  let sum = 0;
  for (let k = 0; k < 512; k++) sum += k >= 148 && k < 156 ? 32 : data[off + k]!;
  return sum === want;
}

function zeroBlock(data: Uint8Array, off: number): boolean {
  for (let k = 0; k < 512; k++) if (data[off + k] !== 0) return false;
  return true;
}

export interface TarMember {
  /** offset of the first header of the member (its prefix headers included) */
  start: number;
  /** offset of its data (after the last header) */
  dataStart: number;
  /** offset after its padded data */
  end: number;
}

/** Members, and the offset where parsing stopped (the end-of-archive marker or the first bad header). */
export function tarMembers(data: Uint8Array): { members: TarMember[]; stop: number } {
  const members: TarMember[] = [];
  let off = 0;
  let start = -1;
  while (off + 512 <= data.length) {
    if (zeroBlock(data, off)) break;
    if (!tarChecksumOk(data, off)) break;
    const type = data[off + 156]!;
    let size = tarNumber(data, off + 124, 12);
    if (size < 0) break;
    // links, devices, directories, FIFOs carry no data
    if (type >= 49 && type <= 54) size = 0;
    const dataStart = off + 512;
    const end = dataStart + Math.ceil(size / 512) * 512;
    if (dataStart + size > data.length) break; // the size lies (or the archive is cut short)
    if (start < 0) start = off;
    off = Math.min(end, data.length);
    // pax extended header ('x'), GNU long name / long link ('L', 'K'): part of the next member
    if (type === 120 || type === 76 || type === 75) continue;
    members.push({ start, dataStart, end: off });
    start = -1;
  }
  return { members, stop: off };
}

export function tarGrammar(data: Uint8Array): Grammar {
  const { members, stop } = tarMembers(data);
  const pos: number[] = [];
  const lvl: number[] = [];
  for (const m of members) {
    pos.push(m.start, m.dataStart);
    lvl.push(0, 1);
  }
  pos.push(stop);
  lvl.push(0);
  return listGrammar(data.length, pos, lvl, 2);
}

/** Detection: a checksummed header at 0 (ustar magic or a plausible v7 name). */
export function sniffTar(head: Uint8Array): { ustar: boolean } | undefined {
  if (head.length < 512 || !tarChecksumOk(head, 0) || zeroBlock(head, 0)) return undefined;
  const ustar = head[257] === 0x75 && head[258] === 0x73 && head[259] === 0x74 && head[260] === 0x61 && head[261] === 0x72;
  if (!ustar) {
    // v7: the name must be printable up to its NUL
    if (head[0] === 0) return undefined;
    for (let k = 0; k < 100 && head[k] !== 0; k++) if (head[k]! < 32 || head[k]! > 126) return undefined;
  }
  return { ustar };
}
