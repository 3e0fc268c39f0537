// Chunk coders: turn one unique chunk into its stored form. The inline coder runs in the calling thread; the worker
// pool (src/workers/pool.ts) runs the same function in worker threads. Both give identical bytes.
import { deflateSync } from 'fflate';
import { crc32 } from '../hash/crc32.js';
import { CODEC_STORE, encodeChunk } from './codecs.js';
import { CODEC_DHATU, type CodedRecord, type DhatuJob, encodeDhatu, type PreStage } from '../dhatu/adapter/record.js';

export type { PreStage };

export interface CodeJob extends DhatuJob {
  /** codec id for coded chunks: CODEC_DEFLATE (the default when absent), CODEC_PLZ, CODEC_PFZ or CODEC_DHATU */
  codec?: number;
  /** adaptive strategy: skip coding effort on chunks that measure as incompressible */
  adaptive: boolean;
}

export type CodedChunk = CodedRecord;

/** The share (0–1) of one chunk's coding done so far, reported while it is coded (dhātu records). */
export type CodeStep = (share: number) => void;

export interface ChunkCoder {
  code(data: Uint8Array, job: CodeJob, onStep?: CodeStep): Promise<CodedChunk>;
  close(): Promise<void>;
  readonly parallelism: number;
}

export const PROBE_BYTES = 16 << 10;
export const PROBE_RATIO = 0.97;

/**
 * The adaptive probe: deflate level 1 on the first 16 KiB; a chunk whose sample does not shrink below 97% is judged
 * incompressible. Deterministic (depends on the bytes only).
 */
export function looksIncompressible(data: Uint8Array): boolean {
  if (data.length < 256) return false;
  const sample = data.length > PROBE_BYTES ? data.subarray(0, PROBE_BYTES) : data;
  return deflateSync(sample, { level: 1, mem: 4 }).length >= sample.length * PROBE_RATIO;
}

/** The coding function shared by the inline coder and the workers. Needs the wasm core (crc32). */
export function codeChunkSync(data: Uint8Array, job: CodeJob, onStep?: CodeStep): CodedChunk {
  if (job.codec === CODEC_DHATU) return encodeDhatu(data, job, onStep);
  if (job.adaptive && job.level > 0 && looksIncompressible(data)) {
    return { codec: CODEC_STORE, params: 0, stored: data, storedCrc: crc32(data), skipped: true };
  }
  const { codec, params, stored } = encodeChunk(data, job.level, job.codec);
  return { codec, params, stored, storedCrc: crc32(stored), skipped: false };
}

export class InlineCoder implements ChunkCoder {
  readonly parallelism = 1;
  code(data: Uint8Array, job: CodeJob, onStep?: CodeStep): Promise<CodedChunk> {
    return Promise.resolve(codeChunkSync(data, job, onStep));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
