// The codec registry: the id stored in each DATA record names how its payload decodes to the original bytes.
// Ids are never reused. Ranges reserved for later work (FORMAT.md "Codec registry"):
//   0–15 general codecs · 16–63 dhātu plans · 64–95 deflate-stream recompression · 96–255 unassigned
import { deflateSync, Inflate } from 'fflate';
import { decode as plzDecode, encode as plzEncode } from '../codec/plz.js';
import { decode as pfzDecode, encode as pfzEncode } from '../codec/pfz.js';
import { PaniniError } from '../errors.js';
import { checkCoded } from '../codec/check.js';
export { checkCoded };
import { CODEC_DHATU, decodeDhatu, type OutputAccess } from '../dhatu/adapter/record.js';

export const CODEC_STORE = 0;
export const CODEC_DEFLATE = 1;
export const CODEC_PLZ = 2;
export const CODEC_PFZ = 3;

export interface CodecInfo {
  id: number;
  name: string;
  /** what `params` means for this codec */
  params: string;
}

export const CODECS: readonly CodecInfo[] = [
  { id: CODEC_STORE, name: 'store', params: 'must be 0' },
  { id: CODEC_DEFLATE, name: 'deflate', params: 'deflate level used by the encoder (1–9); informational' },
  { id: CODEC_PLZ, name: 'plz', params: 'plz level used by the encoder (1–9); informational (docs/CODEC.md)' },
  { id: CODEC_PFZ, name: 'pfz', params: 'pfz (fast codec) level used by the encoder (1–9); informational (docs/CODEC.md "fast codec")' },
  { id: CODEC_DHATU, name: 'dhatu', params: 'dhātu level used by the encoder (1–9); informational (docs/DHATU.md)' },
];

export function codecName(id: number): string {
  return CODECS.find((c) => c.id === id)?.name ?? `unknown(${id})`;
}

/** The block codecs in WebAssembly (≤ 16 MiB per call), by container codec id. */
const BLOCK_CODECS = new Map<number, { name: string; encode(data: Uint8Array, level: number): Uint8Array; decode(payload: Uint8Array, n: number): Uint8Array }>([
  [CODEC_PLZ, { name: 'plz', encode: plzEncode, decode: plzDecode }], // LZ77 + range coding, src/codec/plz.ts
  [CODEC_PFZ, { name: 'pfz', encode: pfzEncode, decode: pfzDecode }], // LZ77 + Huffman, src/codec/pfz.ts
]);

/** Codes one chunk. Returns the codec and the stored bytes; falls back to store when coding does not shrink it. */
export function encodeChunk(data: Uint8Array, level: number, codec: number = CODEC_DEFLATE): { codec: number; params: number; stored: Uint8Array } {
  if (level > 0 && data.length > 0) {
    const block = BLOCK_CODECS.get(codec);
    const d = block ? block.encode(data, level) : deflateSync(data, { level: level as 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 });
    if (d.length < data.length) return { codec: block ? codec : CODEC_DEFLATE, params: level, stored: d };
  }
  return { codec: CODEC_STORE, params: 0, stored: data };
}


/**
 * Decodes one payload into exactly `originalLength` bytes. Never allocates more than originalLength (itself
 * bounded by MAX_RECORD); a payload that decodes to a different length is reported, not trusted.
 */
export function decodeChunk(codec: number, params: number, stored: Uint8Array, originalLength: number, where: { offset: number; record: number }, out?: OutputAccess): Uint8Array {
  switch (codec) {
    case CODEC_DHATU:
      return decodeDhatu(stored, params, originalLength, where, out);
    case CODEC_STORE:
      if (params !== 0) throw new PaniniError('FORMAT', `record ${where.record} at byte ${where.offset}: store codec with params ${params}`, where);
      if (stored.length !== originalLength) {
        throw new PaniniError('FORMAT', `record ${where.record} at byte ${where.offset}: stored ${stored.length} bytes but declares ${originalLength}`, where);
      }
      return stored;
    case CODEC_DEFLATE:
      checkCoded('deflate', params, stored.length, originalLength, where);
      return inflateBounded(stored, originalLength, where);
    case CODEC_PLZ:
    case CODEC_PFZ: {
      const block = BLOCK_CODECS.get(codec)!;
      checkCoded(block.name, params, stored.length, originalLength, where);
      try {
        return block.decode(stored, originalLength);
      } catch (e) {
        if (e instanceof PaniniError && e.code === 'FORMAT') throw new PaniniError('FORMAT', `record ${where.record} at byte ${where.offset}: ${e.message}`, where, { cause: e });
        throw e;
      }
    }
    default:
      throw new PaniniError('UNSUPPORTED', `record ${where.record} at byte ${where.offset} uses codec ${codec}, which this decoder does not support (known: ${CODECS.map((c) => `${c.id} ${c.name}`).join(', ')})`, where);
  }
}

/** Input slice per inflate step: one slice can expand to at most ~1032x its size before the bound is checked. */
const INFLATE_SLICE = 16 << 10;

/**
 * Inflates a raw deflate stream into exactly `n` bytes, slice by slice, stopping as soon as the output would exceed
 * `n` (a "bomb" costs at most one slice of work past the bound, not the whole expansion).
 */
function inflateBounded(stored: Uint8Array, n: number, where: { offset: number; record: number }): Uint8Array {
  const out = new Uint8Array(n);
  let k = 0;
  let over = false;
  const inf = new Inflate((chunk) => {
    if (over) return;
    if (k + chunk.length > n) {
      over = true;
      return;
    }
    out.set(chunk, k);
    k += chunk.length;
  });
  try {
    for (let i = 0; i < stored.length && !over; i += INFLATE_SLICE) {
      const end = Math.min(stored.length, i + INFLATE_SLICE);
      inf.push(stored.subarray(i, end), end === stored.length);
    }
  } catch (e) {
    throw new PaniniError('FORMAT', `record ${where.record} at byte ${where.offset}: deflate payload is invalid (${(e as Error).message})`, where, { cause: e });
  }
  if (over || k !== n) {
    throw new PaniniError('FORMAT', `record ${where.record} at byte ${where.offset}: deflate payload decodes to ${over ? 'more than' : k} bytes, declares ${n}`, where);
  }
  return out;
}
