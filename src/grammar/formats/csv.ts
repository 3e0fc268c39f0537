// CSV / TSV: row blocks. A row ends at a '\n' outside a quoted field ("" inside quotes is an escaped quote, which the
// toggle handles). Past rows: raw lines (only reached when quoting is broken or a field is longer than maxSize), size.
import { offerLines } from '../cut.js';
import type { Grammar, Sink } from '../types.js';

/** Offers the start of every row in (a, b); `a` is outside any quoted field. */
export function offerCsvRows(data: Uint8Array, a: number, b: number, quote: number, sink: Sink): void {
  let inQuote = false;
  for (let i = a; i < b - 1; i++) {
    const c = data[i]!;
    if (c === quote) inQuote = !inQuote;
    else if (c === 10 && !inQuote) sink.offer(i + 1, 0);
  }
}

export function csvGrammar(data: Uint8Array): Grammar {
  return {
    levels: 2,
    scan(a, b, level, _tag, sink) {
      if (level === 0) offerCsvRows(data, a, b, 34, sink);
      else offerLines(data, a, b, sink);
    },
  };
}

/** TSV (IANA text/tab-separated-values) has no quoting: rows are lines. */
export function tsvGrammar(data: Uint8Array): Grammar {
  return {
    levels: 1,
    scan(a, b, _level, _tag, sink) {
      offerLines(data, a, b, sink);
    },
  };
}

export interface DelimitedSniff {
  delimiter: number;
  /** records looked at (complete ones only) */
  records: number;
  /** fields per record of the first record */
  fields: number;
  /** share of records with the first record's field count */
  consistency: number;
}

const CANDIDATES = [44, 9, 59, 124]; // , \t ; |

/**
 * Looks at up to 200 complete records of `head` and returns the delimiter whose per-record count is most consistent
 * (and at least 1), or undefined. Quotes are honoured for every delimiter except tab.
 */
export function sniffDelimited(head: Uint8Array, truncated: boolean): DelimitedSniff | undefined {
  let best: DelimitedSniff | undefined;
  for (const d of CANDIDATES) {
    const quote = d === 9 ? -1 : 34;
    let inQuote = false;
    let count = 0;
    let first = -1;
    let same = 0;
    let records = 0;
    let recStart = 0;
    let leading = 0; // records that start with the delimiter (indentation, not fields)
    let i = 0;
    const n = head.length;
    for (; i < n && records < 200; i++) {
      const c = head[i]!;
      if (c === quote) inQuote = !inQuote;
      else if (!inQuote) {
        if (c === d) {
          count++;
          if (i === recStart) leading++;
        }
        else if (c === 10) {
          const empty = i - recStart <= 1;
          if (!empty) {
            if (first < 0) first = count;
            if (count === first) same++;
            records++;
          }
          count = 0;
          recStart = i + 1;
        }
      }
    }
    if (i >= n && !truncated && recStart < n && !inQuote) {
      // the last record of a whole file may lack its newline
      if (first < 0) first = count;
      if (count === first) same++;
      records++;
    }
    if (first < 1 || records < 2 || leading * 2 > records) continue;
    const consistency = same / records;
    const cand: DelimitedSniff = { delimiter: d, records, fields: first + 1, consistency };
    if (
      !best ||
      consistency > best.consistency + 1e-9 ||
      (Math.abs(consistency - best.consistency) <= 1e-9 && cand.fields > best.fields)
    ) {
      best = cand;
    }
  }
  return best;
}
