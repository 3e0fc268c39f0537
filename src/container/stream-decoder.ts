// The sequential decoder: a container fed in pieces of any size (a pipe, a network stream), REF targets from the dedup
// window, COMM copies from the output history, every record verified before its bytes are emitted.
import { PaniniError } from '../errors.js';
import { createSha256 } from '../hash/sha256.js';
import { crc32 } from '../hash/crc32.js';
import { ByteQueue, equalBytes as equal } from '../bytes.js';
import { checkRefBytes, refTargetError } from './ref.js';
import { END_SIZE, FOOTER_SIZE, HEADER_SIZE, INDEX_ENTRY_SIZE, KIND_DATA, KIND_END, RECORD_HEADER_SIZE, type EndFrame, type Header, type RecordHeader, putIndexEntry, readFooter, readFrame, readHeader, hex, hex8 } from './format.js';
import { type ResolvedDecompressOptions, throwIfAborted } from './options.js';
import { DedupWindow } from './window.js';
import { decodeManifest } from './manifest.js';
import { OutputHistory } from './history.js';
import { decodeVerified, readsOutput, sourceAccess, sourcesOf } from './verify.js';

// ------------------------------------------------------------------------------------------ sequential decoding
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
                throw refTargetError(this.records, f.target, this.recAt, w);
              }
              throw new PaniniError('LIMIT', `REF record ${this.records} at byte ${this.recAt} repeats record ${f.target}, which is outside the ${this.opts.maxWindow}-byte window this decoder retains (decode this container with random access: decompress/decompressFile, or raise maxWindow)`, { offset: this.recAt, record: this.records });
            }
            this.out(checkRefBytes(t, f, this.records, this.recAt));
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
    const where = { offset: this.recAt, record: this.records };
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
    putIndexEntry(new DataView(this.expectEntry.buffer), 0, frameOffset, originalOffset);
    this.indexCrcExpected = crc32(this.expectEntry, this.indexCrcExpected);
  }

  private out(data: Uint8Array): void {
    if (this.original + data.length > this.opts.maxOutputSize) {
      throw new PaniniError('LIMIT', `output exceeds maxOutputSize ${this.opts.maxOutputSize} at record ${this.records}`, { offset: this.recAt, record: this.records });
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
