// The container API, the same in Node and in browsers: compress / decompress / verify / inspect on bytes, and Web
// TransformStreams for data of any size.
import { PaniniError } from '../errors.js';
import { createChunker, type Chunker } from '../chunk/index.js';
import { assertBytes } from '../validate.js';
import { init } from '../wasm/core.js';
import { CODECS, codecName } from './codecs.js';
import { CODEC_DHATU } from '../dhatu/adapter/record.js';
import { SemanticAssembler } from '../chunk/semantic.js';
import { planStats } from '../dhatu/plan.js';
import { REFLATE_STAGE_ID } from '../dhatu/reflate/index.js';
import { readRecipe, type RecipeRegion } from '../dhatu/reflate/recipe.js';
import { PLAN_MAX_BYTES } from '../dhatu/adapter/record.js';
import { DEFLATE_CONTAINERS, detectMagic } from '../grammar/detect.js';
import { ZipPieceCutter } from '../deflate/zip.js';
import { crc32 } from '../hash/crc32.js';
import { sha256Async } from '../hash/sha256.js';
import { ByteQueue, concatBytes as concat } from '../bytes.js';
import { type ChunkCoder, InlineCoder } from './coder.js';
import { ContainerEncoder, type EncodeStats } from './encoder.js';
import { bytesSource, openContainer, readRecord, type ContainerInfo, type Source } from './read.js';
import { checkWholeDigest, walk, type RecordDecoder } from './walk.js';
import { hex } from './format.js';
import { OutputResolver } from './random-access.js';
import { StreamDecoder } from './stream-decoder.js';
import { HEADER_SIZE, INDEX_ENTRY_SIZE, KIND_DATA, MAX_RECORD, RECORD_HEADER_SIZE, readFrame, readIndexEntry } from './format.js';
import { decodeManifest, FileChecker, FileDigest, outputFiles, type Manifest } from './manifest.js';
import {
  type CompressOptions,
  type DecompressOptions,
  DEFAULT_MAX_OUTPUT,
  type ResolvedCompressOptions,
  resolveCompressOptions,
  resolveDecompressOptions,
  throwIfAborted,
} from './options.js';

// ------------------------------------------------------------------------------------------ coders (workers)
export type CoderFactory = (workers: number) => ChunkCoder;
let coderFactory: CoderFactory | undefined;
/** Installed by the platform entry (Node: worker_threads; browser: Web Workers). */
export function setCoderFactory(f: CoderFactory | undefined): void {
  coderFactory = f;
}
export function makeCoder(workers: number): ChunkCoder {
  return workers > 1 && coderFactory ? coderFactory(workers) : new InlineCoder();
}
/** For DecompressOptions.workers > 1: a pool that also decodes records (the worker pools do), else undefined. */
/** Output bytes a decoding worker must have to pay for its start (a thread and its WebAssembly modules: 50–100 ms,
 *  what one thread decodes of 8–16 MB in that time). */
export const DECODE_BYTES_PER_WORKER = 16 << 20;

/**
 * The decoding pool for `workers` threads, or none when one thread is enough: fewer than two records, or less output
 * than DECODE_BYTES_PER_WORKER for a second worker (`size`, the container's output size, when known).
 */
export function makeDecoder(workers: number, size?: { totalSize: number; recordCount: number }): (ChunkCoder & RecordDecoder) | undefined {
  const n = size ? Math.min(workers, size.recordCount, Math.ceil(size.totalSize / DECODE_BYTES_PER_WORKER)) : workers;
  if (n <= 1 || !coderFactory) return undefined;
  const c = coderFactory(n);
  if (typeof (c as Partial<RecordDecoder>).decode === 'function') return c as ChunkCoder & RecordDecoder;
  void c.close();
  return undefined;
}

// ------------------------------------------------------------------------------------------ chunk assembly
/** Cuts a stream into chunk byte arrays with the configured strategy. */
export class ChunkAssembler {
  private chunker: Chunker;
  private readonly pending = new ByteQueue();
  private pendingStart = 0; // stream offset of the pending bytes' first
  constructor(private readonly o: ResolvedCompressOptions) {
    this.chunker = this.newChunker();
  }
  private newChunker(): Chunker {
    const o = this.o;
    return createChunker(o.strategy === 'fixed' ? { strategy: 'fixed', size: o.chunkSize } : { strategy: 'cdc', minSize: o.minSize, avgSize: o.avgSize, maxSize: o.maxSize });
  }
  /** Forces a chunk boundary here: returns the pending bytes as a chunk (if any) and starts chunking afresh. */
  cut(): Uint8Array[] {
    const out = this.flush();
    this.chunker = this.newChunker();
    this.pendingStart = 0;
    return out;
  }
  /** Returns the chunks completed by this piece (views into it where possible). */
  push(piece: Uint8Array): Uint8Array[] {
    const pieceStart = this.chunker.position;
    const cuts = this.chunker.push(piece);
    const out: Uint8Array[] = [];
    for (const c of cuts) {
      if (this.pending.length === 0 && c.offset >= pieceStart) {
        out.push(piece.subarray(c.offset - pieceStart, c.offset - pieceStart + c.length));
      } else {
        // the chunk starts in earlier pieces
        this.pending.push(piece.subarray(0, c.offset + c.length - pieceStart));
        out.push(this.pending.takeAll());
      }
      this.pendingStart = c.offset + c.length;
    }
    const tailFrom = Math.max(0, this.pendingStart - pieceStart);
    if (tailFrom < piece.length) this.pending.push(piece.subarray(tailFrom));
    return out;
  }
  flush(): Uint8Array[] {
    const cuts = this.chunker.flush();
    if (cuts.length === 0) return [];
    const c = cuts[0]!;
    if (this.pending.length !== c.length) throw new PaniniError('STATE', `the chunker's last chunk has ${c.length} bytes, ${this.pending.length} are held`);
    return [this.pending.takeAll()];
  }
}

/**
 * The record cutter of the dhātu codec: groups CDC chunks (content-defined, so cut points stay put when data shifts)
 * into blocks of about `blockSize` bytes, one record each. cut() is a no-op: blocks are solid across file boundaries
 * (the COMM stage finds repeats wherever they are, so alignment buys nothing).
 */
export class BlockAssembler {
  /** the current block's chunks */
  private readonly block = new ByteQueue();
  /** the first bytes of an input, held until its magic can be read (null once it has been) */
  private head: ByteQueue | null = new ByteQueue();
  /** the current input is a deflate container (ZIP/JAR, gzip, PNG, PDF): its records hold it alone, up to MAX_RECORD each */
  private whole = false;
  constructor(
    private readonly o: ResolvedCompressOptions,
    private readonly chunks: Assembler,
  ) {}
  /** the current input is a ZIP: its records end between entries, at about blockSize inflated bytes */
  private zip: ZipPieceCutter | null = null;
  private take(chunks: Uint8Array[], out: Uint8Array[]): void {
    const limit = this.whole ? MAX_RECORD : this.o.blockSize;
    for (let c of chunks) {
      if (this.zip) {
        // what REFLATE inflates per record (and the planner and the decoder then hold) stays about one block; every
        // piece starts with a local header, where REFLATE finds the piece's entries
        let from = 0;
        for (const at of this.zip.push(c)) {
          if (at > from) this.block.push(c.subarray(from, at));
          this.emit(out);
          from = at;
        }
        c = c.subarray(from);
      }
      if (this.block.length + c.length > MAX_RECORD) this.emit(out);
      this.block.push(c);
      if (this.block.length >= limit) this.emit(out);
    }
  }
  private emit(out: Uint8Array[]): void {
    if (this.block.length) out.push(this.block.takeAll());
  }
  /** The held head of an input is complete (or the input ended): decide whether it is a deflate container. */
  private begin(out: Uint8Array[]): void {
    const held = this.head!;
    this.head = null;
    // the predicates check their own minimum lengths: a small input is judged on what it has
    const h = held.peek(Math.min(MAGIC_BYTES, held.length));
    if (isDeflateContainer(h)) {
      this.take(this.chunks.cut(), out);
      this.emit(out);
      this.whole = true;
      if (h.length >= 4 && h[0] === 0x50 && h[1] === 0x4b && h[2] === 3 && h[3] === 4) this.zip = new ZipPieceCutter(this.o.blockSize);
    }
    for (const p of held.drain()) this.take(this.chunks.push(p), out);
  }
  private endInput(out: Uint8Array[], chunks: Uint8Array[]): void {
    this.take(chunks, out);
    if (this.whole) {
      this.emit(out);
      this.whole = false;
      this.zip = null;
    }
    this.head = new ByteQueue();
  }
  /**
   * A hard boundary: like cut(), and the current block ends here too, so what follows starts a new block (the
   * pipeline's chunks: identical large files give identical blocks wherever they sit).
   */
  end(): Uint8Array[] {
    const out = this.cut();
    this.emit(out);
    return out;
  }
  /** A file boundary: the chunker restarts (semantic: detects the next file's format), the block goes on. */
  cut(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.head) this.begin(out);
    this.endInput(out, this.chunks.cut());
    return out;
  }
  push(piece: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.head) {
      this.head.push(piece);
      if (this.head.length >= MAGIC_BYTES) this.begin(out);
      return out;
    }
    this.take(this.chunks.push(piece), out);
    return out;
  }
  flush(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.head) this.begin(out);
    this.endInput(out, this.chunks.flush());
    this.emit(out);
    return out;
  }
}

/** Bytes of an input's head the deflate-container decision reads (PNG's signature, the longest of the four: 8). */
const MAGIC_BYTES = 8;
/**
 * ZIP, gzip, PNG, PDF (the grammar's magic numbers): inputs REFLATE wants in records of their own (a ZIP in pieces of
 * whole entries, the others whole). A PDF only when it
 * starts with `%PDF-` (the grammar also names a file pdf with its signature later in the first KiB: a tar archive of
 * PDFs, a text that quotes one, which stay in blocks).
 */
function isDeflateContainer(h: Uint8Array): boolean {
  const f = detectMagic(h)?.format;
  if (f === 'pdf') return h[0] === 0x25 && h[1] === 0x50 && h[2] === 0x44 && h[3] === 0x46 && h[4] === 0x2d;
  return f !== undefined && DEFLATE_CONTAINERS.has(f);
}

/** What cuts an input into records: push pieces, cut() at file boundaries, flush() at the end. */
export interface Assembler {
  push(piece: Uint8Array): Uint8Array[];
  cut(): Uint8Array[];
  flush(): Uint8Array[];
}

/** The record cutter for the options: fixed / CDC / semantic chunks, grouped into blocks for the dhātu codec. */
export function makeAssembler(o: ResolvedCompressOptions): Assembler {
  const chunks: Assembler =
    o.strategy === 'semantic' || o.strategy === 'adaptive' ? new SemanticAssembler(o, o.strategy === 'adaptive', () => new ChunkAssembler(o)) : new ChunkAssembler(o);
  return o.codec === 'dhatu' ? new BlockAssembler(o, chunks) : chunks;
}

/** The dhātu record cutter for the options, with its hard boundary (BlockAssembler.end). */
export function makeBlockAssembler(o: ResolvedCompressOptions): BlockAssembler {
  if (o.codec !== 'dhatu') throw new PaniniError('OPTION', `blocks are the dhātu codec's records, not codec "${o.codec}"'s`, { option: 'codec' });
  return makeAssembler(o) as BlockAssembler;
}

/** Chunk boundaries of an in-memory input, per the options. */
function chunkViews(data: Uint8Array, o: ResolvedCompressOptions): Uint8Array[] {
  const a = makeAssembler(o);
  const out = a.push(data);
  for (const c of a.flush()) out.push(c);
  return out;
}


/** Encodes a list of inputs (each chunked on its own) into one container; used by compress and the tree writer. */
export async function encodeInputs(
  o: ResolvedCompressOptions,
  sink: (b: Uint8Array) => void | Promise<void>,
  feed: (add: (chunk: Uint8Array) => Promise<void>, assembler: () => Assembler, encoder: ContainerEncoder) => Promise<Uint8Array | undefined>,
  total?: number,
): Promise<{ stats: EncodeStats; sha256: Uint8Array; size: number; containerSize: number }> {
  await init();
  const coder = makeCoder(o.workers);
  const enc = new ContainerEncoder(o, sink, coder, total);
  try {
    await enc.start();
    const manifest = await feed((c) => enc.add(c), () => makeAssembler(o), enc);
    const r = await enc.finish(manifest);
    return { stats: enc.stats, ...r };
  } catch (e) {
    await enc.abort();
    throw e;
  } finally {
    await coder.close();
  }
}

// ------------------------------------------------------------------------------------------ bytes API
/** Compresses bytes into a .pnz container. Same input and options give the same bytes, in Node and in browsers. */
export async function compress(data: Uint8Array, options?: CompressOptions): Promise<Uint8Array> {
  assertBytes('data', data);
  const o = resolveCompressOptions(options);
  const parts: Uint8Array[] = [];
  let total = 0;
  await encodeInputs(
    o,
    (b) => {
      parts.push(b);
      total += b.length;
    },
    async (add) => {
      for (const c of chunkViews(data, o)) await add(c);
      return undefined;
    },
    data.length,
  );
  return concat(parts, total);
}

/** Decompresses a container, verifying everything; returns the original bytes (a tree's files, concatenated). */
export async function decompress(container: Uint8Array, options?: DecompressOptions): Promise<Uint8Array> {
  assertBytes('container', container);
  const o = resolveDecompressOptions(options, 'decompress', DEFAULT_MAX_OUTPUT);
  await init();
  const src = bytesSource(container);
  const info = await openContainer(src, { maxOutputSize: o.maxOutputSize });
  if (info.manifest) decodeManifest(info.manifest, info.footer.totalSize);
  const out = new Uint8Array(info.footer.totalSize);
  const decoder = makeDecoder(o.workers);
  try {
    // the whole output is here: one call hashes it (WebCrypto in browsers) instead of the wasm core streaming it
    await walk(src, info, { ...o, decoder, wholeByCaller: true, readBack: (at, n) => Promise.resolve(out.subarray(at, at + n)) }, (chunk, _i, at) => {
      out.set(chunk, at);
    });
  } finally {
    await decoder?.close();
  }
  checkWholeDigest(await sha256Async(out), info);
  return out;
}

export interface ExtractResult {
  /** the file's bytes, checked against its SHA-256 in the manifest */
  data: Uint8Array;
  /** original bytes of the records decoded to get them (the file's own records and any they copy from) */
  decodedBytes: number;
  decodedRecords: number;
}

/**
 * One file of a tree (or the file of a file container), by its path in the manifest, with random access: only the
 * records that hold it, and those its records copy from, are decoded. Verified against the manifest's SHA-256.
 */
export async function extract(container: Uint8Array, path: string, options?: Pick<DecompressOptions, 'maxOutputSize' | 'signal'>): Promise<Uint8Array> {
  assertBytes('container', container);
  await init();
  return (await extractSource(bytesSource(container), path, options)).data;
}

export async function extractSource(src: Source, path: string, options?: Pick<DecompressOptions, 'maxOutputSize' | 'signal'>): Promise<ExtractResult> {
  if (typeof path !== 'string' || path.length === 0) throw new PaniniError('OPTION', 'path must be a non-empty string', { option: 'path' });
  const o = resolveDecompressOptions(options, 'extract', DEFAULT_MAX_OUTPUT);
  const info = await openContainer(src);
  if (!info.manifest) throw new PaniniError('OPTION', `this container is a bare stream: it has no files (path "${path}")`, { option: 'path' });
  const m = decodeManifest(info.manifest, info.footer.totalSize);
  // a hard link reads as the file it names
  const want = m.entries.find((e) => e.path === path && e.type === 'hardlink')?.target ?? path;
  let offset = 0;
  for (const e of outputFiles(m)) {
    if (e.path === want) {
      if (e.size > o.maxOutputSize) throw new PaniniError('LIMIT', `file "${path}" has ${e.size} bytes, over maxOutputSize ${o.maxOutputSize}`, { path });
      throwIfAborted(o.signal);
      const r = new OutputResolver(src, info);
      const data = await r.read(offset, e.size);
      const d = new FileDigest(e);
      d.update(data);
      d.check();
      return { data, decodedBytes: r.decodedBytes, decodedRecords: r.decodedRecords };
    }
    offset += e.size;
  }
  throw new PaniniError('NOT_FOUND', `no file "${path}" in this container`, { path });
}

export interface VerifyReport {
  ok: boolean;
  /** the failure, when ok is false */
  error?: PaniniError;
  containerSize: number;
  originalSize?: number;
  records?: number;
  sha256?: string;
  files?: number;
}

/** Checks every checksum and decodes every record without keeping the output. Never throws for a bad container. */
export async function verify(container: Uint8Array, options?: Pick<DecompressOptions, 'signal' | 'onProgress'>): Promise<VerifyReport> {
  assertBytes('container', container);
  const o = resolveDecompressOptions(options, 'verify', Number.MAX_SAFE_INTEGER);
  await init();
  return verifySource(bytesSource(container), o);
}

export async function verifySource(src: Source, o: ReturnType<typeof resolveDecompressOptions>): Promise<VerifyReport> {
  try {
    const info = await openContainer(src);
    const m = info.manifest ? decodeManifest(info.manifest, info.footer.totalSize) : undefined;
    const files = m ? new FileChecker(m) : undefined;
    await walk(src, info, o, files ? (c) => files.feed(c) : () => undefined);
    files?.finish();
    return { ok: true, containerSize: src.size, originalSize: info.footer.totalSize, records: info.footer.recordCount, sha256: hex(info.end.sha256), files: m?.entries.filter((e) => e.type === 'file').length ?? 0 };
  } catch (e) {
    if (e instanceof PaniniError && e.code !== 'ABORTED') return { ok: false, error: e, containerSize: src.size };
    throw e;
  }
}

export interface Inspection {
  version: number;
  containerSize: number;
  originalSize: number;
  /** containerSize / originalSize (0 for an empty input) */
  ratio: number;
  sha256: string;
  dedupWindow: number;
  records: number;
  dataRecords: number;
  refRecords: number;
  /** original bytes represented by REF records (stored once) */
  dedupBytes: number;
  codecs: { id: number; name: string; records: number; originalBytes: number; storedBytes: number }[];
  overheadBytes: number;
  /**
   * dhātu records: the bytes of the output each primitive handled (a byte may count for several: COMM copies it, or
   * REFLATE expands it and the coder codes the expansion), and that as a share of the output, largest first
   */
  dhatu: { primitive: string; bytes: number; share: number }[];
  /**
   * Every input byte once, under the first primitive that re-expressed it: COMM (copied from earlier output), REFLATE
   * (a deflate stream stored raw, re-created on decode), else the record's first transform (TOKEN, SPLIT, ITER, TRANS),
   * else CODER (coded as it is: dhātu records without a transform, and deflate/plz/pfz records); `stored` (kept as
   * they are) and `deduplicated` (REF records). The bytes add up to originalSize and the shares to 1; largest first.
   */
  shares: { primitive: string; bytes: number; share: number }[];
  /** dhātu records: the bytes their coder stage coded (what the transforms left) and the coded payload bytes */
  coder: { inputBytes: number; storedBytes: number };
  /**
   * dhātu records with a REFLATE stage: the deflate streams re-created on decode — how many, by wrapper, how (zlib
   * parameters, or preflate corrections for streams of other encoders) and the raw bytes stored in their place.
   * (Streams the encoder found but kept as they were are reported by compress, with the reason: CompressResult.streams.)
   */
  reflate: { records: number; streams: number; zlib: number; foreign: number; rawBytes: number; correctionBytes: number; byKind: Record<string, number>; byParams: Record<string, number> };
  /** dhātu records: every stage that ran, by name, with the records and bytes it handled */
  stages: { name: string; dhatu: string; records: number; bytes: number; paramsBytes: number }[];
  manifest: Manifest | undefined;
}

/** Describes a container from its headers (checked) without decoding payloads. */
export async function inspect(container: Uint8Array): Promise<Inspection> {
  assertBytes('container', container);
  await init();
  return inspectSource(bytesSource(container));
}

export async function inspectSource(src: Source): Promise<Inspection> {
  const info = await openContainer(src);
  const manifest = info.manifest ? decodeManifest(info.manifest, info.footer.totalSize) : undefined;
  const codecs = new Map<number, { records: number; originalBytes: number; storedBytes: number }>();
  let dataRecords = 0;
  let refRecords = 0;
  let dedupBytes = 0;
  let payload = 0;
  const byDhatu = new Map<string, number>();
  const shares = new Map<string, number>();
  const share = (k: string, n: number): void => void (n > 0 && shares.set(k, (shares.get(k) ?? 0) + n));
  const coder = { inputBytes: 0, storedBytes: 0 };
  const stages = new Map<string, { records: number; bytes: number; paramsBytes: number }>();
  const reflate: Inspection['reflate'] = { records: 0, streams: 0, zlib: 0, foreign: 0, rawBytes: 0, correctionBytes: 0, byKind: {}, byParams: {} };
  for (let i = 0; i < info.footer.recordCount; i++) {
    const e = readIndexEntry(info.index, i, info.indexOffset);
    // the index is CRC-checked but not yet matched against the records: keep its offsets inside the record area
    if (e.frameOffset < HEADER_SIZE || e.frameOffset + RECORD_HEADER_SIZE > info.footer.endOffset) {
      throw new PaniniError('FORMAT', `index entry ${i} points to byte ${e.frameOffset}, outside the records (bytes ${HEADER_SIZE}..${info.footer.endOffset})`, { offset: info.indexOffset + i * INDEX_ENTRY_SIZE, record: i });
    }
    const hb = await src.read(e.frameOffset, RECORD_HEADER_SIZE);
    const f = readFrame(hb, e.frameOffset, i);
    if (f.kind === 0) throw new PaniniError('FORMAT', `index entry ${i} points to the END frame`, { record: i });
    if (f.kind === KIND_DATA) {
      dataRecords++;
      payload += f.storedLength;
      if (f.codec === CODEC_DHATU) {
        const where = `record ${i} at byte ${e.frameOffset}`;
        const stored = await src.read(e.frameOffset + RECORD_HEADER_SIZE, f.storedLength);
        if (crc32(stored) !== f.payloadCrc) throw new PaniniError('CHECKSUM', `${where}: payload is corrupt (CRC32)`, { offset: e.frameOffset, record: i });
        let rest = f.originalLength;
        let first: string | undefined;
        coder.storedBytes += f.storedLength;
        for (const st of planStats(stored, where).stages) {
          if (st.dhatu === 'COMM' || st.dhatu === 'REFLATE') {
            const b = Math.min(rest, st.handled);
            share(st.dhatu, b);
            rest -= b;
          } else if (st.dhatu === 'CODER') coder.inputBytes += st.handled;
          else first ??= st.dhatu;
          if (st.id === REFLATE_STAGE_ID) describeRecipe(st.params, where, reflate);
          byDhatu.set(st.dhatu, (byDhatu.get(st.dhatu) ?? 0) + st.handled);
          const k = `${st.name}\u0000${st.dhatu}`;
          const a = stages.get(k) ?? { records: 0, bytes: 0, paramsBytes: 0 };
          a.records++;
          a.bytes += st.handled;
          a.paramsBytes += st.paramsBytes;
          stages.set(k, a);
        }
        share(first ?? 'CODER', rest);
      } else share(f.codec === 0 ? 'stored' : 'CODER', f.originalLength);
      const c = codecs.get(f.codec) ?? { records: 0, originalBytes: 0, storedBytes: 0 };
      c.records++;
      c.originalBytes += f.originalLength;
      c.storedBytes += f.storedLength;
      codecs.set(f.codec, c);
    } else {
      refRecords++;
      dedupBytes += f.originalLength;
      share('deduplicated', f.originalLength);
    }
  }
  return {
    version: info.header.version,
    containerSize: info.size,
    originalSize: info.footer.totalSize,
    ratio: info.footer.totalSize ? info.size / info.footer.totalSize : 0,
    sha256: hex(info.end.sha256),
    dedupWindow: info.header.window,
    records: info.footer.recordCount,
    dataRecords,
    refRecords,
    dedupBytes,
    codecs: [...codecs].sort((a, b) => a[0] - b[0]).map(([id, c]) => ({ id, name: codecName(id), ...c })),
    overheadBytes: info.size - payload,
    dhatu: asShares(byDhatu, info.footer.totalSize),
    shares: asShares(shares, info.footer.totalSize),
    coder,
    reflate,
    stages: [...stages].map(([k, v]) => ({ name: k.split('\u0000')[0]!, dhatu: k.split('\u0000')[1]!, ...v })).sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1)),
    manifest,
  };
}

/** Bytes per primitive as shares of `total`, largest first (ties by name). */
function asShares(m: Map<string, number>, total: number): { primitive: string; bytes: number; share: number }[] {
  return [...m]
    .map(([primitive, bytes]) => ({ primitive, bytes, share: total ? bytes / total : 0 }))
    .sort((a, b) => b.bytes - a.bytes || (a.primitive < b.primitive ? -1 : 1));
}

const WRAPS = ['deflate', 'zlib', 'png'];

/** Adds a REFLATE recipe's streams (nested ones included) to an inspection. */
function describeRecipe(params: Uint8Array, where: string, out: Inspection['reflate']): void {
  const r = readRecipe(params, where, PLAN_MAX_BYTES);
  out.records++;
  const walkRegion = (g: RecipeRegion): void => {
    for (const it of g.items) {
      out.streams++;
      out.rawBytes += it.rawLen;
      const kind = WRAPS[it.wrap] ?? `wrap-${it.wrap}`;
      out.byKind[kind] = (out.byKind[kind] ?? 0) + 1;
      if (it.params) {
        out.zlib++;
        const p = it.params;
        const key = `level ${p.level} memLevel ${p.memLevel} windowBits ${p.windowBits} strategy ${p.strategy}${p.hash ? ' chromium-hash' : ''}`;
        out.byParams[key] = (out.byParams[key] ?? 0) + 1;
      } else {
        out.foreign++;
        out.correctionBytes += it.corrections?.length ?? 0;
      }
      if (it.nested) walkRegion(it.nested);
    }
  };
  walkRegion(r.region);
}

// ------------------------------------------------------------------------------------------ streams
/** A TransformStream that compresses what is written to it into a container (same bytes as compress()). */
export function compressStream(options?: CompressOptions): TransformStream<Uint8Array, Uint8Array> {
  const o = resolveCompressOptions(options, 'compressStream');
  // the core loads in start() (async): creating the stream needs no init() first
  let asm: Assembler;
  let enc: ContainerEncoder;
  let coder: ChunkCoder;
  let ctl!: TransformStreamDefaultController<Uint8Array>;
  return new TransformStream<Uint8Array, Uint8Array>({
    async start(c) {
      await init();
      ctl = c;
      asm = makeAssembler(o);
      coder = makeCoder(o.workers);
      enc = new ContainerEncoder(o, (b) => ctl.enqueue(b), coder);
      await enc.start();
    },
    async transform(piece) {
      try {
        assertBytes('stream chunk', piece);
        throwIfAborted(o.signal);
        // the chunk views must stay valid until coded: copy pieces the caller may reuse
        // a copy (not piece.slice(): on a Node Buffer that is a view of memory the caller may reuse)
        for (const c of asm.push(new Uint8Array(piece))) await enc.add(c);
      } catch (e) {
        await enc.abort();
        await coder.close();
        throw e;
      }
    },
    async flush() {
      try {
        for (const c of asm.flush()) await enc.add(c);
        await enc.finish();
      } finally {
        await coder.close();
      }
    },
  });
}

/** A TransformStream that decodes a container, verifying each chunk before it is emitted (see StreamDecoder). */
export function decompressStream(options?: DecompressOptions): TransformStream<Uint8Array, Uint8Array> {
  const o = resolveDecompressOptions(options, 'decompressStream', Number.MAX_SAFE_INTEGER);
  // the core loads in start() (async): creating the stream needs no init() first
  let dec: StreamDecoder;
  return new TransformStream<Uint8Array, Uint8Array>({
    async start(c) {
      await init();
      dec = new StreamDecoder(o, (b) => c.enqueue(b));
    },
    transform(piece) {
      assertBytes('stream chunk', piece);
      dec.push(piece);
    },
    flush() {
      dec.finish();
    },
  });
}

export { CODECS, type ContainerInfo, type EncodeStats, readRecord };
