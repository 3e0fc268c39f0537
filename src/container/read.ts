// Reading a container with random access: the source, the frames at its end (footer → END → manifest → index), and
// single records by offset. Every read checks its frame's CRC32 and the declared sizes against limits before anything
// is allocated.
import { PaniniError } from '../errors.js';
import { crc32 } from '../hash/crc32.js';
import { init } from '../wasm/core.js';
import { END_SIZE, FOOTER_SIZE, HEADER_SIZE, INDEX_ENTRY_SIZE, KIND_DATA, KIND_END, MIN_CONTAINER, RECORD_HEADER_SIZE, type EndFrame, type Footer, type Header, type RecordHeader, readFooter, readFrame, readHeader, readIndexEntry, hex, hex8 } from './format.js';
import { decodeVerified } from './verify.js';

export interface Source {
  readonly size: number;
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
}

export function bytesSource(b: Uint8Array): Source {
  return { size: b.length, read: (o, n) => b.subarray(o, o + n) };
}

export interface ContainerInfo {
  header: Header;
  footer: Footer;
  end: EndFrame;
  manifest: Uint8Array | undefined;
  index: Uint8Array;
  indexOffset: number;
  size: number;
}


export async function readExact(src: Source, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (offset + length > src.size) {
    throw new PaniniError('TRUNCATED', `${what} at byte ${offset} needs ${length} bytes, the container ends at ${src.size}`, { offset: src.size });
  }
  const b = await src.read(offset, length);
  if (b.length !== length) throw new PaniniError('TRUNCATED', `${what} at byte ${offset}: short read (${b.length} of ${length})`, { offset });
  return b;
}

export async function openContainer(src: Source, opts?: { maxOutputSize?: number }): Promise<ContainerInfo> {
  // every async reader starts the wasm core it checks CRC32s with itself (init() is for the sync calls)
  await init();
  const header = readHeader(await src.read(0, Math.min(HEADER_SIZE, src.size)));
  if (src.size < MIN_CONTAINER) throw new PaniniError('TRUNCATED', `container of ${src.size} bytes is shorter than the smallest valid one (${MIN_CONTAINER})`, { offset: src.size });
  const footerAt = src.size - FOOTER_SIZE;
  const footer = readFooter(await readExact(src, footerAt, FOOTER_SIZE, 'footer'), src.size);
  if (footer.endOffset < HEADER_SIZE || footer.endOffset + END_SIZE > footerAt) {
    throw new PaniniError('FORMAT', `footer points to END at byte ${footer.endOffset}, outside the container`, { offset: footerAt });
  }
  if (opts?.maxOutputSize !== undefined && footer.totalSize > opts.maxOutputSize) {
    throw new PaniniError('LIMIT', `container declares ${footer.totalSize} bytes of output, over maxOutputSize ${opts.maxOutputSize}`, { offset: footerAt + 8 });
  }
  const endFrame = readFrame(await readExact(src, footer.endOffset, END_SIZE, 'END frame'), footer.endOffset, footer.recordCount);
  if (endFrame.kind !== KIND_END) throw new PaniniError('FORMAT', `footer points to byte ${footer.endOffset}, which is not the END frame`, { offset: footer.endOffset });
  const { kind: _k, ...end } = endFrame;
  if (end.recordCount !== footer.recordCount) {
    throw new PaniniError('FORMAT', `END frame counts ${end.recordCount} records, footer ${footer.recordCount}`, { offset: footer.endOffset + 12 });
  }
  const manifestAt = footer.endOffset + END_SIZE;
  const indexOffset = manifestAt + end.manifestLength;
  const indexLength = footer.recordCount * INDEX_ENTRY_SIZE;
  if (indexOffset + indexLength !== footerAt) {
    throw new PaniniError('FORMAT', `manifest (${end.manifestLength} bytes) and index (${footer.recordCount} records) do not fill bytes ${manifestAt}..${footerAt}`, { offset: manifestAt });
  }
  if (footer.recordCount * RECORD_HEADER_SIZE > footer.endOffset - HEADER_SIZE) {
    throw new PaniniError('FORMAT', `${footer.recordCount} records cannot fit in ${footer.endOffset - HEADER_SIZE} bytes`, { offset: footerAt + 16 });
  }
  let manifest: Uint8Array | undefined;
  if (end.manifestLength > 0) {
    manifest = await readExact(src, manifestAt, end.manifestLength, 'manifest');
    const c = crc32(manifest);
    if (c !== end.manifestCrc) throw new PaniniError('CHECKSUM', `manifest at byte ${manifestAt} is corrupt (CRC32 ${hex8(c)}, expected ${hex8(end.manifestCrc)})`, { offset: manifestAt });
  } else if (end.manifestCrc !== 0) {
    throw new PaniniError('FORMAT', 'END frame has a manifest CRC but no manifest', { offset: footer.endOffset + 48 });
  }
  const index = await readExact(src, indexOffset, indexLength, 'index');
  const ic = crc32(index);
  if (ic !== footer.indexCrc) throw new PaniniError('CHECKSUM', `index at byte ${indexOffset} is corrupt (CRC32 ${hex8(ic)}, expected ${hex8(footer.indexCrc)})`, { offset: indexOffset });
  // the declared total must agree with the last record before anyone allocates for it
  if (footer.recordCount === 0) {
    if (footer.totalSize !== 0) throw new PaniniError('FORMAT', `footer declares ${footer.totalSize} bytes but the container has no records`, { offset: footerAt + 8 });
  } else {
    const last = readIndexEntry(index, footer.recordCount - 1, indexOffset);
    if (last.frameOffset < HEADER_SIZE || last.frameOffset + RECORD_HEADER_SIZE > footer.endOffset) {
      throw new PaniniError('FORMAT', `index entry ${footer.recordCount - 1} points to byte ${last.frameOffset}, outside the records`, { offset: indexOffset + indexLength - INDEX_ENTRY_SIZE });
    }
    const f = readFrame(await readExact(src, last.frameOffset, RECORD_HEADER_SIZE, 'last record header'), last.frameOffset, footer.recordCount - 1);
    if (f.kind === KIND_END || last.originalOffset + f.originalLength !== footer.totalSize) {
      throw new PaniniError('FORMAT', `footer declares ${footer.totalSize} bytes, the last record ends at ${f.kind === KIND_END ? '?' : last.originalOffset + f.originalLength}`, { offset: footerAt + 8 });
    }
  }
  return { header, footer, end, manifest, index, indexOffset, size: src.size };
}

/** Reads, checks and decodes the record at `frameOffset`. Returns its header, the original bytes (verified) and its size in the container. */
export async function readRecord(src: Source, frameOffset: number, i: number, limit: number): Promise<{ rec: RecordHeader; data: Uint8Array | undefined; next: number }> {
  const { rec, stored, next } = await readRecordRaw(src, frameOffset, i, limit);
  return { rec, data: stored === undefined ? undefined : decodeVerified(rec, stored, frameOffset, i), next };
}

/** Reads and checks the record header at `frameOffset` and reads its payload (not yet decoded nor verified). */
export async function readRecordRaw(src: Source, frameOffset: number, i: number, limit: number): Promise<{ rec: RecordHeader; stored: Uint8Array | undefined; next: number }> {
  const hb = await readExact(src, frameOffset, RECORD_HEADER_SIZE, `record ${i} header`);
  const f = readFrame(hb, frameOffset, i);
  if (f.kind === KIND_END) throw new PaniniError('FORMAT', `record ${i} expected at byte ${frameOffset}, found the END frame`, { offset: frameOffset, record: i });
  const payloadAt = frameOffset + RECORD_HEADER_SIZE;
  if (f.kind !== KIND_DATA) return { rec: f, stored: undefined, next: payloadAt };
  if (payloadAt + f.storedLength > limit) {
    throw new PaniniError('FORMAT', `record ${i} at byte ${frameOffset}: payload of ${f.storedLength} bytes runs past byte ${limit}`, { offset: frameOffset, record: i });
  }
  const stored = await readExact(src, payloadAt, f.storedLength, `record ${i} payload`);
  return { rec: f, stored, next: payloadAt + f.storedLength };
}
