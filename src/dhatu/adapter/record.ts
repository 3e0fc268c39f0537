// The container side of the dhātu codec (codec id 16): a DATA record whose payload is a dhātu plan (src/dhatu/plan.ts,
// docs/DHATU.md). Decoding a plan may read earlier output (COMM copies); the decoders provide it through an
// OutputAccess: StreamDecoder from its retained history, random access by decoding the records that hold it.
import { PaniniError } from '../../errors.js';
import { decodePlan, planStages } from '../plan.js';
import { hasStage, stageKind } from '../registry.js';
import { CODER_CM, CODER_PFZ } from '../stages/coder.js';
import type { DecodeContext } from '../stage.js';
import { encodePlan, PFZ_MAX_LEVEL } from '../planner.js';
import { crc32 } from '../../hash/crc32.js';

import { checkCoded } from '../../codec/check.js';
import { MAX_RECORD } from '../../limits.js';
import { lastAtOrBefore } from '../../bytes.js';

export const CODEC_DHATU = 16;

/** A stage the encoder already applied to a record (COMM, REFLATE), its streams left out. */
export interface PreStage {
  id: number;
  params: Uint8Array;
  handled: number;
}

/** What the dhātu codec needs to code one record (src/container/coder.ts CodeJob extends it). */
export interface DhatuJob {
  level: number;
  /** stages the encoder already applied to the record (COMM, REFLATE), streams left out: `data` is the last one's output */
  pre?: PreStage[];
  /** the record's format, from the grammar layer */
  hint?: string;
  /** the plan selector chooses the chain (else trials) */
  planner?: 'model';
  /** the record's original length (`data` may be a residue of it) */
  recordLength?: number;
  /** with pre stages that may not pay (REFLATE): the record's bytes, coded plainly if the plan does not shrink */
  original?: Uint8Array;
  /** with `original`: code both ways and keep the smaller (else the original is coded only when the plan does not shrink) */
  compare?: boolean;
}

/** One coded record: the codec id and params of its DATA record, and the payload with its CRC32. */
export interface CodedRecord {
  codec: number;
  params: number;
  stored: Uint8Array;
  storedCrc: number;
  /** the adaptive probe judged the chunk incompressible and stored it without coding */
  skipped: boolean;
  /** codec dhātu: bytes of the record each primitive handled */
  dhatu?: Record<string, number>;
}

export { CODER_CM, CODER_PFZ };
export { PFZ_MAX_LEVEL } from '../planner.js';

/** The most bytes one stream of a plan may hold while decoding (a record expands at most this far inside a plan). */
export const PLAN_MAX_BYTES = 4 * MAX_RECORD;

/** Earlier output for a record being decoded. */
export interface OutputAccess {
  /** output offset of the record's first byte */
  recordOffset: number;
  /** the container's dedup window (0 = unlimited): copies may reach back at most this far */
  window: number;
  /** earlier output, synchronously (the decoder fetched what sources() named beforehand) */
  readOutput?(offset: number, length: number): Uint8Array;
}

export interface Where {
  offset: number;
  /** the container record index */
  record: number;
  [key: string]: unknown;
}

function whereText(w: Where): string {
  return `record ${w.record} at byte ${w.offset}`;
}

/**
 * The ranges of earlier output a plan payload will read (merged, in order), checked against the record's offset and
 * the container's window. Throws FORMAT for a malformed plan or a range outside [recordOffset − window, recordOffset).
 */
export function planSources(payload: Uint8Array, recordOffset: number, recordLength: number, window: number, w: Where): Array<[number, number]> {
  const where = whereText(w);
  const out: Array<[number, number]> = [];
  let stages;
  try {
    stages = planStages(payload, where);
  } catch (e) {
    if (e instanceof PaniniError) throw e;
    throw new PaniniError('FORMAT', `${where}: dhātu plan is malformed (${(e as Error).message})`, w);
  }
  const low = window === 0 ? 0 : Math.max(0, recordOffset - window);
  for (const s of stages) {
    if (!hasStage(s.id)) continue; // decodePlan reports it (UNSUPPORTED)
    const k = stageKind(s.id);
    if (!k.sources) continue;
    for (const [off, len] of k.sources(s.params, { recordOffset, recordLength, where })) {
      if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || len < 0 || off < 0 || off + len > recordOffset) {
        throw new PaniniError('FORMAT', `${where}: a ${k.name} stage copies output bytes ${off}..${off + len}, not before the record (which starts at ${recordOffset})`, w);
      }
      if (off < low) {
        throw new PaniniError('FORMAT', `${where}: a ${k.name} stage copies output byte ${off}, outside the declared ${window}-byte window (which starts at ${low})`, w);
      }
      if (len > 0) out.push([off, len]);
    }
  }
  out.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[0] + last[1]) last[1] = Math.max(last[1], r[0] + r[1] - last[0]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** Decodes a dhātu payload into exactly `originalLength` bytes. */
export function decodeDhatu(payload: Uint8Array, params: number, originalLength: number, w: Where, out?: OutputAccess): Uint8Array {
  const where = whereText(w);
  checkCoded('dhātu', params, payload.length, originalLength, w);
  const ctx: DecodeContext = {
    recordOffset: out?.recordOffset ?? 0,
    recordLength: originalLength,
    maxBytes: PLAN_MAX_BYTES,
    where,
    ...(out?.readOutput ? { readOutput: out.readOutput } : {}),
  };
  try {
    return decodePlan(payload, ctx);
  } catch (e) {
    if (e instanceof PaniniError) {
      if (e.where) throw e;
      throw new PaniniError(e.code, e.message.startsWith(where) ? e.message : `${where}: ${e.message}`, w, { cause: e });
    }
    throw new PaniniError('FORMAT', `${where}: dhātu plan failed (${(e as Error).message})`, w, { cause: e });
  }
}

/** A synchronous reader over ranges fetched beforehand (sorted, merged, as planSources returns them). */
export function rangeReader(ranges: Array<[number, number]>, bytes: Uint8Array[], w: Where): (offset: number, length: number) => Uint8Array {
  return (offset, length) => {
    const lo = lastAtOrBefore(0, ranges.length - 1, (i) => ranges[i]![0], offset); // the range holding offset
    const r = ranges[lo];
    if (!r || offset < r[0] || offset + length > r[0] + r[1]) {
      throw new PaniniError('FORMAT', `${whereText(w)}: a stage read output bytes ${offset}..${offset + length} it did not declare`, w);
    }
    return bytes[lo]!.subarray(offset - r[0], offset - r[0] + length);
  };
}

/**
 * Codes one record with a dhātu plan: `data` is what is left after the stages in job.pre (or the record itself), the
 * planner picks the rest of the chain by trial. Falls back to store when the plan does not shrink the record (only
 * possible without pre stages: a record that was transformed must be stored as a plan).
 */
export function encodeDhatu(data: Uint8Array, job: DhatuJob, onStep?: (share: number) => void): CodedRecord {
  const recordLength = job.recordLength ?? data.length;
  const level = job.level < 1 ? 1 : job.level;
  const pre = (job.pre ?? []).map((s, i, all) => ({ ...s, streams: i === all.length - 1 ? [data] : [] }));
  // with compare, the record is coded twice: each coding is half of the work
  const twice = pre.length > 0 && job.original !== undefined && job.compare === true;
  const step = onStep && (twice ? (f: number) => onStep(f / 2) : onStep);
  const { payload, stats } = encodePlan(data, { level, ...(job.hint ? { hint: job.hint } : {}), ...(job.planner ? { planner: job.planner } : {}), pre, ...(level <= PFZ_MAX_LEVEL ? { coder: CODER_PFZ } : {}), ...(step ? { onStep: step } : {}) });
  // a record whose pre stages may not pay (REFLATE, or COMM at high levels) is also coded plainly: the smaller wins
  if (pre.length && job.original && (job.compare || payload.length >= recordLength)) {
    if (job.original.length !== recordLength) throw new PaniniError('STATE', `the original of a ${recordLength}-byte record has ${job.original.length} bytes`);
    const { pre: _p, original, compare: _c, ...plainJob } = job;
    onStep?.(0.5);
    const plain = encodeDhatu(original, plainJob, onStep && ((f: number) => onStep(0.5 + f / 2)));
    if (plain.stored.length <= payload.length || payload.length >= recordLength) return plain;
  }
  if (payload.length < recordLength) {
    return { codec: CODEC_DHATU, params: level, stored: payload, storedCrc: crc32(payload), skipped: false, dhatu: { ...stats.byDhatu } };
  }
  if (pre.length === 0) return { codec: 0, params: 0, stored: data, storedCrc: crc32(data), skipped: false };
  throw new PaniniError('STATE', `a transformed record of ${recordLength} bytes did not shrink (plan of ${payload.length} bytes) and its original bytes were not given`);
}
