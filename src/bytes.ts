// Byte-array helpers shared by every layer (container, dhātu stages, REFLATE).
import { PaniniError } from './errors.js';

/** The parts concatenated into a new array (`total`, when the caller knows it, must be the sum of their lengths). */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  let n = total ?? 0;
  if (total === undefined) for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Whether two byte arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A queue of byte pieces: pushed at the back, taken or looked at from the front by length, or drained whole. Reads
 * return a view into a piece when one piece holds them, else a copy. The one pending-bytes queue of the encoder's
 * assemblers and the stream decoder.
 */
export class ByteQueue {
  private pieces: Uint8Array[] = [];
  /** bytes of pieces[0] already taken */
  private first = 0;
  /** bytes in the queue */
  length = 0;

  push(b: Uint8Array): void {
    if (b.length) {
      this.pieces.push(b);
      this.length += b.length;
    }
  }

  /** Puts bytes back at the front. */
  unshift(b: Uint8Array): void {
    if (!b.length) return;
    if (this.first) {
      this.pieces[0] = this.pieces[0]!.subarray(this.first);
      this.first = 0;
    }
    this.pieces.unshift(b);
    this.length += b.length;
  }

  /** The first n bytes (n ≤ length), left in the queue. */
  peek(n: number): Uint8Array {
    return this.read(n, false);
  }

  /** Removes and returns the next n bytes (n ≤ length). */
  take(n: number): Uint8Array {
    return this.read(n, true);
  }

  /** Removes every piece and returns them in order (views). */
  drain(): Uint8Array[] {
    const out = this.pieces;
    if (this.first && out.length) out[0] = out[0]!.subarray(this.first);
    this.pieces = [];
    this.first = 0;
    this.length = 0;
    return out;
  }

  /** Removes everything and returns it as one array (the piece itself when there is only one). */
  takeAll(): Uint8Array {
    const n = this.length;
    const parts = this.drain();
    return parts.length === 1 ? parts[0]! : concatBytes(parts, n);
  }

  private read(n: number, remove: boolean): Uint8Array {
    if (n > this.length) throw new PaniniError('STATE', `a byte queue was asked for ${n} bytes and holds ${this.length}`);
    if (n === 0) return new Uint8Array(0);
    const p0 = this.pieces[0]!;
    if (p0.length - this.first >= n) {
      const out = p0.subarray(this.first, this.first + n);
      if (remove) this.advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    let i = 0;
    let at = this.first;
    while (got < n) {
      const p = this.pieces[i]!;
      const k = Math.min(n - got, p.length - at);
      out.set(p.subarray(at, at + k), got);
      got += k;
      at = 0;
      i++;
    }
    if (remove) this.advance(n);
    return out;
  }

  private advance(n: number): void {
    this.length -= n;
    while (n > 0) {
      const p = this.pieces[0]!;
      const k = Math.min(n, p.length - this.first);
      this.first += k;
      n -= k;
      if (this.first === p.length) {
        this.pieces.shift();
        this.first = 0;
      }
    }
  }
}

/**
 * The last index i in [lo, hi] whose start(i) ≤ x, for starts sorted ascending (lo when none is: callers check the
 * one they get). The search behind every "which segment / record / range holds this offset".
 */
export function lastAtOrBefore(lo: number, hi: number, start: (i: number) => number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (start(mid) <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
