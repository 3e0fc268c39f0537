// One record's payload decoded and verified: the payload CRC32, the codec, and the SHA-256 of the original bytes
// against the record header. A dhātu record that copies earlier output (COMM) reads it through an OutputSource.
import { PaniniError } from '../errors.js';
import { sha256, sha256Async } from '../hash/sha256.js';
import { crc32 } from '../hash/crc32.js';
import { equalBytes as equal } from '../bytes.js';
import { decodeChunk } from './codecs.js';
import { KIND_DATA, RECORD_HEADER_SIZE, type RecordHeader, hex8 } from './format.js';
import { CODEC_DHATU, planSources, rangeReader, type OutputAccess, type Where } from '../dhatu/adapter/record.js';

export function decodeVerified(f: RecordHeader, stored: Uint8Array, frameOffset: number, i: number, out?: OutputAccess, crcChecked = false): Uint8Array {
  const data = decodeUnverified(f, stored, frameOffset, i, out, crcChecked);
  checkDigest(f, sha256(data), frameOffset, i);
  return data;
}

/** decodeVerified, hashing with sha256Async (WebCrypto in browsers, off the wasm core; the same check). */
async function decodeVerifiedAsync(f: RecordHeader, stored: Uint8Array, frameOffset: number, i: number, out?: OutputAccess, crcChecked = false): Promise<Uint8Array> {
  const data = decodeUnverified(f, stored, frameOffset, i, out, crcChecked);
  checkDigest(f, await sha256Async(data), frameOffset, i);
  return data;
}

/** Checks the payload CRC (unless done) and decodes; the caller checks the SHA-256 with checkDigest. */
function decodeUnverified(f: RecordHeader, stored: Uint8Array, frameOffset: number, i: number, out?: OutputAccess, crcChecked = false): Uint8Array {
  if (!crcChecked) checkPayloadCrc(f, stored, frameOffset, i);
  return decodeChunk(f.codec, f.params, stored, f.originalLength, { offset: frameOffset, record: i }, out);
}

function checkDigest(f: RecordHeader, digest: Uint8Array, frameOffset: number, i: number): void {
  if (!equal(digest, f.sha256)) {
    throw new PaniniError('CHECKSUM', `record ${i} at byte ${frameOffset} decodes to bytes whose SHA-256 differs from the recorded one`, { offset: frameOffset, record: i });
  }
}

function checkPayloadCrc(f: RecordHeader, stored: Uint8Array, frameOffset: number, i: number): void {
  const pc = crc32(stored);
  if (pc !== f.payloadCrc) {
    throw new PaniniError('CHECKSUM', `record ${i} payload at byte ${frameOffset + RECORD_HEADER_SIZE} is corrupt (CRC32 ${hex8(pc)}, expected ${hex8(f.payloadCrc)})`, { offset: frameOffset, record: i });
  }
}

/** True for a DATA record whose decoding may read earlier output (it must be decoded in order, in this thread). */
export function readsOutput(f: RecordHeader): boolean {
  return f.kind === KIND_DATA && f.codec === CODEC_DHATU;
}

/** Somewhere to read earlier output from, asynchronously. */
export interface OutputSource {
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * Decodes and verifies a DATA record that may read earlier output: checks the payload CRC, asks the plan which
 * ranges it reads (checked against the record's offset and the window), fetches them, then decodes.
 */
export async function decodeWithOutput(
  f: RecordHeader,
  stored: Uint8Array,
  frameOffset: number,
  i: number,
  recordOffset: number,
  window: number,
  output: OutputSource,
  /** the record's sources, when the caller already checked its payload CRC and asked the plan for them */
  known?: Array<[number, number]>,
): Promise<Uint8Array> {
  if (!readsOutput(f)) return decodeVerifiedAsync(f, stored, frameOffset, i);
  const ranges = known ?? sourcesOf(f, stored, frameOffset, i, recordOffset, window);
  const bytes: Uint8Array[] = [];
  for (const [o, l] of ranges) bytes.push(await output.read(o, l));
  return decodeVerifiedAsync(f, stored, frameOffset, i, sourceAccess(recordOffset, window, ranges, bytes, { offset: frameOffset, record: i }), true);
}

/** The ranges of earlier output a dhātu record reads (its payload CRC checked first, so damage reads as CHECKSUM). */
export function sourcesOf(f: RecordHeader, stored: Uint8Array, frameOffset: number, i: number, recordOffset: number, window: number): Array<[number, number]> {
  checkPayloadCrc(f, stored, frameOffset, i);
  return planSources(stored, recordOffset, f.originalLength, window, { offset: frameOffset, record: i });
}

/** What a dhātu record's plan reads earlier output through, given the bytes of its sources (`bytes[k]` holds `ranges[k]`). */
export function sourceAccess(recordOffset: number, window: number, ranges: Array<[number, number]>, bytes: Uint8Array[], where: Where): OutputAccess {
  return { recordOffset, window, readOutput: rangeReader(ranges, bytes, where) };
}
