// Grammar layer types: the formats it recognises, what detection returns, and the contract between the cut grouping
// (src/grammar/cut.ts) and each format's boundary scanner (src/grammar/formats/*.ts).

/** Every format the grammar layer recognises. `generic` is the fallback (size-based cuts). */
export type FormatId =
  | 'text'
  | 'json'
  | 'ndjson'
  | 'csv'
  | 'tsv'
  | 'xml'
  | 'html'
  | 'js'
  | 'sourcemap'
  | 'mail'
  | 'mbox'
  | 'elf'
  | 'wasm'
  | 'png'
  | 'jpeg'
  | 'zip'
  | 'gzip'
  | 'tar'
  | 'pdf'
  | 'generic';

export const FORMATS: readonly FormatId[] = [
  'text', 'json', 'ndjson', 'csv', 'tsv', 'xml', 'html', 'js', 'sourcemap', 'mail', 'mbox',
  'elf', 'wasm', 'png', 'jpeg', 'zip', 'gzip', 'tar', 'pdf', 'generic',
];

/** Extra facts detection found on the way (e.g. `delimiter` for csv, `subtype: 'jar'` for zip, `bits: 64` for elf). */
export type DetectionInfo = Record<string, string | number | boolean>;

export interface Detection {
  format: FormatId;
  /** 0..1: 0.99 for a magic number that checked out, lower for structural guesses, 0.1 for `generic` */
  confidence: number;
  info?: DetectionInfo;
}

/** Sizes of the pieces `boundaries` aims for. */
export interface BoundaryOptions {
  /** no piece is shorter than this, except the last one and pieces forced by the structure's own gaps (≥ 1) */
  minSize: number;
  /** no piece is longer than this (≥ minSize) */
  maxSize: number;
  /**
   * a piece is closed at the first semantic boundary at or after this length (default: √(minSize·maxSize), within
   * [minSize, maxSize]). Smaller → pieces nearer minSize, larger → fewer, bigger pieces.
   */
  avgSize?: number;
}

/** Receives candidate cuts from a scanner. */
export interface Sink {
  /**
   * A semantic boundary at offset `p` (the first byte of the next unit). `tag` is the scanner's state at `p` (e.g. the
   * nesting depth), handed back to `scan` when a span that starts at `p` is scanned again at a finer level.
   * Offsets must increase; ones that do not, or that lie outside the span, are ignored.
   */
  offer(p: number, tag: number): void;
}

/**
 * A format's boundary scanner. Level 0 gives the strongest units (top-level records, sections, messages); each
 * further level gives every boundary of the previous level plus finer ones (nested members, function bodies, lines).
 * The grouping asks for a finer level only for a span that is longer than maxSize and had no usable boundary, so
 * every byte is scanned at most `levels` times. Past the last level, spans are cut by size.
 */
export interface Grammar {
  readonly levels: number;
  /**
   * Offers the boundaries of strength ≤ `level` that lie strictly inside (a, b), in increasing order. `a` is 0 or a
   * boundary this grammar offered earlier with state `tag` (0 at offset 0). Must not throw and must not read past
   * data.length, whatever the bytes.
   */
  scan(a: number, b: number, level: number, tag: number, sink: Sink): void;
}
