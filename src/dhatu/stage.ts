// The dhātu stage interface: the contract between the plan codec (src/dhatu/plan.ts, container codec id 16) and
// every reversible transform. A plan is a short list of stages; the encoder applies their forward transforms in order
// to a record's bytes, the decoder replays their inverses in reverse order. The decoder needs nothing but the stage
// ids and params stored in the container (no grammar, no model): that is the "universal decoder".
//
//   encode: [record] --stage 1 fwd--> streams --stage 2 fwd--> streams ... --coder stage--> stored streams
//   decode: stored streams --coder inv--> ... --stage 2 inv--> --stage 1 inv--> [record]
//
// Streams are byte arrays. Every stage maps a list of streams to a list of streams; its params (bytes) say how (e.g.
// SPLIT's params give the stream lengths, COMM's params are the copy ops). Inverses run on untrusted input: they MUST
// validate params and stream shapes and throw PaniniError('FORMAT', ...) for anything inconsistent, never allocate
// more than `ctx.maxBytes` in total, and always terminate.
import { PaniniError } from '../errors.js';

/** The primitive a stage belongs to, for `inspect`'s dhātu distribution. */
export type Dhatu = 'ITER' | 'TRANS' | 'COMM' | 'TOKEN' | 'SPLIT' | 'REFLATE' | 'CODER';
export const DHATUS: readonly Dhatu[] = ['ITER', 'TRANS', 'COMM', 'TOKEN', 'SPLIT', 'REFLATE', 'CODER'];

/** What an inverse may use besides its params and streams. */
export interface DecodeContext {
  /** output offset of the record's first byte (COMM copies address earlier output by absolute offset) */
  readonly recordOffset: number;
  /** length of the record's original bytes */
  readonly recordLength: number;
  /**
   * Earlier output: `length` bytes starting at absolute output offset `offset` (offset + length ≤ recordOffset).
   * Throws PaniniError (FORMAT when out of range or outside the container's window, LIMIT when the decoder no longer
   * holds those bytes). Absent when the container offers no earlier output (then a COMM stage is FORMAT).
   */
  readOutput?(offset: number, length: number): Uint8Array;
  /** upper bound on the bytes any single stream may have (hostile-input guard) */
  readonly maxBytes: number;
  /** where, for error messages: "record 12 at byte 34567" */
  readonly where: string;
}

/** The decode side of one stage kind, registered by id in src/dhatu/registry.ts. */
export interface StageKind {
  /** stage id, stored in the plan (u8); ids are never reused */
  readonly id: number;
  readonly name: string;
  readonly dhatu: Dhatu;
  /** inverse transform: the streams this stage produced (in order) → the streams it consumed */
  inverse(params: Uint8Array, streams: Uint8Array[], ctx: DecodeContext): Uint8Array[];
  /** stages that read earlier output (COMM): the ranges they will read, from params alone (see SourcesFn) */
  sources?: SourcesFn;
}

/** The encode side's result for one stage. */
export interface StageResult {
  id: number;
  params: Uint8Array;
  streams: Uint8Array[];
  /** bytes of the record this stage handled (for the dhātu distribution; informational, stored in the plan) */
  handled: number;
}

/** Throws the FORMAT error every inverse uses for malformed params or streams. */
export function planFail(ctx: Pick<DecodeContext, 'where'>, what: string): never {
  throw new PaniniError('FORMAT', `${ctx.where}: ${what}`);
}

// Stage id ranges (u8): 1–15 CODER · 16–47 TRANS/ITER/TOKEN/SPLIT · 48–63 COMM · 64–95 REFLATE · 0 and 96–255 unassigned.

/**
 * Optional on a StageKind: the ranges of earlier output its inverse will read through ctx.readOutput, computed from
 * its params alone (no decoding), as [offset, length] pairs. A random-access decoder fetches them (asynchronously,
 * decoding the records that hold them) before it runs the plan; stages without it read no earlier output.
 */
export type SourcesFn = (params: Uint8Array, ctx: Pick<DecodeContext, 'recordOffset' | 'recordLength' | 'where'>) => Array<[number, number]>;
