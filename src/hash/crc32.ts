// CRC-32 (IEEE, zlib's crc32) over the wasm core, through its fixed window.
import { assertBytes, assertInt } from '../validate.js';
import { getCore } from '../wasm/core.js';

/**
 * CRC-32 of `data`, continuing from `previous` (the CRC of the bytes before, as returned by an earlier call):
 * crc32(b, crc32(a)) === crc32(a ‖ b). Same values as zlib's crc32(). Needs `await init()` first.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  assertBytes('data', data);
  if (previous !== 0) assertInt('previous', previous, 0, 0xffffffff);
  const { mem, window, windowSize, x } = getCore();
  let crc = previous;
  for (let off = 0; off < data.length; off += windowSize) {
    const n = Math.min(windowSize, data.length - off);
    mem.set(n === data.length ? data : data.subarray(off, off + n), window);
    crc = x.crc32Update(crc, window, n);
  }
  return crc >>> 0;
}
