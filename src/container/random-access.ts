// Random access to the original bytes of a container: any byte range or record, decoding only the records it needs
// (and, for dhātu records that copy earlier output, the records those copies read), each once.
import { PaniniError } from '../errors.js';
import { KIND_DATA, RECORD_HEADER_SIZE, type RecordHeader, readFrame, readIndexEntry } from './format.js';
import { DedupWindow } from './window.js';
import { OutputHistory } from './history.js';
import { checkRefBytes, refTargetError } from './ref.js';
import { type ContainerInfo, type Source, readExact, readRecordRaw } from './read.js';
import { type OutputSource, decodeWithOutput, readsOutput, sourcesOf } from './verify.js';
import { lastAtOrBefore } from '../bytes.js';

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
    return lastAtOrBefore(0, this.info.footer.recordCount - 1, (i) => readIndexEntry(this.info.index, i, this.info.indexOffset).originalOffset, offset);
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
      if (from < 0 || from > data.length) throw new PaniniError('FORMAT', `index entry ${i} disagrees with the records' lengths`, { record: i });
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
        deps.push(rec.target);
      } else if (readsOutput(rec)) {
        sources = sourcesOf(rec, stored, e.frameOffset, i, e.originalOffset, window);
        for (const [o, l] of sources) {
          if (this.history?.holds(o, l)) continue; // read from the history, no record to decode for it
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
        if (tKind !== KIND_DATA) throw refTargetError(i, t);
        data = checkRefBytes(this.held(t), n.rec, i);
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


export async function resolveTarget(src: Source, info: ContainerInfo, resolver: OutputResolver, rec: RecordHeader, i: number): Promise<Uint8Array> {
  await checkRefTarget(src, info, rec, i);
  return resolver.record(rec.target);
}

/** Throws FORMAT unless REF record i's target is a DATA record (read from its header through the index). */
export async function checkRefTarget(src: Source, info: ContainerInfo, rec: RecordHeader, i: number): Promise<void> {
  const t = readIndexEntry(info.index, rec.target, info.indexOffset);
  const f = readFrame(await readExact(src, t.frameOffset, RECORD_HEADER_SIZE, `record ${rec.target} header`), t.frameOffset, rec.target);
  if (f.kind !== KIND_DATA) throw refTargetError(i, rec.target);
}
