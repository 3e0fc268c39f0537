// pfz: the panini-fs fast codec (assembly/fast/, docs/CODEC.md "fast codec"): LZ77 with a 16 MiB window, three
// repeat offsets and canonical Huffman coding (table-driven, four interleaved literal streams), built to decode
// fast. One call codes one block of at most 16 MiB; the payload carries no length, the caller keeps it.
import { PaniniError } from '../errors.js';
import { getFast } from '../wasm/fast.js';

/** Largest block one call codes (original bytes). */
export const FAST_MAX_BLOCK = 1 << 24;
export const FAST_MIN_LEVEL = 1;
export const FAST_MAX_LEVEL = 9;
/** The default level: the one that compresses at ≥ 10 MB/s on the corpus (docs/CODEC.md). */
export const FAST_DEFAULT_LEVEL = 2;

const DECODE_ERRORS: Record<number, string> = {
  [-1]: 'bad header (mode byte, or a Huffman table)',
  [-2]: 'corrupt data (a length, table, distance or bit stream out of range)',
  [-3]: 'truncated (a field or stream runs past the payload)',
  [-4]: 'raw payload of the wrong length',
  [-5]: 'sizes out of range',
  [-6]: 'bytes left after the last sub-block (wrong length or trailing garbage)',
};

/** Whether the loaded module is the SIMD build (loads it). */
export function fastUsesSimd(): boolean {
  return getFast().simd;
}

/**
 * Compresses `data` (at most 16 MiB) at `level` 1–9 (default 2): 1–4 lazy matching over hash chains (deeper per
 * level), 5–9 optimal parsing. The result is at most data.length + 1 bytes (incompressible data is stored raw).
 * Deterministic: same bytes and level → same payload, on every platform.
 */
export function encode(data: Uint8Array, level: number = FAST_DEFAULT_LEVEL): Uint8Array {
  if (!Number.isInteger(level) || level < FAST_MIN_LEVEL || level > FAST_MAX_LEVEL) {
    throw new PaniniError('OPTION', `fast codec level must be an integer from ${FAST_MIN_LEVEL} to ${FAST_MAX_LEVEL}, got ${String(level)}`, { option: 'level' });
  }
  if (data.length > FAST_MAX_BLOCK) {
    throw new PaniniError('LIMIT', `the fast codec codes blocks of at most ${FAST_MAX_BLOCK} bytes, got ${data.length}`);
  }
  const f = getFast();
  f.ensureEncoder();
  f.mem().set(data, f.inPtr);
  const len = f.x.encode(data.length, level);
  if (len < 0) throw new PaniniError('WASM', `fast codec encoder failed (${len})`);
  return f.mem().slice(f.outPtr, f.outPtr + len);
}

/**
 * Decompresses a payload made by encode() into exactly `originalLength` bytes. Throws PaniniError FORMAT when the
 * payload is not valid for that length (corrupt, truncated, too long). Never reads or writes outside its buffers
 * and always ends: the work is bounded by originalLength and the payload's length.
 */
export function decode(payload: Uint8Array, originalLength: number): Uint8Array {
  if (!Number.isInteger(originalLength) || originalLength < 0 || originalLength > FAST_MAX_BLOCK) {
    throw new PaniniError('FORMAT', `fast codec payload declares ${String(originalLength)} bytes, outside 0–${FAST_MAX_BLOCK}`);
  }
  if (payload.length > originalLength + 1) {
    throw new PaniniError('FORMAT', `fast codec payload of ${payload.length} bytes is longer than its ${originalLength} bytes + 1`);
  }
  const f = getFast();
  f.mem().set(payload, f.inPtr);
  const r = f.x.decode(payload.length, originalLength);
  if (r !== originalLength) {
    throw new PaniniError('FORMAT', `fast codec payload is invalid: ${DECODE_ERRORS[r] ?? `error ${r}`}`);
  }
  return f.mem().slice(f.outPtr, f.outPtr + originalLength);
}

/**
 * The TOKEN "words" inverse's expansion loop in wasm (assembly/fast/token.ts): `text` through `dict` (words each
 * ended by `sep`), with `role` (256 entries: −1 literal, j ≥ 0 the single-byte code of word j, −2 − p prefix p).
 * Returns the output, or undefined when the input is invalid or outside the module's limits (16 MiB in, 16 MiB out): the
 * caller's own loop then gives the error with its message, or handles the large case.
 */
export function tokenExpand(text: Uint8Array, dict: Uint8Array, role: Int32Array, nS: number, nP: number, sep: number, max: number): Uint8Array | undefined {
  if (text.length > FAST_MAX_BLOCK || dict.length > FAST_MAX_BLOCK || role.length !== 256) return undefined;
  const f = getFast();
  const m = f.mem();
  m.set(text, f.inPtr);
  m.set(dict, f.x.litPtr());
  new Int32Array(f.x.memory.buffer, f.x.tablesPtr(), 256).set(role);
  // an output over 16 MiB (allowed up to `max`) also declines: the caller's loop expands it
  const n = f.x.tokenExpand(text.length, dict.length, nS, nP, sep, Math.min(max, FAST_MAX_BLOCK));
  return n < 0 ? undefined : f.mem().slice(f.outPtr, f.outPtr + n);
}
