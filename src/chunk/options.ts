// Chunking options: validation, defaults and the documented ranges.
import { assertInt, assertOneOf, assertOptions, optionError } from '../validate.js';

export const CDC_LIMITS = {
  minSize: [64, 1 << 26],
  avgSize: [256, 1 << 28],
  maxSize: [256, 2 ** 30],
} as const;
export const FIXED_LIMITS = { size: [64, 2 ** 30] } as const;
export const CDC_DEFAULT_AVG = 64 * 1024;
export const FIXED_DEFAULT_SIZE = 64 * 1024;

export interface CdcOptions {
  strategy: 'cdc';
  minSize?: number;
  avgSize?: number;
  maxSize?: number;
}
export interface FixedOptions {
  strategy: 'fixed';
  size?: number;
}
export type ChunkOptions = CdcOptions | FixedOptions;

export type ResolvedChunkOptions =
  | { strategy: 'cdc'; minSize: number; avgSize: number; maxSize: number; bits: number }
  | { strategy: 'fixed'; size: number };

/**
 * Validates chunking options. Missing CDC sizes derive from the ones given: avgSize defaults to 64 KiB,
 * minSize to avgSize/4, maxSize to avgSize*4. The mask width is round(log2(avgSize)).
 */
export function resolveChunkOptions(options: unknown, what = 'chunk'): ResolvedChunkOptions {
  const strategyOnly = assertOptions<{ strategy: string }>(what, options, ['strategy', 'minSize', 'avgSize', 'maxSize', 'size']);
  const strategy = strategyOnly.strategy === undefined ? 'cdc' : assertOneOf('strategy', strategyOnly.strategy, ['cdc', 'fixed'] as const);
  if (strategy === 'fixed') {
    const o = assertOptions<FixedOptions>(`${what} (strategy "fixed")`, options, ['strategy', 'size']);
    const size = o.size === undefined ? FIXED_DEFAULT_SIZE : assertInt('size', o.size, ...FIXED_LIMITS.size);
    return { strategy, size };
  }
  const o = assertOptions<CdcOptions>(`${what} (strategy "cdc")`, options, ['strategy', 'minSize', 'avgSize', 'maxSize']);
  return { strategy, ...resolveCdcSizes(o) };
}

/**
 * The one CDC size rule, for chunk() and for compress's CDC pieces: avgSize 64 KiB by default, minSize avgSize/4 (at
 * least 64), maxSize avgSize×4, each within CDC_LIMITS, min ≤ avg ≤ max and min < max; `maxPiece` lowers the
 * upper bounds (compress: a piece is a container record, at most MAX_RECORD bytes). The mask width is
 * round(log2(avgSize)).
 */
export function resolveCdcSizes(o: { minSize?: number | undefined; avgSize?: number | undefined; maxSize?: number | undefined }, maxPiece: number = CDC_LIMITS.maxSize[1]): { minSize: number; avgSize: number; maxSize: number; bits: number } {
  const cap = (b: number) => Math.min(b, maxPiece);
  const avgSize = o.avgSize === undefined ? CDC_DEFAULT_AVG : assertInt('avgSize', o.avgSize, CDC_LIMITS.avgSize[0], cap(CDC_LIMITS.avgSize[1]));
  const minSize =
    o.minSize === undefined ? Math.max(CDC_LIMITS.minSize[0], Math.floor(avgSize / 4)) : assertInt('minSize', o.minSize, CDC_LIMITS.minSize[0], cap(CDC_LIMITS.minSize[1]));
  const maxSize =
    o.maxSize === undefined ? cap(Math.min(CDC_LIMITS.maxSize[1], avgSize * 4)) : assertInt('maxSize', o.maxSize, CDC_LIMITS.maxSize[0], cap(CDC_LIMITS.maxSize[1]));
  if (minSize > avgSize) throw optionError('minSize', `(${minSize}) must not exceed avgSize (${avgSize})`);
  if (avgSize > maxSize) throw optionError('avgSize', `(${avgSize}) must not exceed maxSize (${maxSize})`);
  if (minSize >= maxSize) throw optionError('minSize', `(${minSize}) must be less than maxSize (${maxSize})`);
  return { minSize, avgSize, maxSize, bits: Math.round(Math.log2(avgSize)) };
}
