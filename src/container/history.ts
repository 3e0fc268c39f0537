// Earlier output, addressed by absolute output offset: what a COMM stage (src/dhatu/comm.ts) copies from. Decoders
// keep the most recent output here (every byte of the last `capacity`, oldest records dropped first, so at most
// `capacity` plus one record); the encoder's matcher keeps its own history. FORMAT.md "Dedup window" bounds how far
// back a copy may reach. A decoder that can re-read earlier records (walk(), through the index) starts with a small
// capacity and lets it grow, up to `limit`, to the farthest reach a copy has asked for: it then holds about what the
// encoder's history held, not the most it could have.
import { PaniniError } from '../errors.js';
import { lastAtOrBefore } from '../bytes.js';

interface Segment {
  offset: number;
  bytes: Uint8Array;
}

export class OutputHistory {
  private segs: Segment[] = [];
  private first = 0; // index of the oldest live segment in segs
  /** output offset just past the newest byte */
  end = 0;

  /** bytes of recent output kept (grows through reach(), up to `limit`) */
  capacity: number;

  constructor(capacity: number, readonly limit = capacity) {
    this.capacity = Math.min(capacity, limit);
  }

  /**
   * A copy asked for output `distance` bytes before `end`: from now on, keep that much (rounded up to 1 MiB, at
   * most `limit`). Bytes already dropped stay dropped (the caller re-reads them); the capacity never shrinks.
   */
  reach(distance: number): void {
    if (distance <= this.capacity || this.capacity >= this.limit) return;
    this.capacity = Math.min(this.limit, Math.ceil(distance / REACH_STEP) * REACH_STEP);
  }

  /** the oldest output offset still held */
  get start(): number {
    return this.first < this.segs.length ? this.segs[this.first]!.offset : this.end;
  }

  /** Appends the next record's output (must start at `end`). The bytes must not change afterwards. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.segs.push({ offset: this.end, bytes });
    this.end += bytes.length;
    // every byte of the last `capacity` is kept (a copy may reach that far back from the next record's start): a
    // record goes once all of it is older than that, so up to one record more than `capacity` may be held
    while (this.first < this.segs.length && this.segs[this.first]!.offset + this.segs[this.first]!.bytes.length <= this.end - this.capacity) {
      this.segs[this.first] = undefined as unknown as Segment;
      this.first++;
    }
    if (this.first > 1024 && this.first * 2 > this.segs.length) {
      this.segs = this.segs.slice(this.first);
      this.first = 0;
    }
  }

  /** True when [offset, offset + length) is entirely held. */
  holds(offset: number, length: number): boolean {
    return offset >= this.start && offset + length <= this.end;
  }

  /** The bytes [offset, offset + length); a view when they lie in one record. Throws LIMIT when not held. */
  read(offset: number, length: number): Uint8Array {
    if (!this.holds(offset, length)) {
      throw new PaniniError('LIMIT', `bytes ${offset}..${offset + length} of the output are no longer held (this decoder keeps ${this.capacity} bytes: output ${this.start}..${this.end})`);
    }
    if (length === 0) return new Uint8Array(0);
    const lo = lastAtOrBefore(this.first, this.segs.length - 1, (i) => this.segs[i]!.offset, offset);
    const s = this.segs[lo]!;
    const rel = offset - s.offset;
    if (rel + length <= s.bytes.length) return s.bytes.subarray(rel, rel + length);
    const out = new Uint8Array(length);
    let k = 0;
    for (let i = lo; k < length; i++) {
      const seg = this.segs[i]!;
      const from = i === lo ? rel : 0;
      const n = Math.min(length - k, seg.bytes.length - from);
      out.set(seg.bytes.subarray(from, from + n), k);
      k += n;
    }
    return out;
  }
}

const REACH_STEP = 1 << 20;
