// The dhātu encoder's sequential front: for each record, in output order, the grammar's format hint, the deflate
// streams worth recompressing (REFLATE) and the long-range copies from earlier output (COMM). These stages need the
// record's whole structure or the whole history, so they run here, once, in order; the planner and the entropy coders
// then run on the residue in the coder (a worker when there is a pool). Deterministic: the same records in the same
// order give the same stages.
import { createLongMatcher, type LongMatcher } from '../dhatu/comm.js';
// TODO(integration): REFLATE (src/dhatu/reflate) and the grammar hint (src/grammar) join when those modules land
const hasDeflateStreams = (_r: Uint8Array): boolean => false;
const reflateForward = (_r: Uint8Array, _o: object): { result: import('../dhatu/stage.js').StageResult | null } => ({ result: null });
import { detect } from '../grammar/index.js';
import type { PreStage } from './coder.js';
import type { ResolvedCompressOptions } from './options.js';

/** How far back the matcher looks when the container's window is unlimited (it keeps this many bytes). */
export const MATCH_HISTORY_CAP = 512 << 20;
/** Bytes of a record the format sniffing looks at. */
const SNIFF_BYTES = 64 << 10;

export interface Analysis {
  pre: PreStage[];
  /** what the planner codes: the last pre stage's output, or the record itself */
  residue: Uint8Array;
  hint?: string;
  /** the pre stages may not pay (REFLATE): the coder gets the record too, to code it plainly if so */
  mayNotPay: boolean;
}

export class RecordAnalyzer {
  private readonly matcher: LongMatcher;
  constructor(private readonly o: ResolvedCompressOptions) {
    const w = o.dedupWindow === 0 ? MATCH_HISTORY_CAP : Math.min(o.dedupWindow, MATCH_HISTORY_CAP);
    this.matcher = createLongMatcher({ window: w });
  }

  /** Record at output offset `offset` (records come in order, each exactly once through analyze or skip). */
  analyze(record: Uint8Array, offset: number): Analysis {
    const hint = detect(record.subarray(0, SNIFF_BYTES), record.length).format;
    const h = hint ? { hint } : {};
    if (this.o.level >= 1 && hasDeflateStreams(record)) {
      const r = reflateForward(record, {});
      if (r.result) {
        this.matcher.append(record);
        const s = r.result;
        return { pre: [{ id: s.id, params: s.params, handled: s.handled }], residue: s.streams[0]!, ...h, mayNotPay: true };
      }
    }
    const m = this.matcher.encode(record, offset);
    if (m) return { pre: [{ id: m.id, params: m.params, handled: m.handled }], residue: m.streams[0]!, ...h, mayNotPay: false };
    return { pre: [], residue: record, ...h, mayNotPay: false };
  }

  /** A record coded without analysis (a whole-record duplicate): the matcher still needs it in its history. */
  skip(record: Uint8Array): void {
    this.matcher.append(record);
  }
}
