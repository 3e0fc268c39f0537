// Container decoders. Every path verifies everything: header/record/END/footer CRC32s, payload CRC32s, the SHA-256
// of every chunk, the index against the records actually found, the manifest CRC, the total size and the SHA-256 of
// the whole output. Declared sizes are checked against limits before anything is allocated.
//  - Random access (bytes in memory, or a file): openContainer() reads footer → END → manifest → index; walk()
//    then goes through the records in order. REF records re-read their target through the index.
//  - Sequential (a stream): StreamDecoder, fed pieces of any size; REF targets come from the dedup window.
import { PaniniError } from '../errors.js';
import { createSha256, sha256, sha256Async } from '../hash/sha256.js';
import { crc32 } from '../hash/crc32.js';
import { equalBytes as equal } from '../bytes.js';
import { decodeChunk } from './codecs.js';
import {
  END_SIZE,
  FOOTER_SIZE,
  HEADER_SIZE,
  INDEX_ENTRY_SIZE,
  KIND_DATA,
  KIND_END,
  MIN_CONTAINER,
  RECORD_HEADER_SIZE,
  type EndFrame,
  type Footer,
  type Header,
  type RecordHeader,
  readFooter,
  readFrame,
  readHeader,
  readIndexEntry,
  hex,
  hex8,
} from './format.js';
import { type ResolvedDecompressOptions, throwIfAborted } from './options.js';
import { DedupWindow } from './window.js';
import { decodeManifest } from './manifest.js';
import { OutputHistory } from './history.js';
import { CODEC_DHATU, planSources, rangeReader, type OutputAccess, type Where } from '../dhatu/adapter/record.js';

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

export { hex };

async function readExact(src: Source, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (offset + length > src.size) {
    throw new PaniniError('TRUNCATED', `${what} at byte ${offset} needs ${length} bytes, the container ends at ${src.size}`, { offset: src.size });
  }
  const b = await src.read(offset, length);
  if (b.length !== length) throw new PaniniError('TRUNCATED', `${what} at byte ${offset}: short read (${b.length} of ${length})`, { offset });
  return b;
}

export async function openContainer(src: Source, opts?: { maxOutputSize?: number }): Promise<ContainerInfo> {
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
async function readRecordRaw(src: Source, frameOffset: number, i: number, limit: number): Promise<{ rec: RecordHeader; stored: Uint8Array | undefined; next: number }> {
  const hb = await readExact(src, frameOffset, RECORD_HEADER_SIZE, `record ${i} header`);
  const f = readFrame(hb, frameOffset, i);
  if (f.kind === KIND_END) throw new PaniniError('FORMAT', `record ${i} expected at byte ${frameOffset}, found the END frame`, { offset: frameOffset, chunk: i });
  const payloadAt = frameOffset + RECORD_HEADER_SIZE;
  if (f.kind !== KIND_DATA) return { rec: f, stored: undefined, next: payloadAt };
  if (payloadAt + f.storedLength > limit) {
    throw new PaniniError('FORMAT', `record ${i} at byte ${frameOffset}: payload of ${f.storedLength} bytes runs past byte ${limit}`, { offset: frameOffset, chunk: i });
  }
  const stored = await readExact(src, payloadAt, f.storedLength, `record ${i} payload`);
  return { rec: f, stored, next: payloadAt + f.storedLength };
}

/** Decodes and verifies DATA payloads elsewhere (a worker pool, see pool.ts), with the checks of decodeVerified. */
export interface RecordDecoder {
  decode(rec: RecordHeader, stored: Uint8Array, frameOffset: number, index: number): Promise<Uint8Array>;
  readonly parallelism: number;
}

type ReadRecord = { rec: RecordHeader; data: Uint8Array | undefined; next: number; stored?: Uint8Array; sources?: Array<[number, number]> };

/**
 * walk()'s read-ahead when a RecordDecoder is given: reads the records that follow in order and hands their payloads
 * to the decoder, up to `depth` records ahead; next() returns them in order. A read error is queued in its place, so
 * errors surface in record order as they do without read-ahead.
 */
class ReadAhead {
  private readonly q: Promise<ReadRecord>[] = [];
  private stopped = false;
  constructor(
    private readonly src: Source,
    private readonly decoder: RecordDecoder,
    private readonly limit: number,
    private readI: number,
    private readAt: number,
    private readOriginal: number,
    private readonly window: number,
    private readonly to: number,
    private readonly depth: number,
  ) {}

  /** A dhātu record that reads no earlier output goes to the decoder like any other; one that does stays here. */
  private dispatch(rec: RecordHeader, stored: Uint8Array, at: number, i: number, original: number, next: number): Promise<ReadRecord> {
    if (readsOutput(rec)) {
      const sources = sourcesOf(rec, stored, at, i, original, this.window);
      if (sources.length > 0) return Promise.resolve({ rec, data: undefined, next, stored, sources }); // decoded in order by walk(), which holds the earlier output
    }
    return this.decoder.decode(rec, stored, at, i).then((data) => ({ rec, data, next }));
  }

  async next(): Promise<ReadRecord> {
    while (!this.stopped && this.readI < this.to && this.q.length < this.depth) {
      const i = this.readI;
      const at = this.readAt;
      let p: Promise<ReadRecord>;
      try {
        const { rec, stored, next } = await readRecordRaw(this.src, at, i, this.limit);
        const original = this.readOriginal;
        this.readAt = next;
        this.readOriginal += rec.originalLength;
        this.readI++;
        p = stored === undefined ? Promise.resolve({ rec, data: undefined, next }) : this.dispatch(rec, stored, at, i, original, next);
      } catch (e) {
        p = Promise.reject(e);
        this.stopped = true;
      }
      p.catch(() => undefined); // awaited in order by next(); never an unhandled rejection meanwhile
      this.q.push(p);
    }
    return this.q.shift()!;
  }
}

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
  return decodeChunk(f.codec, f.params, stored, f.originalLength, { offset: frameOffset, chunk: i }, out);
}

function checkDigest(f: RecordHeader, digest: Uint8Array, frameOffset: number, i: number): void {
  if (!equal(digest, f.sha256)) {
    throw new PaniniError('CHECKSUM', `record ${i} at byte ${frameOffset} decodes to bytes whose SHA-256 differs from the recorded one`, { offset: frameOffset, chunk: i });
  }
}

function checkPayloadCrc(f: RecordHeader, stored: Uint8Array, frameOffset: number, i: number): void {
  const pc = crc32(stored);
  if (pc !== f.payloadCrc) {
    throw new PaniniError('CHECKSUM', `record ${i} payload at byte ${frameOffset + RECORD_HEADER_SIZE} is corrupt (CRC32 ${hex8(pc)}, expected ${hex8(f.payloadCrc)})`, { offset: frameOffset, chunk: i });
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
  return decodeVerifiedAsync(f, stored, frameOffset, i, sourceAccess(recordOffset, window, ranges, bytes, { offset: frameOffset, chunk: i }), true);
}

/** The ranges of earlier output a dhātu record reads (its payload CRC checked first, so damage reads as CHECKSUM). */
function sourcesOf(f: RecordHeader, stored: Uint8Array, frameOffset: number, i: number, recordOffset: number, window: number): Array<[number, number]> {
  checkPayloadCrc(f, stored, frameOffset, i);
  return planSources(stored, recordOffset, f.originalLength, window, { offset: frameOffset, chunk: i });
}

/** What a dhātu record's plan reads earlier output through, given the bytes of its sources (`bytes[k]` holds `ranges[k]`). */
function sourceAccess(recordOffset: number, window: number, ranges: Array<[number, number]>, bytes: Uint8Array[], where: Where): OutputAccess {
  return { recordOffset, window, readOutput: rangeReader(ranges, bytes, where) };
}

/**
 * Earlier output of a container with random access: from a history of recent output when it holds the bytes, else
 * by decoding the records that hold them through the index. Those records may copy from earlier output too, so a read
 * first works out the whole closure of records it needs (from record headers and plan params alone: no decoding),
 * then decodes each of them once, in output order, keeping a decoded record only until the last record that copies
 * from it is done. A read therefore costs at most the records it depends on, each decoded once, with memory bounded
 * by the records live at the same time (plus a small cache of recent ones across reads).
 */
export class OutputResolver implements OutputSource {
  private readonly cache: DedupWindow<Uint8Array>;
  private readonly live = new Map<number, Uint8Array>();
  /** original bytes of the records decoded so far, to show what a partial read cost */
  decodedBytes = 0;
  decodedRecords = 0;
  constructor(
    private readonly src: Source,
    private readonly info: ContainerInfo,
    private readonly history?: OutputHistory,
    cacheBytes = 64 << 20,
  ) {
    this.cache = new DedupWindow<Uint8Array>(cacheBytes);
  }

  /** The record holding output byte `offset` (the last record starting at or before it). */
  private recordAt(offset: number): number {
    let lo = 0;
    let hi = this.info.footer.recordCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (readIndexEntry(this.info.index, mid, this.info.indexOffset).originalOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private held(i: number): Uint8Array | undefined {
    return this.live.get(i) ?? this.cache.get(String(i));
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (this.history?.holds(offset, length)) return this.history.read(offset, length);
    if (offset < 0 || length < 0 || offset + length > this.info.footer.totalSize) {
      throw new PaniniError('FORMAT', `output bytes ${offset}..${offset + length} are outside the output (${this.info.footer.totalSize} bytes)`);
    }
    if (length === 0) return new Uint8Array(0);
    const first = this.recordAt(offset);
    const last = this.recordAt(offset + length - 1);
    const targets: number[] = [];
    for (let i = first; i <= last; i++) targets.push(i);
    await this.ensure(targets);
    const out = new Uint8Array(length);
    let k = 0;
    for (let i = first; i <= last && k < length; i++) {
      const start = readIndexEntry(this.info.index, i, this.info.indexOffset).originalOffset;
      const data = this.held(i);
      if (!data) throw new PaniniError('STATE', `record ${i} was not decoded`);
      const from = offset + k - start;
      if (from < 0 || from > data.length) throw new PaniniError('FORMAT', `index entry ${i} disagrees with the records' lengths`, { chunk: i });
      const m = Math.min(length - k, data.length - from);
      out.set(data.subarray(from, from + m), k);
      k += m;
    }
    if (k !== length) throw new PaniniError('FORMAT', `output bytes ${offset}..${offset + length} run past the last record`);
    return out;
  }

  /** The verified original bytes of record i (a REF's: its target's). */
  async record(i: number): Promise<Uint8Array> {
    await this.ensure([i]);
    return this.held(i)!;
  }

  /** Decodes the records in `targets` and everything they depend on, each once; the targets stay held. */
  private async ensure(targets: number[]): Promise<void> {
    interface Need {
      rec: RecordHeader;
      stored: Uint8Array | undefined;
      frameOffset: number;
      originalOffset: number;
      deps: number[];
      /** a dhātu record's sources (its payload CRC checked) */
      sources?: Array<[number, number]>;
    }
    const need = new Map<number, Need>();
    const stack = targets.filter((i) => !this.held(i));
    const window = this.info.header.window;
    while (stack.length) {
      const i = stack.pop()!;
      if (need.has(i) || this.held(i)) continue;
      const e = readIndexEntry(this.info.index, i, this.info.indexOffset);
      const { rec, stored } = await readRecordRaw(this.src, e.frameOffset, i, this.info.footer.endOffset);
      const deps: number[] = [];
      let sources: Array<[number, number]> | undefined;
      if (stored === undefined) {
        if (rec.target >= i) throw new PaniniError('FORMAT', `REF record ${i} points to record ${rec.target}, which is not an earlier DATA record`, { chunk: i });
        deps.push(rec.target);
      } else if (readsOutput(rec)) {
        sources = sourcesOf(rec, stored, e.frameOffset, i, e.originalOffset, window);
        for (const [o, l] of sources) {
          const a = this.recordAt(o);
          const z = this.recordAt(o + l - 1);
          for (let d = a; d <= z; d++) if (d < i && !deps.includes(d)) deps.push(d);
        }
      }
      need.set(i, { rec, stored, frameOffset: e.frameOffset, originalOffset: e.originalOffset, deps, ...(sources ? { sources } : {}) });
      for (const d of deps) stack.push(d);
    }
    const order = [...need.keys()].sort((a, b) => a - b);
    const lastUse = new Map<number, number>();
    for (const i of order) for (const d of need.get(i)!.deps) lastUse.set(d, Math.max(lastUse.get(d) ?? -1, i));
    const keep = new Set(targets);
    for (const i of order) {
      const n = need.get(i)!;
      let data: Uint8Array;
      if (n.stored === undefined) {
        const t = n.rec.target;
        const tn = need.get(t);
        const tKind = tn ? tn.rec.kind : readFrame(await readExact(this.src, readIndexEntry(this.info.index, t, this.info.indexOffset).frameOffset, RECORD_HEADER_SIZE, `record ${t} header`), 0, t).kind;
        if (tKind !== KIND_DATA) throw new PaniniError('FORMAT', `REF record ${i} points to record ${t}, which is not a DATA record`, { chunk: i });
        data = this.held(t)!;
        if (!data || data.length !== n.rec.originalLength || !equal(sha256(data), n.rec.sha256)) {
          throw new PaniniError('FORMAT', `REF record ${i} repeats record ${t}, whose bytes differ from the recorded SHA-256/length`, { chunk: i });
        }
      } else {
        data = await decodeWithOutput(n.rec, n.stored, n.frameOffset, i, n.originalOffset, window, this, n.sources);
        this.decodedBytes += data.length;
        this.decodedRecords++;
      }
      this.live.set(i, data);
      // records no later needed record copies from leave the live set (into the small cache)
      for (const d of n.deps) {
        if (lastUse.get(d) === i && !keep.has(d)) {
          const v = this.live.get(d);
          if (v) {
            this.live.delete(d);
            this.cache.add(String(d), v, v.length);
          }
        }
      }
    }
    // the targets decoded here go to the cache once read (the caller takes them now); a nested read (a plan fetching
    // its sources while an outer ensure() runs) decodes nothing and moves nothing
    for (const t of targets) {
      if (!need.has(t)) continue;
      const v = this.live.get(t);
      if (v) {
        this.live.delete(t);
        this.cache.add(String(t), v, v.length);
        if (!this.cache.get(String(t))) this.live.set(t, v); // larger than the cache: keep it for this read
      }
    }
  }
}

export interface WalkStats {
  records: number;
  dataRecords: number;
  refRecords: number;
  storedBytes: number;
  codecs: Map<number, { records: number; originalBytes: number; storedBytes: number }>;
}

/**
 * Goes through every record in order, verifying each against the index, and calls `onChunk` with its original bytes
 * (REF records: their target's bytes). Checks the total size and the whole SHA-256 at the end.
 */
export async function walk(
  src: Source,
  info: ContainerInfo,
  opts: Pick<ResolvedDecompressOptions, 'signal' | 'onProgress'> & {
    decoder?: RecordDecoder;
    /** the caller holds the whole output and checks its SHA-256 itself (checkWholeDigest): walk does not hash it */
    wholeByCaller?: boolean;
  },
  onChunk: (data: Uint8Array, record: number, originalOffset: number) => void | Promise<void>,
  from = 0,
  to = info.footer.recordCount,
): Promise<WalkStats> {
  const stats: WalkStats = { records: 0, dataRecords: 0, refRecords: 0, storedBytes: 0, codecs: new Map() };
  const all = from === 0 && to === info.footer.recordCount;
  const whole = all && !opts.wholeByCaller ? createSha256() : undefined;
  const cache = new DedupWindow<Uint8Array>(32 << 20); // recent DATA records, so most REFs need no re-read
  // FORMAT.md "Dedup window": a REF may only name a DATA record still in the declared window (the FIFO of original
  // lengths that encoders and sequential decoders run). Checkable when the walk starts at record 0.
  const declared = from === 0 && info.header.window !== 0 ? new DedupWindow<true>(info.header.window) : undefined;
  let at = from === 0 ? HEADER_SIZE : readIndexEntry(info.index, from, info.indexOffset).frameOffset;
  let original = from === 0 ? 0 : readIndexEntry(info.index, from, info.indexOffset).originalOffset;
  // recent output for COMM copies (dhātu records), and the records behind it through the index
  const w = info.header.window;
  const ahead = opts.decoder ? new ReadAhead(src, opts.decoder, info.footer.endOffset, from, at, original, w, to, Math.max(2, opts.decoder.parallelism * 3)) : undefined;
  const history = new OutputHistory(w === 0 ? WALK_HISTORY : Math.min(w, WALK_HISTORY));
  history.end = original;
  const resolver = new OutputResolver(src, info, history);
  for (let i = from; i < to; i++) {
    throwIfAborted(opts.signal);
    const e = readIndexEntry(info.index, i, info.indexOffset);
    if (e.frameOffset !== at || e.originalOffset !== original) {
      throw new PaniniError('FORMAT', `index entry ${i} says record at byte ${e.frameOffset} (original offset ${e.originalOffset}), found byte ${at} (original offset ${original})`, { offset: info.indexOffset + i * INDEX_ENTRY_SIZE, chunk: i });
    }
    const r = ahead ? await ahead.next() : await readRecordRaw(src, at, i, info.footer.endOffset);
    const { rec, next } = r;
    let data = 'data' in r ? r.data : undefined;
    if (data === undefined && r.stored !== undefined) data = await decodeWithOutput(rec, r.stored, at, i, original, w, resolver, 'sources' in r ? r.sources : undefined);
    let out: Uint8Array;
    if (data !== undefined) {
      out = data;
      stats.dataRecords++;
      stats.storedBytes += rec.storedLength;
      const c = stats.codecs.get(rec.codec) ?? { records: 0, originalBytes: 0, storedBytes: 0 };
      c.records++;
      c.originalBytes += rec.originalLength;
      c.storedBytes += rec.storedLength;
      stats.codecs.set(rec.codec, c);
      cache.add(String(i), data, data.length);
      declared?.add(String(i), true, rec.originalLength);
    } else {
      stats.refRecords++;
      if (declared && declared.get(String(rec.target)) === undefined) {
        throw new PaniniError('FORMAT', `REF record ${i} at byte ${at} repeats record ${rec.target}, which is not a DATA record inside the declared ${info.header.window}-byte dedup window`, { offset: at, chunk: i });
      }
      out = cache.get(String(rec.target)) ?? (await resolveTarget(src, info, resolver, rec, i));
      if (out.length !== rec.originalLength || !equal(sha256(out), rec.sha256)) {
        throw new PaniniError('FORMAT', `REF record ${i} at byte ${at} repeats record ${rec.target}, whose bytes differ from the recorded SHA-256/length`, { offset: at, chunk: i });
      }
    }
    whole?.update(out);
    history.push(out);
    await onChunk(out, i, original);
    original += out.length;
    at = next;
    stats.records++;
    opts.onProgress?.({ bytesIn: at, bytesOut: original, total: info.footer.totalSize });
  }
  if (all) {
    if (at !== info.footer.endOffset) throw new PaniniError('FORMAT', `records end at byte ${at}, the END frame is at ${info.footer.endOffset}`, { offset: at });
    if (original !== info.footer.totalSize) throw new PaniniError('FORMAT', `records hold ${original} bytes, the footer declares ${info.footer.totalSize}`, { offset: info.size - FOOTER_SIZE + 8 });
    if (whole) checkWholeDigest(whole.digest(), info);
  }
  return stats;
}

/** Throws CHECKSUM unless `digest` is the whole output's SHA-256 the END frame records. */
export function checkWholeDigest(digest: Uint8Array, info: ContainerInfo): void {
  if (!equal(digest, info.end.sha256)) {
    throw new PaniniError('CHECKSUM', `the SHA-256 of the whole output differs from the one recorded in the END frame (${hex(info.end.sha256)})`, { offset: info.footer.endOffset + 16 });
  }
}

async function resolveTarget(src: Source, info: ContainerInfo, resolver: OutputResolver, rec: RecordHeader, i: number): Promise<Uint8Array> {
  const t = readIndexEntry(info.index, rec.target, info.indexOffset);
  const f = readFrame(await readExact(src, t.frameOffset, RECORD_HEADER_SIZE, `record ${rec.target} header`), t.frameOffset, rec.target);
  if (f.kind !== KIND_DATA) throw new PaniniError('FORMAT', `REF record ${i} points to record ${rec.target}, which is not a DATA record`, { chunk: i });
  return resolver.record(rec.target);
}

/** The most recent output walk() keeps for COMM copies (older bytes are re-decoded through the index). */
const WALK_HISTORY = 256 << 20;

// ------------------------------------------------------------------------------------------ sequential decoding
/** A byte queue for the stream decoder: pieces in, exact-length reads out. */
class ByteQueue {
  private pieces: Uint8Array[] = [];
  private first = 0; // consumed bytes of pieces[0]
  length = 0;
  push(b: Uint8Array): void {
    if (b.length) {
      this.pieces.push(b);
      this.length += b.length;
    }
  }
  /** Removes and returns the next n bytes (n ≤ length). */
  take(n: number): Uint8Array {
    const p0 = this.pieces[0]!;
    if (p0.length - this.first >= n) {
      const out = p0.subarray(this.first, this.first + n);
      this.first += n;
      if (this.first === p0.length) {
        this.pieces.shift();
        this.first = 0;
      }
      this.length -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const p = this.pieces[0]!;
      const k = Math.min(n - got, p.length - this.first);
      out.set(p.subarray(this.first, this.first + k), got);
      got += k;
      this.first += k;
      if (this.first === p.length) {
        this.pieces.shift();
        this.first = 0;
      }
    }
    this.length -= n;
    return out;
  }
}

type Phase = 'header' | 'frame' | 'payload' | 'manifest' | 'index' | 'footer' | 'done';

/**
 * Decodes a container fed in pieces of any size, with memory bounded by the dedup window (and maxWindow), one record
 * and the read-ahead. Each chunk is verified (CRC32, SHA-256) before it is emitted; the whole-output SHA-256, the
 * index and the footer are checked at the end, so a consumer must treat the stream as failed if end() throws.
 */
export class StreamDecoder {
  private q = new ByteQueue();
  private phase: Phase = 'header';
  private at = 0; // container offset of the next byte to parse
  private header: Header | undefined;
  private window: DedupWindow<Uint8Array> | undefined;
  private history: OutputHistory | undefined;
  private rec: RecordHeader | undefined;
  private recAt = 0;
  private records = 0;
  private original = 0;
  private readonly whole = createSha256();
  private end: EndFrame | undefined;
  private endAt = 0;
  private manifestBytes: Uint8Array | undefined;
  private indexCrcExpected = 0; // CRC of the index bytes we expect, built as records go by
  private indexCrcActual = 0;
  private indexLeft = 0;
  private indexAt = 0;
  private expectEntry = new Uint8Array(INDEX_ENTRY_SIZE);

  constructor(
    private readonly opts: ResolvedDecompressOptions,
    private readonly emit: (data: Uint8Array) => void,
  ) {}

  get manifest(): Uint8Array | undefined {
    return this.manifestBytes;
  }
  get bytesOut(): number {
    return this.original;
  }

  push(data: Uint8Array): void {
    throwIfAborted(this.opts.signal);
    if (this.phase === 'done') {
      if (data.length) throw new PaniniError('FORMAT', `unexpected data after the footer at byte ${this.at}`, { offset: this.at });
      return;
    }
    this.q.push(data);
    this.run();
  }

  private run(): void {
    for (;;) {
      switch (this.phase) {
        case 'header': {
          if (this.q.length < HEADER_SIZE) return;
          this.header = readHeader(this.q.take(HEADER_SIZE));
          const w = this.header.window;
          if (w === 0 || w > this.opts.maxWindow) {
            // unlimited (or larger than allowed) window: keep up to maxWindow bytes; a REF beyond that fails clearly
            this.window = new DedupWindow<Uint8Array>(this.opts.maxWindow === 0 ? 1 : this.opts.maxWindow);
          } else {
            this.window = new DedupWindow<Uint8Array>(w);
          }
          this.history = new OutputHistory(w === 0 || w > this.opts.maxWindow ? this.opts.maxWindow : w);
          this.at = HEADER_SIZE;
          this.phase = 'frame';
          break;
        }
        case 'frame': {
          if (this.q.length < RECORD_HEADER_SIZE) return;
          const f = readFrame(this.q.take(RECORD_HEADER_SIZE), this.at, this.records);
          if (f.kind === KIND_END) {
            const { kind: _k, ...end } = f;
            if (end.recordCount !== this.records) throw new PaniniError('FORMAT', `END frame at byte ${this.at} counts ${end.recordCount} records, ${this.records} were found`, { offset: this.at });
            this.end = end;
            this.endAt = this.at;
            this.at += END_SIZE;
            this.phase = end.manifestLength ? 'manifest' : 'index';
            if (!end.manifestLength && end.manifestCrc !== 0) throw new PaniniError('FORMAT', 'END frame has a manifest CRC but no manifest', { offset: this.endAt + 48 });
            this.indexLeft = this.records * INDEX_ENTRY_SIZE;
            this.indexAt = this.at + end.manifestLength;
            break;
          }
          this.addExpectedEntry(this.at, this.original);
          this.rec = f;
          this.recAt = this.at;
          this.at += RECORD_HEADER_SIZE;
          if (f.kind === KIND_DATA) {
            this.phase = 'payload';
          } else {
            const t = this.window!.get(String(f.target));
            if (t === undefined) {
              const w = this.header!.window;
              if (w !== 0 && w <= this.opts.maxWindow) {
                // the retained window is the declared one: the container breaks the dedup window rule
                throw new PaniniError('FORMAT', `REF record ${this.records} at byte ${this.recAt} repeats record ${f.target}, which is not a DATA record inside the declared ${w}-byte dedup window`, { offset: this.recAt, chunk: this.records });
              }
              throw new PaniniError('LIMIT', `REF record ${this.records} at byte ${this.recAt} repeats record ${f.target}, which is outside the ${this.opts.maxWindow}-byte window this decoder retains (decode this container with random access: decompress/decompressFile, or raise maxWindow)`, { offset: this.recAt, chunk: this.records });
            }
            if (t.length !== f.originalLength || !equal(sha256(t), f.sha256)) {
              throw new PaniniError('FORMAT', `REF record ${this.records} at byte ${this.recAt} repeats record ${f.target}, whose bytes differ from the recorded SHA-256/length`, { offset: this.recAt, chunk: this.records });
            }
            this.out(t);
          }
          break;
        }
        case 'payload': {
          const f = this.rec!;
          if (this.q.length < f.storedLength) return;
          const data = this.decodeData(f, this.q.take(f.storedLength));
          this.at += f.storedLength;
          // a stored payload may be a view of the input piece: copy what the window keeps
          const kept = data.byteOffset === 0 && data.length === data.buffer.byteLength ? data : new Uint8Array(data); // a copy even of a Buffer
          this.window!.add(String(this.records), kept, kept.length);
          this.out(kept);
          this.phase = 'frame';
          break;
        }
        case 'manifest': {
          const n = this.end!.manifestLength;
          if (this.q.length < n) return;
          const m = new Uint8Array(this.q.take(n)); // a copy even of a Buffer
          const c = crc32(m);
          if (c !== this.end!.manifestCrc) throw new PaniniError('CHECKSUM', `manifest at byte ${this.at} is corrupt (CRC32 ${hex8(c)}, expected ${hex8(this.end!.manifestCrc)})`, { offset: this.at });
          this.manifestBytes = m;
          this.at += n;
          this.phase = 'index';
          break;
        }
        case 'index': {
          if (this.indexLeft > 0) {
            if (this.q.length === 0) return;
            const k = Math.min(this.indexLeft, this.q.length, 1 << 20);
            this.indexCrcActual = crc32(this.q.take(k), this.indexCrcActual);
            this.indexLeft -= k;
            this.at += k;
            break;
          }
          if (this.indexCrcActual !== this.indexCrcExpected) {
            throw new PaniniError('FORMAT', `index at byte ${this.indexAt} does not match the records found (CRC32 ${hex8(this.indexCrcActual)}, expected ${hex8(this.indexCrcExpected)})`, { offset: this.indexAt });
          }
          this.phase = 'footer';
          break;
        }
        case 'footer': {
          if (this.q.length < FOOTER_SIZE) return;
          const footAt = this.at;
          const f = readFooter(this.q.take(FOOTER_SIZE), footAt + FOOTER_SIZE);
          if (f.endOffset !== this.endAt || f.recordCount !== this.records || f.totalSize !== this.original || f.indexCrc !== this.indexCrcActual) {
            throw new PaniniError('FORMAT', `footer at byte ${footAt} disagrees with the container (END ${f.endOffset}/${this.endAt}, records ${f.recordCount}/${this.records}, size ${f.totalSize}/${this.original})`, { offset: footAt });
          }
          if (!equal(this.whole.digest(), this.end!.sha256)) {
            throw new PaniniError('CHECKSUM', `the SHA-256 of the whole output differs from the one recorded in the END frame (${hex(this.end!.sha256)})`, { offset: this.endAt + 16 });
          }
          if (this.manifestBytes) decodeManifest(this.manifestBytes, this.original);
          this.at += FOOTER_SIZE;
          this.phase = 'done';
          if (this.q.length) throw new PaniniError('FORMAT', `unexpected data after the footer at byte ${this.at}`, { offset: this.at });
          return;
        }
        case 'done':
          return;
      }
    }
  }

  private decodeData(f: RecordHeader, stored: Uint8Array): Uint8Array {
    if (!readsOutput(f)) return decodeVerified(f, stored, this.recAt, this.records);
    const where = { offset: this.recAt, chunk: this.records };
    const w = this.header!.window;
    const ranges = sourcesOf(f, stored, this.recAt, this.records, this.original, w);
    const h = this.history!;
    const bytes = ranges.map(([o, l]) => {
      if (!h.holds(o, l)) {
        throw new PaniniError('LIMIT', `record ${this.records} at byte ${this.recAt} copies output bytes ${o}..${o + l}, older than the ${h.capacity} bytes this decoder retains (decode this container with random access: decompress/decompressFile, or raise maxWindow)`, where);
      }
      return h.read(o, l);
    });
    return decodeVerified(f, stored, this.recAt, this.records, sourceAccess(this.original, w, ranges, bytes, where), true);
  }

  private addExpectedEntry(frameOffset: number, originalOffset: number): void {
    const v = new DataView(this.expectEntry.buffer);
    v.setUint32(0, frameOffset >>> 0, true);
    v.setUint32(4, Math.floor(frameOffset / 0x100000000), true);
    v.setUint32(8, originalOffset >>> 0, true);
    v.setUint32(12, Math.floor(originalOffset / 0x100000000), true);
    this.indexCrcExpected = crc32(this.expectEntry, this.indexCrcExpected);
  }

  private out(data: Uint8Array): void {
    if (this.original + data.length > this.opts.maxOutputSize) {
      throw new PaniniError('LIMIT', `output exceeds maxOutputSize ${this.opts.maxOutputSize} at record ${this.records}`, { offset: this.recAt, chunk: this.records });
    }
    this.records++;
    this.original += data.length;
    this.whole.update(data);
    this.history!.push(data);
    this.emit(data);
    this.opts.onProgress?.({ bytesIn: this.at, bytesOut: this.original });
  }

  /** The input is complete: throws unless the container ended exactly at its footer. */
  finish(): void {
    if (this.phase !== 'done') {
      throw new PaniniError('TRUNCATED', `container ends at byte ${this.at + this.q.length} inside its ${this.phase === 'frame' || this.phase === 'payload' ? `record ${this.records}` : this.phase}`, { offset: this.at + this.q.length });
    }
  }
}
