// pcm: the panini-fs context-mixing coder (assembly/cm/, docs/CODEC.md "context-mixing coder"): bitwise prediction
// from hashed order-1…8, word, column and sparse context models and a match model, mixed by gated logistic mixers,
// refined by APM/SSE stages, coded with a 32-bit binary arithmetic coder. Symmetric: decoding costs what encoding
// does. One call codes one block of at most 16 MiB; the payload carries no length, the caller keeps it.
//
// payload: u8 mode (0 stored, 1 coded) · when coded: u8 model bits b (2^b buckets of 16 bytes per model) ·
// u32 LE CRC32 of the block · the arithmetic coder's bytes.
import { PaniniError } from '../errors.js';
import { crc32 } from '../hash/crc32.js';
import { getCm } from '../wasm/cm.js';

export const CM_MAX_BLOCK = 1 << 24;
export const CM_MIN_BITS = 16;
export const CM_MAX_BITS = 22;
const MODELS = 12;
const HEADER = 6;

/** Model bits per level: 2^bits buckets of 16 bytes for each of the 12 context models. */
export function cmBits(level: number): number {
  return Math.min(CM_MAX_BITS, Math.max(CM_MIN_BITS, level + 12));
}

/** The memory the coder's module holds with `bits` (models, match table, tables, the block and payload buffers). */
export function cmMemoryBytes(bits: number): number {
  return MODELS * 16 * 2 ** bits + 16 * 2 ** 20 + 3 * 65536 * 33 * 2 + 2 * CM_MAX_BLOCK + (2 << 20);
}

/**
 * Compresses `data` (at most 16 MiB) at `level` 1–9 (the level sets the model size, cmBits). The result is at most
 * data.length + 1 bytes (data the models do not shrink is stored). Deterministic on every platform.
 */
export function encode(data: Uint8Array, level = 9): Uint8Array {
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new PaniniError('OPTION', `context-mixing coder level must be an integer from 1 to 9, got ${String(level)}`, { option: 'level' });
  }
  if (data.length > CM_MAX_BLOCK) throw new PaniniError('LIMIT', `the context-mixing coder codes blocks of at most ${CM_MAX_BLOCK} bytes, got ${data.length}`);
  const stored = (): Uint8Array => {
    const out = new Uint8Array(data.length + 1);
    out.set(data, 1);
    return out;
  };
  if (data.length === 0) return stored();
  const bits = cmBits(level);
  const c = getCm();
  if (c.x.reserve(bits) !== 0) throw new PaniniError('WASM', `the context-mixing coder could not reserve ${cmMemoryBytes(bits)} bytes of memory`);
  c.mem().set(data, c.bufPtr);
  const n = c.x.encode(data.length, bits);
  if (n < 0 || n + HEADER > data.length) return stored();
  const out = new Uint8Array(n + HEADER);
  out[0] = 1;
  out[1] = bits;
  new DataView(out.buffer).setUint32(2, crc32(data), true);
  out.set(c.mem().subarray(c.payPtr, c.payPtr + n), HEADER);
  return out;
}

/**
 * Decompresses a payload made by encode() into exactly `originalLength` bytes. Throws PaniniError FORMAT when the
 * payload is not valid for that length (corrupt, truncated, too long, wrong CRC32). Work is bounded by originalLength.
 */
export function decode(payload: Uint8Array, originalLength: number): Uint8Array {
  if (!Number.isInteger(originalLength) || originalLength < 0 || originalLength > CM_MAX_BLOCK) {
    throw new PaniniError('FORMAT', `context-mixing payload declares ${String(originalLength)} bytes, outside 0–${CM_MAX_BLOCK}`);
  }
  if (payload.length < 1) throw new PaniniError('FORMAT', 'context-mixing payload is empty');
  if (payload.length > originalLength + 1) {
    throw new PaniniError('FORMAT', `context-mixing payload of ${payload.length} bytes is longer than its ${originalLength} bytes + 1`);
  }
  const mode = payload[0]!;
  if (mode === 0) {
    if (payload.length !== originalLength + 1) throw new PaniniError('FORMAT', `stored context-mixing payload has ${payload.length - 1} bytes, declared ${originalLength}`);
    return payload.slice(1);
  }
  if (mode !== 1) throw new PaniniError('FORMAT', `context-mixing payload has mode ${mode} (0 stored, 1 coded)`);
  if (payload.length < HEADER) throw new PaniniError('FORMAT', `context-mixing payload of ${payload.length} bytes is shorter than its ${HEADER}-byte header`);
  const bits = payload[1]!;
  if (bits < CM_MIN_BITS || bits > CM_MAX_BITS) throw new PaniniError('FORMAT', `context-mixing payload declares model bits ${bits}, outside ${CM_MIN_BITS}–${CM_MAX_BITS}`);
  const crc = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(2, true);
  const c = getCm();
  if (c.x.reserve(bits) !== 0) throw new PaniniError('WASM', `the context-mixing coder could not reserve ${cmMemoryBytes(bits)} bytes of memory`);
  const body = payload.subarray(HEADER);
  if (body.length > c.payCap - 8) throw new PaniniError('FORMAT', `context-mixing payload of ${body.length} bytes is over the coder's buffer`);
  c.mem().set(body, c.payPtr);
  const r = c.x.decode(body.length, originalLength, bits);
  if (r !== originalLength) {
    throw new PaniniError('FORMAT', `context-mixing payload is invalid: ${r === -2 ? 'its length does not match the coded bits (truncated or trailing bytes)' : `error ${r}`}`);
  }
  const out = c.mem().slice(c.bufPtr, c.bufPtr + originalLength);
  if (crc32(out) !== crc) throw new PaniniError('FORMAT', 'context-mixing payload is corrupt: the decoded block fails its CRC32');
  return out;
}
