// WebAssembly binary: cuts at every section (id byte), then, inside the code section, at every function body and,
// inside the data section, at every data segment. Every size is checked against its section and the file; the first
// entry that does not fit ends the parse of that section (the rest of it is cut by size).
import { listGrammar } from '../cut.js';
import type { Grammar } from '../types.js';

/** Reads an unsigned LEB128 u32 at off: [value, next offset], or [-1, off] when malformed or cut short. */
export function readLeb(data: Uint8Array, off: number, end: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let k = 0; k < 5; k++) {
    const i = off + k;
    if (i >= end) return [-1, off];
    const c = data[i]!;
    v += (c & 0x7f) * mul;
    if ((c & 0x80) === 0) return v > 0xffffffff ? [-1, off] : [v, i + 1];
    mul *= 128;
  }
  return [-1, off];
}

export const isWasm = (d: Uint8Array): boolean =>
  d.length >= 8 && d[0] === 0 && d[1] === 0x61 && d[2] === 0x73 && d[3] === 0x6d && d[4] === 1 && d[5] === 0 && d[6] === 0 && d[7] === 0;

/** Sections as [id, start (id byte), content start, end]; stops at the first one that does not fit. */
export function wasmSections(data: Uint8Array): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  if (!isWasm(data)) return out;
  let i = 8;
  while (i < data.length) {
    const id = data[i]!;
    const [size, c] = readLeb(data, i + 1, data.length);
    if (size < 0 || id > 13 || c + size > data.length) break;
    out.push([id, i, c, c + size]);
    i = c + size;
  }
  return out;
}

/** Entries of a vector section (code: function bodies, data: segments): start offsets of each entry. */
function codeEntries(data: Uint8Array, c: number, end: number, out: number[]): void {
  let [count, i] = readLeb(data, c, end);
  if (count < 0) return;
  for (let k = 0; k < count && i < end; k++) {
    out.push(i);
    const [size, b] = readLeb(data, i, end);
    if (size < 0 || b + size > end) return;
    i = b + size;
  }
}

/** Skips a constant expression (…, 0x0b end) of the forms data segments use; returns the offset after it or -1. */
function skipConstExpr(data: Uint8Array, i: number, end: number): number {
  for (let guard = 0; guard < 16 && i < end; guard++) {
    const op = data[i++]!;
    if (op === 0x0b) return i;
    if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2) {
      // i32.const / i64.const (signed LEB, up to 10 bytes), global.get, ref.func
      let k = 0;
      while (i < end && k < 10 && data[i]! & 0x80) i++, k++;
      i++;
    } else if (op === 0xd0) i++; // ref.null t
    else return -1;
  }
  return -1;
}

function dataEntries(data: Uint8Array, c: number, end: number, out: number[]): void {
  let [count, i] = readLeb(data, c, end);
  if (count < 0) return;
  for (let k = 0; k < count && i < end; k++) {
    out.push(i);
    const [flags, f] = readLeb(data, i, end);
    if (flags < 0 || flags > 2) return;
    i = f;
    if (flags === 2) {
      const [, m] = readLeb(data, i, end);
      if (m === i) return;
      i = m;
    }
    if (flags !== 1) {
      i = skipConstExpr(data, i, end);
      if (i < 0) return;
    }
    const [size, b] = readLeb(data, i, end);
    if (size < 0 || b + size > end) return;
    i = b + size;
  }
}

export function wasmGrammar(data: Uint8Array): Grammar {
  const pos: number[] = [];
  const lvl: number[] = [];
  const sections = wasmSections(data);
  const fine: number[] = [];
  for (const [id, start, c, end] of sections) {
    pos.push(start, end);
    lvl.push(0, 0);
    if (id === 10) codeEntries(data, c, end, fine);
    else if (id === 11) dataEntries(data, c, end, fine);
  }
  for (const p of fine) pos.push(p), lvl.push(1);
  return listGrammar(data.length, pos, lvl, 2);
}
