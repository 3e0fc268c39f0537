// The REF record's rules (docs/FORMAT.md "REF records"), checked in one place for every decoder: its target is a DATA
// record (inside the dedup window, where the decoder keeps one), and the target's bytes are what the REF record
// declares (its length and SHA-256). That the target is an earlier record is readFrame's check (format.ts), which
// every reader of a record header goes through.
import { PaniniError } from '../errors.js';
import { equalBytes as equal } from '../bytes.js';
import { sha256 } from '../hash/sha256.js';
import type { RecordHeader } from './format.js';

/** How an error names REF record `i` (and its byte offset when the decoder knows it). */
const refName = (i: number, at: number | undefined): string => `REF record ${i}${at === undefined ? '' : ` at byte ${at}`}`;
const refWhere = (i: number, at: number | undefined) => (at === undefined ? { record: i } : { offset: at, record: i });

/**
 * The error for a REF record whose target breaks the rules: not earlier, not a DATA record, or (with `window`) not a
 * DATA record inside the declared dedup window of that many bytes.
 */
export function refTargetError(i: number, target: number, at?: number, window?: number): PaniniError {
  const what = window === undefined ? (target >= i ? 'not an earlier DATA record' : 'not a DATA record') : `not a DATA record inside the declared ${window}-byte dedup window`;
  return new PaniniError('FORMAT', `${refName(i, at)} repeats record ${target}, which is ${what}`, refWhere(i, at));
}

/** The target's bytes, checked against the REF record's declared length and SHA-256 (FORMAT otherwise). */
export function checkRefBytes(bytes: Uint8Array | undefined, rec: Pick<RecordHeader, 'target' | 'originalLength' | 'sha256'>, i: number, at?: number): Uint8Array {
  if (!bytes || bytes.length !== rec.originalLength || !equal(sha256(bytes), rec.sha256)) {
    throw new PaniniError('FORMAT', `${refName(i, at)} repeats record ${rec.target}, whose bytes differ from the recorded SHA-256/length`, refWhere(i, at));
  }
  return bytes;
}
