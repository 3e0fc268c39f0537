// plz: the panini-fs LZ77 + adaptive binary range coder (assembly/codec/, docs/CODEC.md). One call codes one block
// of at most 16 MiB; the payload carries no length, the caller keeps it (the container's record does).
import { PaniniError } from '../errors.js';
import { getCodec } from '../wasm/codec.js';

/** Largest block one call codes (original bytes). */
export const PLZ_MAX_BLOCK = 1 << 24;
export const PLZ_MIN_LEVEL = 1;
export const PLZ_MAX_LEVEL = 9;

const DECODE_ERRORS: Record<number, string> = {
  [-1]: 'bad header (props byte)',
  [-2]: 'corrupt data (a match reaches before the start or past the end)',
  [-3]: 'truncated (the decoder needed bytes past the payload)',
  [-4]: 'raw payload of the wrong length',
  [-5]: 'sizes out of range',
  [-6]: 'bytes left after the last symbol (wrong length or trailing garbage)',
};

/**
 * Compresses `data` (at most 16 MiB) at `level` 1–9: 1–4 fast (hash chains, lazy matching), 5–9 optimal parsing
 * (binary trees, more effort per level). The result is at most data.length + 1 bytes (incompressible data is
 * stored raw). Deterministic: same bytes and level → same payload, on every platform.
 */
export function encode(data: Uint8Array, level: number): Uint8Array {
  if (!Number.isInteger(level) || level < PLZ_MIN_LEVEL || level > PLZ_MAX_LEVEL) {
    throw new PaniniError('OPTION', `plz level must be an integer from ${PLZ_MIN_LEVEL} to ${PLZ_MAX_LEVEL}, got ${String(level)}`, { option: 'level' });
  }
  if (data.length > PLZ_MAX_BLOCK) {
    throw new PaniniError('LIMIT', `plz codes blocks of at most ${PLZ_MAX_BLOCK} bytes, got ${data.length}`);
  }
  const c = getCodec();
  c.ensureEncoder();
  c.mem().set(data, c.inPtr);
  const len = c.x.encode(data.length, level);
  if (len < 0) throw new PaniniError('WASM', `plz encoder failed (${len})`);
  return c.mem().slice(c.outPtr, c.outPtr + len);
}

/**
 * Decompresses a payload made by encode() into exactly `originalLength` bytes. Throws PaniniError FORMAT when the
 * payload is not valid for that length (corrupt, truncated, too long). Never writes or reads outside its buffers
 * and always ends: the work is bounded by originalLength.
 */
export function decode(payload: Uint8Array, originalLength: number): Uint8Array {
  if (!Number.isInteger(originalLength) || originalLength < 0 || originalLength > PLZ_MAX_BLOCK) {
    throw new PaniniError('FORMAT', `plz payload declares ${String(originalLength)} bytes, outside 0–${PLZ_MAX_BLOCK}`);
  }
  if (payload.length > originalLength + 1) {
    throw new PaniniError('FORMAT', `plz payload of ${payload.length} bytes is longer than its ${originalLength} bytes + 1`);
  }
  const c = getCodec();
  c.mem().set(payload, c.inPtr);
  const r = c.x.decode(payload.length, originalLength);
  if (r !== originalLength) {
    throw new PaniniError('FORMAT', `plz payload is invalid: ${DECODE_ERRORS[r] ?? `error ${r}`}`);
  }
  return c.mem().slice(c.outPtr, c.outPtr + originalLength);
}
