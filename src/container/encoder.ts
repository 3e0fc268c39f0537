// The container encoder: takes chunks in order, deduplicates them (SHA-256, within the dedup window), codes the
// unique ones (inline or in workers, several in flight) and writes records in input order, then END, manifest,
// index and footer. The bytes written depend only on the input and the options, never on timing or worker count.
import { PaniniError } from '../errors.js';
import { createSha256, sha256, type Hasher } from '../hash/sha256.js';
import { crc32 } from '../hash/crc32.js';
import type { ChunkCoder, CodedChunk, CodeStep } from './coder.js';
import { CODEC_DEFLATE, CODEC_PFZ, CODEC_PLZ } from './codecs.js';
import { emptyStreamStats, RecordAnalyzer, type StreamStats } from '../dhatu/adapter/analyze.js';
import { CODEC_DHATU } from '../dhatu/adapter/record.js';
import {
  HEADER_SIZE,
  INDEX_ENTRY_SIZE,
  KIND_DATA,
  KIND_REF,
  MAX_RECORD,
  RECORD_HEADER_SIZE,
  VERSION,
  writeEnd,
  writeFooter,
  writeHeader,
  writeRecordHeader,
  putIndexEntry,
} from './format.js';
import { type ResolvedCompressOptions, throwIfAborted, untilAborted } from './options.js';
import { DedupWindow } from './window.js';

export type Sink = (bytes: Uint8Array) => void | Promise<void>;

interface Slot {
  index: number;
  originalLength: number;
  sha256: Uint8Array;
  target: number; // REF target, -1 for DATA
  coded: Promise<CodedChunk> | undefined;
  /** the share of its coding done (reported by the coder while it codes), for progress */
  share: number;
}

export interface EncodeStats {
  records: number;
  dataRecords: number;
  refRecords: number;
  dedupBytes: number;
  skippedBytes: number;
  /** codec dhātu: bytes of the input each primitive handled (a byte may count for several) */
  dhatu: Record<string, number>;
  /** codec dhātu: deflate streams found inside the input and what REFLATE did with them */
  streams: StreamStats;
}

/** Growable little-endian u64 pairs (frame offset, original offset) for the index, 16 bytes per record. */
class IndexBuilder {
  private buf = new Uint8Array(16 * 1024);
  private view = new DataView(this.buf.buffer);
  count = 0;
  push(frameOffset: number, originalOffset: number): void {
    if ((this.count + 1) * INDEX_ENTRY_SIZE > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    putIndexEntry(this.view, this.count, frameOffset, originalOffset);
    this.count++;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.count * INDEX_ENTRY_SIZE);
  }
}

export class ContainerEncoder {
  private readonly whole: Hasher = createSha256();
  private readonly window: DedupWindow<number>;
  private readonly index = new IndexBuilder();
  private readonly queue: Slot[] = [];
  private readonly maxInFlight: number;
  private written = 0; // container bytes written
  private original = 0; // original bytes added
  private emittedOriginal = 0; // original bytes of emitted records
  private records = 0;
  private started = false;
  private finished = false;
  readonly stats: EncodeStats = { records: 0, dataRecords: 0, refRecords: 0, dedupBytes: 0, skippedBytes: 0, dhatu: {}, streams: emptyStreamStats() };
  private analyzer: RecordAnalyzer | undefined;

  constructor(
    private readonly opts: ResolvedCompressOptions,
    private readonly sink: Sink,
    private readonly coder: ChunkCoder,
    private readonly totalHint?: number,
  ) {
    this.window = new DedupWindow<number>(opts.dedupWindow);
    this.maxInFlight = Math.max(2, coder.parallelism * 3);
  }

  get recordCount(): number {
    return this.records;
  }
  get bytesIn(): number {
    return this.original;
  }

  private async write(b: Uint8Array): Promise<void> {
    this.written += b.length;
    const r = this.sink(b);
    if (r) await r;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.write(writeHeader({ version: VERSION, flags: 0, window: this.opts.dedupWindow }));
  }

  /** Adds the next chunk of the input (at most MAX_RECORD bytes). The bytes must not change until finish(). */
  async add(data: Uint8Array): Promise<void> {
    if (!this.started) await this.start();
    if (this.finished) throw new PaniniError('STATE', 'the encoder is finished');
    if (data.length === 0) return;
    if (data.length > MAX_RECORD) throw new PaniniError('LIMIT', `chunk of ${data.length} bytes exceeds the record limit ${MAX_RECORD}`);
    throwIfAborted(this.opts.signal);
    this.whole.update(data);
    const digest = sha256(data);
    const key = keyOf(digest);
    const index = this.records++;
    const hit = this.window.get(key);
    const slot: Slot = { index, originalLength: data.length, sha256: digest, target: hit ?? -1, coded: undefined, share: 0 };
    // in the queue before it is coded: an inline coder reports its steps while code() runs
    this.queue.push(slot);
    if (hit !== undefined) {
      this.stats.refRecords++;
      this.stats.dedupBytes += data.length;
      this.analyzer?.skip(data);
    } else {
      this.window.add(key, index, data.length);
      const onStep = this.opts.onProgress
        ? (share: number) => {
            if (!(share > slot.share) || share >= 1) return;
            slot.share = share;
            this.progress();
          }
        : undefined;
      try {
        slot.coded = this.codeData(data, onStep);
      } catch (e) {
        this.queue.pop();
        throw e;
      }
      this.stats.dataRecords++;
    }
    this.stats.records++;
    this.original += data.length;
    while (this.queue.length > this.maxInFlight) await this.emit(this.queue.shift()!);
  }

  /**
   * Progress: the bytes of the records written, plus the coded share of each record being coded (so the count moves
   * while a large dhātu record is planned and coded); never decreases.
   */
  private progress(): void {
    let inFlight = 0;
    for (const q of this.queue) if (q.target === -1) inFlight += Math.floor(q.share * q.originalLength);
    this.opts.onProgress?.({ bytesIn: this.emittedOriginal + inFlight, bytesOut: this.written, ...(this.totalHint !== undefined ? { total: this.totalHint } : {}) });
  }

  private codeData(data: Uint8Array, onStep: CodeStep | undefined): Promise<CodedChunk> {
    const adaptive = this.opts.strategy === 'adaptive';
    if (this.opts.codec !== 'dhatu') {
      const codec = this.opts.codec === 'plz' ? CODEC_PLZ : this.opts.codec === 'pfz' ? CODEC_PFZ : CODEC_DEFLATE;
      return this.coder.code(data, { level: this.opts.level, codec, adaptive });
    }
    // dhātu: the stages that need the whole history (COMM) or the record's structure (REFLATE) run here, in order;
    // the planner and the entropy coders run in the coder (a worker when there is a pool)
    this.analyzer ??= new RecordAnalyzer(this.opts, this.stats.streams);
    const a = this.analyzer.analyze(data, this.original);
    return this.coder.code(a.residue, {
      level: this.opts.level,
      codec: CODEC_DHATU,
      adaptive,
      pre: a.pre,
      recordLength: data.length,
      ...(a.hint ? { hint: a.hint } : {}),
      ...(this.opts.planner === 'model' ? { planner: 'model' as const } : {}),
      ...(a.mayNotPay ? { original: data } : {}),
      ...(a.compare ? { compare: true } : {}),
    }, onStep);
  }

  private async emit(s: Slot): Promise<void> {
    this.index.push(this.written, this.emittedOriginal);
    this.emittedOriginal += s.originalLength;
    if (s.target >= 0) {
      await this.write(writeRecordHeader({ kind: KIND_REF, codec: 0, params: 0, storedLength: 0, originalLength: s.originalLength, target: s.target, sha256: s.sha256, payloadCrc: 0 }));
    } else {
      // an abort while the record is coded stops here at once, before anything more is written
      if (!s.coded) throw new PaniniError('STATE', `record ${s.index} was not coded`);
      const c = await untilAborted(s.coded, this.opts.signal);
      if (c.skipped) this.stats.skippedBytes += s.originalLength;
      if (c.dhatu) for (const [k, v] of Object.entries(c.dhatu)) this.stats.dhatu[k] = (this.stats.dhatu[k] ?? 0) + v;
      await this.write(writeRecordHeader({ kind: KIND_DATA, codec: c.codec, params: c.params, storedLength: c.stored.length, originalLength: s.originalLength, target: 0, sha256: s.sha256, payloadCrc: c.storedCrc }));
      await this.write(c.stored);
    }
    this.progress();
  }

  /** Writes everything that is left; returns the SHA-256 of the whole input. */
  async finish(manifest?: Uint8Array): Promise<{ sha256: Uint8Array; size: number; containerSize: number }> {
    if (!this.started) await this.start();
    if (this.finished) throw new PaniniError('STATE', 'the encoder is finished');
    this.finished = true;
    while (this.queue.length) await this.emit(this.queue.shift()!);
    const digest = this.whole.digest();
    const endOffset = this.written;
    const m = manifest ?? new Uint8Array(0);
    await this.write(writeEnd({ manifestLength: m.length, recordCount: this.records, sha256: digest, manifestCrc: m.length ? crc32(m) : 0 }));
    if (m.length) await this.write(m);
    const idx = this.index.bytes();
    await this.write(idx);
    await this.write(writeFooter({ endOffset, totalSize: this.original, recordCount: this.records, indexCrc: crc32(idx) }));
    return { sha256: digest, size: this.original, containerSize: this.written };
  }

  /** Abandons the work in flight (after an error or an abort). */
  async abort(): Promise<void> {
    // the work in flight is not waited for: closing the coder (the caller's next step) stops its workers, and each
    // pending result is observed here so that its rejection is not reported as unhandled
    this.finished = true;
    for (const s of this.queue) s.coded?.catch(() => undefined);
    this.queue.length = 0;
  }
}

function keyOf(d: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += String.fromCharCode(d[2 * i]! | (d[2 * i + 1]! << 8));
  return s;
}

export { HEADER_SIZE, RECORD_HEADER_SIZE };
