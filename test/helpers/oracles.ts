// Independent oracles for the tests: node:crypto, node:zlib and hash-wasm never share code with the wasm core.
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export const nodeSha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export const nodeCrc32 = (b: Uint8Array): number => zlibCrc32(b) >>> 0;

/** A copy of `data` placed at byte offset `offset` of a larger buffer, so the view has an odd byteOffset. */
export function atOffset(data: Uint8Array, offset: number): Uint8Array {
  const big = new Uint8Array(data.length + offset + 13);
  big.fill(0xa5);
  big.set(data, offset);
  return big.subarray(offset, offset + data.length);
}
