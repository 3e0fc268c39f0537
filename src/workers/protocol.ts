// The messages between a worker pool (pool-node.ts, pool-web.ts, both over pool.ts) and its workers
// (worker.ts for Node, worker-web.ts for browsers), and the job handler the workers run. The handler calls the very
// functions the inline paths call (codeChunkSync, decodeVerified), so coding in a worker gives the same bytes.
// Buffers travel as transfers, never as copies: the pool copies a chunk into a fresh ArrayBuffer and transfers it;
// the worker transfers the result back.
import { PaniniError, type ErrorCode, type ErrorWhere } from '../errors.js';
import { codeChunkSync, type CodedChunk, type CodeJob } from '../container/coder.js';
import { decodeVerified } from '../container/verify.js';
import type { RecordHeader } from '../container/format.js';

export interface CodeRequest {
  id: number;
  op: 'code';
  data: Uint8Array;
  /** passed whole (structured clone), so a field added to CodeJob reaches the worker without a protocol change */
  job: CodeJob;
  /** the pool wants progress messages ({ id, progress }) while the chunk is coded */
  progress?: boolean;
}

export interface DecodeRequest {
  id: number;
  op: 'decode';
  rec: RecordHeader;
  stored: Uint8Array;
  frameOffset: number;
  index: number;
}

export type WorkerRequest = CodeRequest | DecodeRequest;

export interface SerializedError {
  code: string;
  message: string;
  where?: ErrorWhere;
  /** a non-PaniniError's name (TypeError, RangeError...) */
  name?: string;
}

export type WorkerReply =
  | { id: number; progress: number }
  | { id: number; ok: true; coded: CodedChunk }
  | { id: number; ok: true; data: Uint8Array }
  | { id: number; ok: false; error: SerializedError };

/** The buffers a message may transfer (SharedArrayBuffers are shared, not transferred). */
export function transferList(...views: Uint8Array[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const v of views) {
    const b = v.buffer;
    if (b instanceof ArrayBuffer && !out.includes(b)) out.push(b);
  }
  return out;
}

/** A copy of `data` in its own ArrayBuffer, ready to transfer (not data.slice(): on a Node Buffer that is a view). */
export function ownCopy(data: Uint8Array): Uint8Array {
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return copy;
}

function serialize(e: unknown): SerializedError {
  if (e instanceof PaniniError) return { code: e.code, message: e.message, ...(e.where ? { where: e.where } : {}) };
  const err = e instanceof Error ? e : new Error(String(e));
  return { code: 'STATE', message: err.message, name: err.name };
}

/**
 * Runs one job in a worker (the wasm core must be loaded). Never throws: failures become error replies. `post`
 * sends the progress messages of a code request that asks for them.
 */
export function handleRequest(req: WorkerRequest, post?: (m: WorkerReply) => void): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  try {
    if (req.op === 'code') {
      const id = req.id;
      const coded = codeChunkSync(req.data, req.job, req.progress && post ? (share) => post({ id, progress: share }) : undefined);
      return { reply: { id: req.id, ok: true, coded }, transfer: transferList(coded.stored) };
    }
    if (req.op === 'decode') {
      const data = decodeVerified(req.rec, req.stored, req.frameOffset, req.index);
      return { reply: { id: req.id, ok: true, data }, transfer: transferList(data) };
    }
    throw new PaniniError('STATE', `unknown worker request ${JSON.stringify((req as { op?: unknown }).op)}`);
  } catch (e) {
    return { reply: { id: (req as { id?: number }).id ?? -1, ok: false, error: serialize(e) }, transfer: [] };
  }
}

/** The PaniniError a failed job rejects with, rebuilt in the calling thread. */
export function revive(e: SerializedError): PaniniError {
  if (e.name !== undefined) return new PaniniError('STATE', `worker job failed with ${e.name}: ${e.message}`);
  return new PaniniError(e.code as ErrorCode, e.message, e.where);
}
