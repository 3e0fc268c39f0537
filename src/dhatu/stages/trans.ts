// TRANS: byte-level reversible maps of one stream (same length out as in).
//   20 delta     inner params: varint d (1–65535)    out[i] = in[i] − in[i−d] (mod 256), i ≥ d; first d bytes kept
//   21 xor       inner params: varint d (1–65535)    out[i] = in[i] ^ in[i−d]
//   22 transpose inner params: varint w (2–65535)    rows of w bytes → column-major: byte j of every row, j = 0..w−1,
//                                                    then the len mod w tail bytes unchanged
//   23 x86       inner params: none                  E8/E9 rel32 → absolute (see x86Forward)
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { ByteWriter } from './bytes.js';
import { inverseAt, stageResult } from './select.js';

export const TRANS_DELTA = 20;
export const TRANS_XOR = 21;
export const TRANS_TRANSPOSE = 22;
export const TRANS_X86 = 23;

function p1(v: number): Uint8Array {
  const w = new ByteWriter(4);
  w.varint(v);
  return w.finish();
}

export function deltaEncode(s: Uint8Array, d: number): Uint8Array {
  const o = new Uint8Array(s.length);
  for (let i = 0; i < s.length && i < d; i++) o[i] = s[i]!;
  for (let i = d; i < s.length; i++) o[i] = (s[i]! - s[i - d]!) & 255;
  return o;
}
export function deltaDecode(s: Uint8Array, d: number): Uint8Array {
  const o = new Uint8Array(s.length);
  for (let i = 0; i < s.length && i < d; i++) o[i] = s[i]!;
  for (let i = d; i < s.length; i++) o[i] = (s[i]! + o[i - d]!) & 255;
  return o;
}
export function xorEncode(s: Uint8Array, d: number): Uint8Array {
  const o = new Uint8Array(s.length);
  for (let i = 0; i < s.length && i < d; i++) o[i] = s[i]!;
  for (let i = d; i < s.length; i++) o[i] = s[i]! ^ s[i - d]!;
  return o;
}
export function xorDecode(s: Uint8Array, d: number): Uint8Array {
  const o = new Uint8Array(s.length);
  for (let i = 0; i < s.length && i < d; i++) o[i] = s[i]!;
  for (let i = d; i < s.length; i++) o[i] = s[i]! ^ o[i - d]!;
  return o;
}
export function transpose(s: Uint8Array, w: number, inverse: boolean): Uint8Array {
  const rows = Math.floor(s.length / w);
  const o = new Uint8Array(s.length);
  let k = 0;
  for (let j = 0; j < w; j++) {
    for (let r = 0, p = j; r < rows; r++, p += w) {
      if (inverse) o[p] = s[k++]!;
      else o[k++] = s[p]!;
    }
  }
  for (let i = rows * w; i < s.length; i++) o[i] = s[i]!;
  return o;
}

/**
 * x86 branch targets: at each E8 (call) / E9 (jmp) byte at position i with i + 5 ≤ length, the next 4 bytes (LE) are
 * read as v; when v is in the 25-bit signed range [−2^24, 2^24) (top byte 0x00 or 0xFF) it becomes
 * signext25(v + (i + 5)) (forward) or signext25(v − (i + 5)) (inverse) — a bijection on that range, which keeps the
 * top byte 0x00/0xFF. The scan then continues at i + 5 whether or not the operand changed, so both directions see
 * the same opcode positions: invertible on any bytes.
 */
export function x86(s: Uint8Array, inverse: boolean): Uint8Array {
  const o = s.slice();
  const n = o.length;
  let i = 0;
  while (i + 5 <= n) {
    const b = o[i]!;
    if (b !== 0xe8 && b !== 0xe9) {
      i++;
      continue;
    }
    const t = o[i + 4]!;
    if (t === 0 || t === 0xff) {
      const v = o[i + 1]! | (o[i + 2]! << 8) | (o[i + 3]! << 16) | (t << 24);
      const off = i + 5;
      const y = (((inverse ? v - off : v + off) << 7) >> 7) | 0;
      o[i + 1] = y & 255;
      o[i + 2] = (y >>> 8) & 255;
      o[i + 3] = (y >>> 16) & 255;
      o[i + 4] = (y >>> 24) & 255;
    }
    i += 5;
  }
  return o;
}

export function deltaForward(streams: readonly Uint8Array[], sel: number, d: number): StageResult {
  return stageResult(TRANS_DELTA, streams, sel, p1(d), [deltaEncode(streams[sel]!, d)]);
}
export function xorForward(streams: readonly Uint8Array[], sel: number, d: number): StageResult {
  return stageResult(TRANS_XOR, streams, sel, p1(d), [xorEncode(streams[sel]!, d)]);
}
export function transposeForward(streams: readonly Uint8Array[], sel: number, w: number): StageResult {
  return stageResult(TRANS_TRANSPOSE, streams, sel, p1(w), [transpose(streams[sel]!, w, false)]);
}
export function x86Forward(streams: readonly Uint8Array[], sel: number): StageResult {
  return stageResult(TRANS_X86, streams, sel, new Uint8Array(0), [x86(streams[sel]!, false)]);
}

function dist(name: string, id: number, min: number, f: (s: Uint8Array, v: number) => Uint8Array): StageKind {
  return {
    id,
    name,
    dhatu: 'TRANS',
    inverse: (params, streams, ctx: DecodeContext) =>
      inverseAt(name, params, streams, ctx, (r) => {
        const v = r.varint(0xffff);
        if (v < min) r.fail(`${name} parameter ${v} below ${min}`);
        return { k: 1, run: ([s]) => f(s!, v) };
      }),
  };
}

export const TRANS_STAGES: StageKind[] = [
  dist('delta', TRANS_DELTA, 1, deltaDecode),
  dist('xor', TRANS_XOR, 1, xorDecode),
  dist('transpose', TRANS_TRANSPOSE, 2, (s, w) => transpose(s, w, true)),
  {
    id: TRANS_X86,
    name: 'x86',
    dhatu: 'TRANS',
    inverse: (params, streams, ctx) => inverseAt('x86', params, streams, ctx, () => ({ k: 1, run: ([s]) => x86(s!, true) })),
  },
];
