// Grouping of semantic boundaries into pieces between minSize and maxSize, the size-based fallback, and the helper
// that turns a precomputed boundary list (binary formats) into a Grammar.
import { PaniniError } from '../errors.js';
import type { BoundaryOptions, Grammar, Sink } from './types.js';

export interface ResolvedBoundaryOptions {
  minSize: number;
  maxSize: number;
  avgSize: number;
}

const MAX_SIZE_LIMIT = 2 ** 40;

function intOption(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new PaniniError('OPTION', `grammar boundaries: option "${name}" must be an integer in [${lo}, ${hi}], got ${String(v)}`, {
      option: name,
    });
  }
  return v;
}

/** Validates BoundaryOptions (throws PaniniError OPTION): minSize ≥ 1, maxSize ≥ minSize, avgSize in [min, max]. */
export function resolveBoundaryOptions(opts: BoundaryOptions): ResolvedBoundaryOptions {
  if (opts === null || typeof opts !== 'object') {
    throw new PaniniError('OPTION', 'grammar boundaries: options must be an object { minSize, maxSize, avgSize? }', { option: 'options' });
  }
  const minSize = intOption('minSize', opts.minSize, 1, MAX_SIZE_LIMIT);
  const maxSize = intOption('maxSize', opts.maxSize, minSize, MAX_SIZE_LIMIT);
  const avgSize =
    opts.avgSize === undefined
      ? Math.min(maxSize, Math.max(minSize, Math.round(Math.sqrt(minSize * maxSize))))
      : intOption('avgSize', opts.avgSize, minSize, maxSize);
  return { minSize, maxSize, avgSize };
}

/** Appends cuts that split [a, b) into ⌈(b−a)/max⌉ pieces of equal size (±1); nothing when b − a ≤ max. */
export function sizeFill(out: number[], a: number, b: number, max: number): void {
  const len = b - a;
  if (len <= max) return;
  const n = Math.ceil(len / max);
  for (let i = 1; i < n; i++) out.push(a + Math.floor((len * i) / n));
}

/** One span being grouped at one level (a frame of the refinement recursion). */
class Frame implements Sink {
  last: number;
  lastTag: number;
  prev = -1;
  prevTag = 0;
  hi: number;
  constructor(
    private readonly cx: Grouper,
    readonly a: number,
    readonly b: number,
    readonly level: number,
    tag: number,
  ) {
    this.last = a;
    this.lastTag = tag;
    this.hi = a;
  }

  private cut(p: number, tag: number): void {
    this.cx.out.push(p);
    this.last = p;
    this.lastTag = tag;
    this.prev = -1;
  }

  offer(p: number, tag: number): void {
    if (!(p > this.hi) || p >= this.b) return; // also rejects NaN
    this.hi = p;
    const { minSize, maxSize, avgSize } = this.cx.o;
    for (;;) {
      const len = p - this.last;
      if (len < minSize) return;
      if (len <= maxSize) {
        // close the piece once it reached avgSize, unless that would leave a tail shorter than minSize that could
        // have been merged into this piece
        if (len >= avgSize && !(this.b - p < minSize && this.b - this.last <= maxSize)) this.cut(p, tag);
        else {
          this.prev = p;
          this.prevTag = tag;
        }
        return;
      }
      // the piece would exceed maxSize: close it at the last usable boundary, then look at p again
      if (this.prev >= 0) {
        this.cut(this.prev, this.prevTag);
        continue;
      }
      // no boundary in [last + minSize, p): cut the gap at a finer level (or by size), then close at p
      this.cx.refine(this.last, p, this.level, this.lastTag);
      this.cut(p, tag);
      return;
    }
  }

  finish(): void {
    const { maxSize } = this.cx.o;
    if (this.b - this.last <= maxSize) return;
    if (this.prev >= 0) this.cut(this.prev, this.prevTag);
    if (this.b - this.last > maxSize) this.cx.refine(this.last, this.b, this.level, this.lastTag);
  }
}

class Grouper {
  readonly out: number[] = [];
  constructor(
    readonly g: Grammar,
    readonly o: ResolvedBoundaryOptions,
  ) {}

  /** Cuts [a, b) (longer than maxSize) with the grammar's level `level`, then finer levels, then by size. */
  run(a: number, b: number, level: number, tag: number): void {
    if (level >= this.g.levels) {
      sizeFill(this.out, a, b, this.o.maxSize);
      return;
    }
    const f = new Frame(this, a, b, level, tag);
    try {
      this.g.scan(a, b, level, tag, f);
    } catch {
      // a scanner bug must not lose data or throw on hostile input: whatever it offered stands, the rest is cut below
    }
    f.finish();
  }

  refine(a: number, b: number, level: number, tag: number): void {
    this.run(a, b, level + 1, tag);
  }
}

/**
 * Groups a grammar's boundaries over data[0, length) into pieces: strictly increasing cuts in (0, length), no piece
 * longer than maxSize, pieces closed at the first boundary at or after avgSize (never before minSize).
 */
export function groupBoundaries(g: Grammar, length: number, o: ResolvedBoundaryOptions): number[] {
  const gr = new Grouper(g, o);
  gr.run(0, length, 0, 0);
  return gr.out;
}

/** A grammar with no boundaries: everything is cut by size. */
export const sizeGrammar: Grammar = { levels: 0, scan() {} };

/**
 * A grammar from a precomputed list of boundaries with levels (for binary formats parsed up front). `pos` need not be
 * sorted; values outside (0, length), non-integers and duplicates are dropped (a duplicate keeps its lowest level).
 */
export function listGrammar(length: number, pos: readonly number[], lvl: readonly number[], levels: number): Grammar {
  const n = pos.length;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = pos[i]!;
    if (Number.isInteger(p) && p > 0 && p < length) idx.push(i);
  }
  idx.sort((x, y) => pos[x]! - pos[y]! || lvl[x]! - lvl[y]!);
  const P = new Float64Array(idx.length);
  const L = new Uint8Array(idx.length);
  let m = 0;
  for (const i of idx) {
    const p = pos[i]!;
    if (m > 0 && P[m - 1] === p) continue;
    P[m] = p;
    L[m] = Math.max(0, Math.min(255, lvl[i]! | 0));
    m++;
  }
  return {
    levels,
    scan(a, b, level, _tag, sink) {
      // binary search for the first boundary > a
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (P[mid]! <= a) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < m; i++) {
        const p = P[i]!;
        if (p >= b) break;
        if (L[i]! <= level) sink.offer(p, 0);
      }
    },
  };
}

/** Offers every line start (offset after a '\n') in (a, b). */
export function offerLines(data: Uint8Array, a: number, b: number, sink: Sink): void {
  const v = data.subarray(a, b); // bounded search: never look past b
  let i = 0;
  for (;;) {
    const j = v.indexOf(10, i);
    if (j < 0 || a + j + 1 >= b) return;
    sink.offer(a + j + 1, 0);
    i = j + 1;
  }
}

/** Offers the offset after every space or tab in (a, b) (word boundaries, for overlong lines). */
export function offerWords(data: Uint8Array, a: number, b: number, sink: Sink): void {
  for (let i = a; i < b - 1; i++) {
    const c = data[i]!;
    if (c === 32 || c === 9) sink.offer(i + 1, 0);
  }
}
