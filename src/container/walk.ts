// Walking a container's records in order (decompress, verify, the file and tree helpers): every record checked against
// the index, REF targets from a cache of recent records (else re-read through the index), the output history COMM
// copies read, the whole output's SHA-256 and the totals at the end. With a RecordDecoder (a worker pool) the records
// ahead are read and decoded in parallel, and still consumed in order.
import { checkRefBytes, refTargetError } from './ref.js';
import { PaniniError } from '../errors.js';
import { createSha256 } from '../hash/sha256.js';
import { equalBytes as equal } from '../bytes.js';
import { FOOTER_SIZE, HEADER_SIZE, INDEX_ENTRY_SIZE, type RecordHeader, readIndexEntry, hex } from './format.js';
import { type ResolvedDecompressOptions, throwIfAborted } from './options.js';
import { DedupWindow } from './window.js';
import { OutputHistory } from './history.js';
import { type ContainerInfo, type Source, readRecordRaw } from './read.js';
import { decodeWithOutput, readsOutput, sourcesOf } from './verify.js';
import { checkRefTarget, OutputResolver, resolveTarget } from './random-access.js';

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


export interface WalkStats {
  records: number;
  dataRecords: number;
  refRecords: number;
  storedBytes: number;
  codecs: Map<number, { records: number; originalBytes: number; storedBytes: number }>;
  /** bytes of recent output kept for COMM copies at the end (grown from 64 MiB as far as the copies reached) */
  historyBytes: number;
  /** original bytes of earlier records decoded again (COMM copies and REF targets no longer held) */
  redecodedBytes: number;
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
    /**
     * Reads back output the caller has already been given (bytes [offset, offset + length), all before the record
     * being decoded), from where it put them (memory, the file or tree being written). Copies and REFs that reach
     * past the history then cost a read instead of decoding the records behind them again (each of which may copy
     * from earlier ones in turn). What it returns is checked like any other source: by the record's SHA-256.
     */
    readBack?: (offset: number, length: number) => Promise<Uint8Array>;
  },
  onChunk: (data: Uint8Array, record: number, originalOffset: number) => void | Promise<void>,
  from = 0,
  to = info.footer.recordCount,
): Promise<WalkStats> {
  const stats: WalkStats = { records: 0, dataRecords: 0, refRecords: 0, storedBytes: 0, codecs: new Map(), historyBytes: 0, redecodedBytes: 0 };
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
  const limit = w === 0 ? WALK_HISTORY : Math.min(w, WALK_HISTORY);
  const history = new OutputHistory(Math.min(limit, WALK_HISTORY_START), limit);
  history.end = original;
  const resolver = new OutputResolver(src, info, history);
  // the records' own copies (not those of the older records the resolver decodes for them) tell the history how far
  // back the encoder's copies reach
  const readBack = from === 0 ? opts.readBack : undefined;
  const output = {
    read(offset: number, length: number): Promise<Uint8Array> {
      if (history.holds(offset, length)) return Promise.resolve(history.read(offset, length));
      if (offset >= 0 && offset < history.end) history.reach(history.end - offset);
      if (readBack && offset >= 0 && length > 0 && offset + length <= history.end) return readBack(offset, length);
      return resolver.read(offset, length);
    },
  };
  for (let i = from; i < to; i++) {
    throwIfAborted(opts.signal);
    const e = readIndexEntry(info.index, i, info.indexOffset);
    if (e.frameOffset !== at || e.originalOffset !== original) {
      throw new PaniniError('FORMAT', `index entry ${i} says record at byte ${e.frameOffset} (original offset ${e.originalOffset}), found byte ${at} (original offset ${original})`, { offset: info.indexOffset + i * INDEX_ENTRY_SIZE, record: i });
    }
    const r = ahead ? await ahead.next() : await readRecordRaw(src, at, i, info.footer.endOffset);
    const { rec, next } = r;
    let data = 'data' in r ? r.data : undefined;
    if (data === undefined && r.stored !== undefined) data = await decodeWithOutput(rec, r.stored, at, i, original, w, output, 'sources' in r ? r.sources : undefined);
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
        throw refTargetError(i, rec.target, at, info.header.window);
      }
      let bytes = cache.get(String(rec.target));
      if (bytes === undefined && readBack && rec.target < i) {
        await checkRefTarget(src, info, rec, i); // a REF names a DATA record, wherever its bytes come from
        const t = readIndexEntry(info.index, rec.target, info.indexOffset).originalOffset;
        if (t + rec.originalLength <= original) bytes = await readBack(t, rec.originalLength);
      }
      out = checkRefBytes(bytes ?? (await resolveTarget(src, info, resolver, rec, i)), rec, i, at);
    }
    whole?.update(out);
    history.push(out);
    await onChunk(out, i, original);
    original += out.length;
    at = next;
    stats.records++;
    opts.onProgress?.({ bytesIn: at, bytesOut: original, total: info.footer.totalSize });
  }
  stats.historyBytes = history.capacity;
  stats.redecodedBytes = resolver.decodedBytes;
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


/**
 * The most recent output walk() keeps for COMM copies (older bytes are re-decoded through the index): 64 MiB (the
 * history of a compression at the default memory bound), more once a copy reaches farther, up to 256 MiB.
 */
const WALK_HISTORY_START = 64 << 20;
const WALK_HISTORY = 256 << 20;
