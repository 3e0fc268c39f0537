// The `semantic` chunking strategy: cut where the data's own structure has boundaries (JSON records, CSV row blocks,
// tar members, ELF sections, wasm sections, mail messages, text paragraphs ... src/grammar), and `adaptive`, which
// cuts semantically when the grammar layer recognises the format and with FastCDC when it does not.
//
// Streaming and deterministic: the format is detected once per input (per file in a tree) on its first HEAD_LIMIT
// bytes; the grammar then runs on fixed windows of WINDOW bytes that start where the previous window's last cut was,
// so the cuts depend only on the bytes, never on how they arrived. A window's bytes past its last cut start the next.
import { boundaries, detect, HEAD_LIMIT, type FormatId } from '../grammar/index.js';
import { ByteQueue } from '../bytes.js';
/** The chunk sizes semantic cuts keep to (a resolved compress options object has them). */
export interface SemanticSizes {
  minSize: number;
  avgSize: number;
  maxSize: number;
}
/** The CDC assembler semantic chunking falls back to (src/container/api.ts PieceAssembler). */
interface PieceAssembler {
  push(piece: Uint8Array): Uint8Array[];
  cut(): Uint8Array[];
  flush(): Uint8Array[];
}

export class SemanticAssembler {
  private readonly q = new ByteQueue();
  private format: FormatId | undefined;
  private cdc: PieceAssembler | undefined;
  private readonly window: number;
  /** formats chosen, for tests and stats: one per input (file) */
  readonly formats: FormatId[] = [];

  constructor(
    private readonly o: SemanticSizes,
    private readonly adaptive: boolean,
    private readonly makeCdc: () => PieceAssembler,
  ) {
    this.window = Math.min(64 << 20, Math.max(8 << 20, 4 * o.maxSize));
  }

  private head(): Uint8Array {
    return this.q.peek(Math.min(HEAD_LIMIT, this.q.length));
  }

  private decide(out: Uint8Array[]): void {
    if (this.format !== undefined || this.cdc !== undefined || this.q.length === 0) return;
    const d = detect(this.head(), undefined);
    this.formats.push(d.format);
    if (this.adaptive && d.format === 'generic') {
      this.cdc = this.makeCdc();
      for (const p of this.q.drain()) for (const c of this.cdc.push(p)) out.push(c);
      return;
    }
    this.format = d.format;
  }

  /** Cuts one window (all that is left when `last`); keeps the bytes after its last cut unless `last`. */
  private cutWindow(out: Uint8Array[], last: boolean): void {
    const data = this.q.take(Math.min(this.window, this.q.length));
    const cuts = boundaries(this.format!, data, { minSize: this.o.minSize, maxSize: this.o.maxSize, avgSize: this.o.avgSize });
    let end = last ? data.length : (cuts[cuts.length - 1] ?? data.length);
    let from = 0;
    for (const c of cuts) {
      if (c > end) break;
      out.push(data.subarray(from, c));
      from = c;
    }
    if (last || end === data.length) {
      if (from < data.length) out.push(data.subarray(from));
      end = data.length;
    } else {
      // the tail starts the next window
      this.q.unshift(data.subarray(end));
    }
  }

  push(piece: Uint8Array): Uint8Array[] {
    if (this.cdc) return this.cdc.push(piece);
    const out: Uint8Array[] = [];
    if (piece.length === 0) return out;
    this.q.push(piece);
    if (this.format === undefined && this.q.length >= HEAD_LIMIT) this.decide(out);
    if (this.cdc) return out;
    while (this.format !== undefined && this.q.length >= this.window) this.cutWindow(out, false);
    return out;
  }

  flush(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.decide(out);
    if (this.cdc) {
      for (const c of this.cdc.flush()) out.push(c);
      return out;
    }
    while (this.q.length > 0) this.cutWindow(out, this.q.length <= this.window);
    return out;
  }

  /** Ends the current input (a file of a tree): cuts what is held and detects the next input's format afresh. */
  cut(): Uint8Array[] {
    const out = this.flush();
    this.format = undefined;
    this.cdc = undefined;
    return out;
  }
}
