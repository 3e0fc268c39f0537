// compress/decompress options: validation (unknown keys rejected, every message names the option) and defaults.
import { PaniniError } from '../errors.js';
import { resolveCdcSizes } from '../chunk/options.js';
import { assertBool, assertFunction, assertInt, assertOneOf, optionError, readOptions } from '../validate.js';
import { MAX_RECORD } from './format.js';
import { MATCH_HISTORY_CAP } from '../limits.js';

export type Strategy = 'fixed' | 'cdc' | 'semantic' | 'adaptive';
export const STRATEGIES: readonly Strategy[] = ['fixed', 'cdc', 'semantic', 'adaptive'];

export interface Progress {
  /**
   * input bytes done so far; while compressing, the records written plus the coded share of the records being coded
   * (the dhātu planner reports each trial, so the count moves inside a large record); never decreases
   */
  bytesIn: number;
  /** container bytes produced so far */
  bytesOut: number;
  /** total input bytes when known */
  total?: number;
}

export type CodecName = 'deflate' | 'plz' | 'pfz' | 'dhatu';
export const CODEC_NAMES: readonly CodecName[] = ['deflate', 'plz', 'pfz', 'dhatu'];

export interface CompressOptions {
  /** 0 = store only, 1–9 = the codec's level, 9 the strongest (default 2 for 'dhatu', 6 for the others) */
  level?: number;
  /**
   * how records are coded: 'dhatu' (the default: records are blocks of about `blockSize` bytes, re-expressed by a
   * dhātu plan — long-range copies from earlier output, deflate-stream recompression, typed streams, transforms —
   * then entropy-coded: docs/DHATU.md), 'deflate' (fast, universal, any zlib reads its records), 'plz' (LZ + range
   * coding per chunk: docs/CODEC.md) or 'pfz' (LZ + Huffman per chunk, decodes fast: docs/CODEC.md "fast codec")
   */
  codec?: CodecName;
  /** codec 'dhatu': the target record size, 1–64 MiB (default by level: 4 MiB at 1–3, 8 MiB at 4–6, 16 MiB at 7–9) */
  blockSize?: number;
  /**
   * codec 'dhatu': how each record's chain of stages is chosen — 'trial' (the default): every candidate the level
   * allows is coded on a sample and the smallest kept; 'model': the plan selector (an embedded model,
   * docs/DHATU.md "Plan selector") picks it from the record's features and only its choice is coded, or its two best
   * are tried when it is unsure — less planner time, and on held-back data less of the trials' gain (measured there).
   * Either way the container holds the plan: decoding never needs the model.
   */
  planner?: Planner;
  /**
   * chunking strategy (default 'cdc'): 'fixed' sizes, 'cdc' (FastCDC), 'semantic' (cut at the format's own boundaries:
   * JSON records, CSV rows, tar members, ELF/wasm sections, mails, paragraphs ... docs/GRAMMAR.md; min/avg/maxSize
   * bound the pieces) or 'adaptive' (semantic when the format is recognised, else cdc; and chunks that measure as
   * incompressible are stored without trying)
   */
  strategy?: Strategy;
  /** fixed strategy: chunk size, 64 KiB–1 MiB (default 256 KiB) */
  chunkSize?: number;
  /** cdc/semantic/adaptive: chunk sizes (defaults 16 KiB / 64 KiB / 256 KiB) */
  minSize?: number;
  avgSize?: number;
  maxSize?: number;
  /** dedup window in bytes: 0 = unlimited (default 64 MiB; see FORMAT.md "Dedup window") */
  dedupWindow?: number;
  /** worker threads for coding chunks (default: 1 = in this thread). Output bytes do not depend on it. */
  workers?: number;
  /**
   * a bound on the peak resident memory of the compression, in bytes (default: none): `workers` is lowered until the
   * estimate (compressMemory) fits, and an OPTION error says so when even one thread does not. Output bytes do not
   * depend on it. The CLI passes 512 MiB unless --memory says otherwise.
   */
  memory?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export type Planner = 'model' | 'trial';
export const PLANNERS: readonly Planner[] = ['model', 'trial'];

export interface ResolvedCompressOptions {
  level: number;
  codec: CodecName;
  /** codec 'dhatu': how the planner chooses each record's chain */
  planner: Planner;
  strategy: Strategy;
  chunkSize: number;
  blockSize: number;
  minSize: number;
  avgSize: number;
  maxSize: number;
  bits: number;
  dedupWindow: number;
  /** codec 'dhatu': how many bytes back the long-range matcher (COMM) looks: the dedup window, at most MATCH_HISTORY_CAP, less under a memory bound */
  matchHistory: number;
  workers: number;
  memory: number | undefined;
  onProgress: ((p: Progress) => void) | undefined;
  signal: AbortSignal | undefined;
}

/** The codec when none is named, and its level: the smallest output at ≥ 10 MB/s of compression per core on text,
 *  JSON and JavaScript (docs/DHATU.md "Fast levels"). The other codecs default to level 6. */
export const DEFAULT_CODEC: CodecName = 'dhatu';
export const DEFAULT_DHATU_LEVEL = 2;
export function defaultLevel(codec: CodecName): number {
  return codec === 'dhatu' ? DEFAULT_DHATU_LEVEL : 6;
}

export const DEFAULT_DEDUP_WINDOW = 64 << 20;
/** The dhātu codec's record size when `blockSize` is not given: 4 MiB at levels 1–3, 8 MiB at 4–6, 16 MiB at 7–9. */
export const defaultBlockSize = (level: number): number => (level <= 3 ? 4 << 20 : level <= 6 ? 8 << 20 : 16 << 20);
/** plz codes blocks of at most 16 MiB (src/codec/plz.ts PLZ_MAX_BLOCK) */
export const PLZ_MAX_CHUNK = 1 << 24;
export const MAX_WORKERS = 64;

export function resolveCompressOptions(options: unknown, what = 'compress'): ResolvedCompressOptions {
  const r = readOptions<CompressOptions>(what, options);
  // every key is read here, once: the keys read are the keys accepted (r.done() rejects the others)
  const o: CompressOptions = {
    level: r.get('level'),
    codec: r.get('codec'),
    blockSize: r.get('blockSize'),
    planner: r.get('planner'),
    strategy: r.get('strategy'),
    chunkSize: r.get('chunkSize'),
    minSize: r.get('minSize'),
    avgSize: r.get('avgSize'),
    maxSize: r.get('maxSize'),
    dedupWindow: r.get('dedupWindow'),
    workers: r.get('workers'),
    memory: r.get('memory'),
    onProgress: r.get('onProgress'),
    signal: r.get('signal'),
  };
  r.done();
  // level 0 without a codec stores: CDC chunks kept as they are, deduplicated (the dhātu codec has no store level)
  const codec = o.codec !== undefined ? assertOneOf('codec', o.codec, CODEC_NAMES) : o.level === 0 ? 'deflate' : DEFAULT_CODEC;
  const level = o.level === undefined ? defaultLevel(codec) : assertInt('level', o.level, 0, 9);
  const strategy = o.strategy === undefined ? 'cdc' : assertOneOf('strategy', o.strategy, STRATEGIES);
  if (strategy === 'fixed') {
    for (const k of ['minSize', 'avgSize', 'maxSize'] as const) if (o[k] !== undefined) throw optionError(k, 'applies to strategies "cdc", "semantic" and "adaptive", not "fixed"');
  } else if (o.chunkSize !== undefined) {
    throw optionError('chunkSize', `applies to strategy "fixed", not "${strategy}"`);
  }
  const chunkSize = o.chunkSize === undefined ? 256 << 10 : assertInt('chunkSize', o.chunkSize, 64 << 10, 1 << 20);
  // chunk()'s CDC size rule, a piece being a record (at most MAX_RECORD bytes)
  const { minSize, avgSize, maxSize, bits } = resolveCdcSizes(o, MAX_RECORD);
  if ((codec === 'plz' || codec === 'pfz') && maxSize > PLZ_MAX_CHUNK) throw optionError('maxSize', `(${maxSize}) must not exceed ${PLZ_MAX_CHUNK} with codec "${codec}" (its largest block)`);
  if (o.blockSize !== undefined && codec !== 'dhatu') throw optionError('blockSize', `applies to codec "dhatu", not "${codec}"`);
  const blockSize = o.blockSize === undefined ? defaultBlockSize(level) : assertInt('blockSize', o.blockSize, 1 << 20, MAX_RECORD);
  if (o.planner !== undefined && codec !== 'dhatu') throw optionError('planner', `applies to codec "dhatu", not "${codec}"`);
  const planner = o.planner === undefined ? 'trial' : assertOneOf('planner', o.planner, PLANNERS);
  const dedupWindow = o.dedupWindow === undefined ? DEFAULT_DEDUP_WINDOW : assertInt('dedupWindow', o.dedupWindow, 0, Number.MAX_SAFE_INTEGER);
  let workers = o.workers === undefined ? 1 : assertInt('workers', o.workers, 1, MAX_WORKERS);
  const memory = o.memory === undefined ? undefined : assertInt('memory', o.memory, 1 << 20, Number.MAX_SAFE_INTEGER);
  // the dhātu codec's long-range history: the dedup window, up to MATCH_HISTORY_CAP; under a memory bound, the
  // workers are fitted with at most the default window's history, and what is left of the bound goes to the history
  const wanted = dedupWindow === 0 ? MATCH_HISTORY_CAP : Math.min(dedupWindow, MATCH_HISTORY_CAP);
  let matchHistory = wanted;
  if (memory !== undefined) {
    const base = Math.min(wanted, DEFAULT_DEDUP_WINDOW);
    const m = { codec, level, matchHistory: base };
    while (workers > 1 && compressMemory({ ...m, workers }) > memory) workers--;
    const need = compressMemory({ ...m, workers: 1 });
    if (need > memory) {
      throw optionError('memory', `(${mib(memory)}) is below what codec "${codec}" at level ${level} needs with one thread and a ${mib(base)} history (about ${mib(need)}): raise it${codec === 'deflate' ? '' : ', or use codec "deflate" (about ' + mib(compressMemory({ codec: 'deflate', level, matchHistory: 0, workers: 1 })) + ')'}`);
    }
    const spare = memory - compressMemory({ ...m, workers });
    matchHistory = Math.min(wanted, base + Math.floor(spare / HISTORY_FACTOR / 2 ** 20) * 2 ** 20);
  }
  const onProgress = o.onProgress === undefined ? undefined : assertFunction<(p: Progress) => void>('onProgress', o.onProgress);
  const signal = o.signal === undefined ? undefined : assertSignal(o.signal);
  return { level, codec, planner, strategy, chunkSize, blockSize, minSize, avgSize, maxSize, bits, dedupWindow, matchHistory, workers, memory, onProgress, signal };
}

const mib = (n: number): string => `${Math.ceil(n / 2 ** 20)} MiB`;

/**
 * Peak resident memory of the whole process, in MiB, when it codes in the calling thread (`inline`), and what each
 * further worker thread adds (with w ≥ 2 workers: inline + (w − 1) × perWorker: each worker's isolate, its coders'
 * memory and the records in flight to it), with a 64 MiB long-range history. Measured with the CLI by
 * bench/memory.mjs (Linux x64, Node 20, `--workers 1` and `--workers 2`), the larger of two inputs: the corpus's
 * single files concatenated (87 MB of text, JSON, JS, ELF, wasm, PNG, JAR) and the generated stream; rounded up. The
 * process's own start (~60 MiB) is included.
 */
const MEMORY_MIB: Record<Exclude<CodecName, 'dhatu'>, { inline: number; perWorker: number }> = {
  deflate: { inline: 110, perWorker: 60 },
  pfz: { inline: 110, perWorker: 110 },
  plz: { inline: 110, perWorker: 100 },
};
/** The dhātu codec by level (index 1–9): bigger records and costlier parsers and coders from level 4 up. */
const DHATU_MEMORY_MIB: ReadonlyArray<{ inline: number; perWorker: number }> = [
  MEMORY_MIB.deflate, // level 0 stores
  { inline: 345, perWorker: 165 },
  { inline: 345, perWorker: 165 },
  { inline: 345, perWorker: 165 },
  { inline: 345, perWorker: 235 },
  { inline: 380, perWorker: 275 },
  { inline: 380, perWorker: 275 },
  { inline: 490, perWorker: 335 },
  { inline: 530, perWorker: 520 },
  { inline: 575, perWorker: 520 },
];
/** MiB the dhātu codec's long-range matcher holds per MiB of history (the history and its hash tables). */
const HISTORY_FACTOR = 1.6;

/**
 * The estimated peak resident memory in bytes of compressing with these options (the model the `memory` option
 * fits the workers and the history to; docs/ARCHITECTURE.md "Memory"). It does not depend on the input's size:
 * everything is streamed, and the histories are bounded.
 */
export function compressMemory(o: { codec: CodecName; level: number; matchHistory: number; workers: number }): number {
  const c = o.level === 0 ? MEMORY_MIB.deflate : o.codec === 'dhatu' ? DHATU_MEMORY_MIB[o.level]! : MEMORY_MIB[o.codec];
  let mb = c.inline + (o.workers > 1 ? (o.workers - 1) * c.perWorker : 0);
  if (o.codec === 'dhatu' && o.level > 0) mb += Math.max(0, o.matchHistory - DEFAULT_DEDUP_WINDOW) / 2 ** 20 * HISTORY_FACTOR;
  return Math.ceil(mb) * 2 ** 20;
}

export interface DecompressOptions {
  /** largest output accepted, in bytes (default 2 GiB for decompress; unlimited for streams) */
  maxOutputSize?: number;
  /** streams: the most bytes of earlier chunks kept to resolve dedup references (default 256 MiB) */
  maxWindow?: number;
  /** worker threads for decoding (default 1) */
  workers?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface ResolvedDecompressOptions {
  maxOutputSize: number;
  maxWindow: number;
  workers: number;
  onProgress: ((p: Progress) => void) | undefined;
  signal: AbortSignal | undefined;
}

export const DEFAULT_MAX_OUTPUT = 2 ** 31;
export const DEFAULT_MAX_WINDOW = 256 << 20;

export function resolveDecompressOptions(options: unknown, what: string, defaultMaxOutput: number): ResolvedDecompressOptions {
  const r = readOptions<DecompressOptions>(what, options);
  const maxOutputSize = r.get('maxOutputSize');
  const maxWindow = r.get('maxWindow');
  const workers = r.get('workers');
  const onProgress = r.get('onProgress');
  const signal = r.get('signal');
  r.done();
  return {
    maxOutputSize: maxOutputSize === undefined ? defaultMaxOutput : assertInt('maxOutputSize', maxOutputSize, 0, Number.MAX_SAFE_INTEGER),
    maxWindow: maxWindow === undefined ? DEFAULT_MAX_WINDOW : assertInt('maxWindow', maxWindow, 0, Number.MAX_SAFE_INTEGER),
    workers: workers === undefined ? 1 : assertInt('workers', workers, 1, MAX_WORKERS),
    onProgress: onProgress === undefined ? undefined : assertFunction<(p: Progress) => void>('onProgress', onProgress),
    signal: signal === undefined ? undefined : assertSignal(signal),
  };
}

function assertSignal(v: unknown): AbortSignal {
  if (typeof v !== 'object' || v === null || typeof (v as AbortSignal).aborted !== 'boolean') throw optionError('signal', 'must be an AbortSignal');
  return v as AbortSignal;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PaniniError('ABORTED', 'the operation was aborted', undefined, { cause: signal.reason });
}

/** `p`, or ABORTED as soon as `signal` fires (the work behind `p` is left to whoever can stop it). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new PaniniError('ABORTED', 'the operation was aborted', undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export { assertBool };
