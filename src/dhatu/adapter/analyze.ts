// The dhātu encoder's sequential front: for each record, in output order, the grammar's format hint, the deflate
// streams worth recompressing (REFLATE) and the long-range copies from earlier output (COMM). These stages need the
// record's whole structure or the whole history, so they run here, once, in order; the planner and the entropy coders
// then run on the residue in the coder (a worker when there is a pool). Deterministic: the same records in the same
// order give the same stages.
import { SNIFF_BYTES } from '../planner.js';
import { COMM_MIN_WINDOW, COMMZ_STAGE_ID, createLongMatcher, keepEarlierCopies, packCommOps, type LongMatcher } from '../comm.js';
import { encode as plzEncode } from '../../codec/plz.js';
import { hasDeflateStreams, reflateForward, type ReflateReport } from '../reflate/index.js';
import { analyzeForeign, reconstructForeign } from '../reflate/foreign.js';
import { detect } from '../../grammar/index.js';
import type { PreStage } from './record.js';
import { MATCH_HISTORY_CAP } from '../../limits.js';
/** The compress options the analysis reads (a resolved compress options object has them). */
export interface AnalyzeOptions {
  level: number;
  /** how many bytes back COMM looks (at most the container's dedup window) */
  matchHistory: number;
}

/** Levels from which streams of other encoders get preflate corrections (slow: ~1 MB/s each way). */
export const FOREIGN_MIN_LEVEL = 7;
/**
 * COMM inside a record: copies nearer than this are left to the coder (it codes near repeats better, with context);
 * farther ones are kept (the coders' match finders do poorly on repeats megabytes back). Measured: docs/DHATU-COMM.md.
 */
export const COMM_POLICY = { minInsideDistance: 1 << 20 };
/** Levels from which a record with COMM copies is also coded without them, keeping the smaller. */
export const TRY_BOTH_LEVEL = 8;
/** No wall-clock budget: output must not depend on machine speed; the work is bounded by sizes and tries instead. */
const NO_DEADLINE = 1e12;

/** The counts of a ReflateReport (src/dhatu/reflate) that add up over the records of an input. */
const STREAM_COUNTS = ['found', 'reproduced', 'foreign', 'kept', 'rawBytes', 'replacedBytes'] as const;

/**
 * What REFLATE did over a whole input: streams found, re-created (zlib parameters / foreign corrections), kept, the
 * raw bytes that replaced compressed ones (ReflateReport's fields, summed), and the kept streams by reason.
 */
export type StreamStats = Pick<ReflateReport, (typeof STREAM_COUNTS)[number]> & { keptReasons: Record<string, number> };

export function emptyStreamStats(): StreamStats {
  return { found: 0, reproduced: 0, foreign: 0, kept: 0, rawBytes: 0, replacedBytes: 0, keptReasons: {} };
}

function addReport(s: StreamStats, r: ReflateReport): void {
  for (const k of STREAM_COUNTS) s[k] += r[k];
  for (const st of r.streams) {
    if (st.method !== 'kept') continue;
    const why = (st.reason ?? 'unknown').replace(/\d[\d,.]*/g, 'N');
    s.keptReasons[why] = (s.keptReasons[why] ?? 0) + 1;
  }
}

export interface Analysis {
  pre: PreStage[];
  /** what the planner codes: the last pre stage's output, or the record itself */
  residue: Uint8Array;
  hint?: string;
  /**
   * the pre stages may not pay: the coder gets the record too — REFLATE: to code it plainly if the plan does not
   * shrink it; COMM with `compare`: to code it both ways
   */
  mayNotPay: boolean;
  /** code the record both with and without the pre stages and keep the smaller */
  compare?: boolean;
}

export class RecordAnalyzer {
  /** undefined when the history is below COMM's smallest: no copies reach that short a history */
  private readonly matcher: LongMatcher | undefined;
  constructor(
    private readonly o: AnalyzeOptions,
    readonly streams: StreamStats = emptyStreamStats(),
  ) {
    const w = Math.min(o.matchHistory, MATCH_HISTORY_CAP);
    this.matcher = w >= COMM_MIN_WINDOW ? createLongMatcher({ window: w }) : undefined;
  }

  /** Record at output offset `offset` (records come in order, each exactly once through analyze or skip). */
  analyze(record: Uint8Array, offset: number): Analysis {
    const hint = detect(record.subarray(0, SNIFF_BYTES), record.length).format;
    const h = hint ? { hint } : {};
    if (this.o.level >= 1 && hasDeflateStreams(record)) {
      const r = reflateForward(record, {
        budgetMs: NO_DEADLINE,
        ...(this.o.level >= FOREIGN_MIN_LEVEL ? { foreign: { analyzeForeign: (d, raw) => analyzeForeign(d, raw), reconstructForeign } } : {}),
      });
      addReport(this.streams, r.report);
      if (r.result) {
        this.matcher?.append(record);
        const s = r.result;
        return { pre: [{ id: s.id, params: s.params, handled: s.handled }], residue: s.streams[0]!, ...h, mayNotPay: true };
      }
    }
    const found = this.matcher?.encode(record, offset);
    const m = found && keepEarlierCopies(record, found, COMM_POLICY.minInsideDistance);
    // copies from earlier records are kept, and those ≥ 1 MiB back inside the record; nearer repeats inside it are the
    // coder's job (plz and pfz find them in their window and code them better, with context). Copies that cover little
    // of the record still cost the coder context: below 1/8 the record is coded plainly; at levels ≥ TRY_BOTH_LEVEL,
    // below 1/2, the coder codes both ways and keeps the smaller
    if (m && (m.handled * 8 >= record.length || this.o.level >= TRY_BOTH_LEVEL)) {
      const params = packCommOps(m.params, (ops) => plzEncode(ops, 9));
      // copies of most of the record always pay; between 1/8 and 1/2 it depends on what plz would find itself
      const compare = this.o.level >= TRY_BOTH_LEVEL && m.handled * 2 < record.length;
      return { pre: [{ id: COMMZ_STAGE_ID, params, handled: m.handled }], residue: m.streams[0]!, ...h, mayNotPay: compare, compare };
    }
    return { pre: [], residue: record, ...h, mayNotPay: false };
  }

  /** A record coded without analysis (a whole-record duplicate): the matcher still needs it in its history. */
  skip(record: Uint8Array): void {
    this.matcher?.append(record);
  }
}
