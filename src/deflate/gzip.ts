// gzip (RFC 1952): member headers and the deflate stream each one carries. A file may hold several members back to
// back; a member's end is only known by inflating its deflate stream, so `gzipMembers` inflates (bounded). Never
// throws on malformed input: it returns the members it could walk.
import { inflateRawAt } from './zlib.js';

export interface GzipMember {
  /** offset of the member's first byte (1f 8b) */
  offset: number;
  /** offset of its deflate stream */
  deflateOffset: number;
  /** bytes of deflate stream (known after inflating), -1 if the stream is invalid or truncated */
  deflateLength: number;
  /** offset just past the 8-byte trailer (CRC-32, ISIZE); = data.length when truncated */
  end: number;
}

/** Whether a gzip header (1f 8b, method 8) starts at `at`. */
export function isGzipAt(data: Uint8Array, at = 0): boolean {
  return at + 18 <= data.length && data[at] === 0x1f && data[at + 1] === 0x8b && data[at + 2] === 8 && (data[at + 3]! & 0xe0) === 0;
}

/** Length of the member header at `at` (10 bytes plus FEXTRA, FNAME, FCOMMENT, FHCRC), or -1 when invalid/truncated. */
export function gzipHeaderLength(data: Uint8Array, at = 0): number {
  if (!isGzipAt(data, at)) return -1;
  const flg = data[at + 3]!;
  let p = at + 10;
  if (flg & 4) {
    if (p + 2 > data.length) return -1;
    p += 2 + (data[p]! | (data[p + 1]! << 8));
  }
  for (const bit of [8, 16]) {
    if (flg & bit) {
      while (p < data.length && data[p] !== 0) p++;
      p++;
    }
  }
  if (flg & 2) p += 2;
  return p < data.length ? p - at : -1;
}

/** The members from offset 0 on (at most `maxMembers`), each inflated to find its end (≤ maxRaw bytes each). */
export function gzipMembers(data: Uint8Array, maxMembers = 1024, maxRaw = 1 << 30): GzipMember[] {
  const out: GzipMember[] = [];
  let at = 0;
  try {
    while (out.length < maxMembers) {
      const h = gzipHeaderLength(data, at);
      if (h < 0) break;
      const ds = at + h;
      const inf = inflateRawAt(data, ds, data.length, maxRaw);
      if (!inf) {
        out.push({ offset: at, deflateOffset: ds, deflateLength: -1, end: data.length });
        break;
      }
      const end = Math.min(data.length, ds + inf.consumed + 8);
      out.push({ offset: at, deflateOffset: ds, deflateLength: inf.consumed, end });
      at = end;
    }
  } catch {
    /* out of memory on a hostile size: keep what was walked */
  }
  return out;
}

/** Cut offsets for the grammar registry: where each member after the first begins (sorted, > 0). */
export function gzipBoundaries(data: Uint8Array): number[] {
  const cuts: number[] = [];
  for (const m of gzipMembers(data, 4096, 1 << 28)) if (m.offset > 0) cuts.push(m.offset);
  return cuts;
}
