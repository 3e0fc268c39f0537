// PNG (ISO/IEC 15948): the chunk list, and the zlib stream that the consecutive IDAT chunks carry between them (the
// stream is cut at arbitrary places by the chunk framing: length, type, CRC-32). Never throws on malformed input:
// it stops at the first chunk that does not fit.
import { crc32Of } from './zlib.js';

export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngChunk {
  /** offset of the chunk's length field */
  offset: number;
  /** data length */
  length: number;
  /** the 4-byte type as a string ("IHDR", "IDAT", …) */
  type: string;
  /** offset of the data (offset + 8); the CRC follows the data */
  dataOffset: number;
}

export function isPng(data: Uint8Array): boolean {
  if (data.length < 8) return false;
  for (let i = 0; i < 8; i++) if (data[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

/** The chunks from the signature on, up to IEND or the first chunk that runs past the end (at most maxChunks). */
export function pngChunks(data: Uint8Array, maxChunks = 1 << 20): PngChunk[] {
  const out: PngChunk[] = [];
  if (!isPng(data)) return out;
  let p = 8;
  while (p + 12 <= data.length && out.length < maxChunks) {
    const len = ((data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!) >>> 0;
    if (len > 0x7fffffff || len > data.length - p - 12) break;
    const type = String.fromCharCode(data[p + 4]!, data[p + 5]!, data[p + 6]!, data[p + 7]!);
    out.push({ offset: p, length: len, type, dataOffset: p + 8 });
    p += 12 + len;
    if (type === 'IEND') break;
  }
  return out;
}

export interface PngIdat {
  /** offset of the first IDAT chunk (its length field) */
  start: number;
  /** offset just past the last IDAT chunk's CRC */
  end: number;
  /** the IDAT chunks, consecutive */
  chunks: PngChunk[];
  /** whether every IDAT chunk's CRC-32 is correct */
  crcOk: boolean;
  /** bytes of zlib stream (the chunks' data lengths summed) */
  zlibLength: number;
}

/** The first run of consecutive IDAT chunks (the image's zlib stream), or null when there is none. */
export function pngIdat(data: Uint8Array): PngIdat | null {
  const chunks = pngChunks(data);
  let i = chunks.findIndex((c) => c.type === 'IDAT');
  if (i < 0) return null;
  const run: PngChunk[] = [];
  let crcOk = true;
  let z = 0;
  for (; i < chunks.length && chunks[i]!.type === 'IDAT'; i++) {
    const c = chunks[i]!;
    run.push(c);
    z += c.length;
    const stored = ((data[c.dataOffset + c.length]! << 24) | (data[c.dataOffset + c.length + 1]! << 16) | (data[c.dataOffset + c.length + 2]! << 8) | data[c.dataOffset + c.length + 3]!) >>> 0;
    if (crcOk && crc32Of(data, c.offset + 4, c.dataOffset + c.length) !== stored) crcOk = false;
  }
  const last = run[run.length - 1]!;
  return { start: run[0]!.offset, end: last.dataOffset + last.length + 4, chunks: run, crcOk, zlibLength: z };
}

/** Cut offsets for the grammar registry: each chunk's start after the signature's (sorted, > 0). */
export function pngBoundaries(data: Uint8Array): number[] {
  return pngChunks(data).map((c) => c.offset);
}
