// Chunking: FastCDC (content-defined, in the wasm core) and fixed-size. Streaming chunkers give exactly the cuts of
// the one-shot call, whatever the sizes of the pieces they are fed.
import { PaniniError } from '../errors.js';
import { assertBytes } from '../validate.js';
import { getCore } from '../wasm/core.js';
import { type ChunkOptions, type ResolvedChunkOptions, resolveChunkOptions } from './options.js';

export type { ChunkOptions, CdcOptions, FixedOptions, ResolvedChunkOptions } from './options.js';
export { resolveChunkOptions, CDC_LIMITS, FIXED_LIMITS } from './options.js';

export interface Chunk {
  /** offset of the chunk's first byte in the whole input */
  offset: number;
  length: number;
}

export interface Chunker {
  /** Feeds the next piece of the input; returns the chunks that it completed, in order. */
  push(data: Uint8Array): Chunk[];
  /** Ends the input; returns the last chunk if bytes are left (none for an empty input). */
  flush(): Chunk[];
  /** bytes fed so far */
  readonly position: number;
  readonly options: Readonly<ResolvedChunkOptions>;
}

class CdcChunker implements Chunker {
  position = 0;
  private start = 0; // offset of the chunk in progress
  private readonly ctx = new Uint8Array(16); // h (u64) and position in chunk (u64), saved between calls
  private done = false;
  private readonly min: bigint;
  private readonly avg: bigint;
  private readonly max: bigint;
  constructor(readonly options: Readonly<Extract<ResolvedChunkOptions, { strategy: 'cdc' }>>) {
    this.min = BigInt(options.minSize);
    this.avg = BigInt(options.avgSize);
    this.max = BigInt(options.maxSize);
    getCore();
  }

  push(data: Uint8Array): Chunk[] {
    assertBytes('data', data);
    if (this.done) throw new PaniniError('STATE', 'this chunker was flushed: create a new one');
    const c = getCore();
    const { mem, window, windowSize, x, cuts, cdcCtx } = c;
    const out: Chunk[] = [];
    mem.set(this.ctx, cdcCtx);
    for (let off = 0; off < data.length; off += windowSize) {
      const n = Math.min(windowSize, data.length - off);
      mem.set(n === data.length ? data : data.subarray(off, off + n), window);
      const k = x.cdcScan(window, n, this.min, this.avg, this.max, this.options.bits);
      const base = this.position;
      for (let i = 0; i < k; i++) {
        const end = base + cuts[i]!;
        out.push({ offset: this.start, length: end - this.start });
        this.start = end;
      }
      this.position += n;
    }
    this.ctx.set(mem.subarray(cdcCtx, cdcCtx + 16));
    return out;
  }

  flush(): Chunk[] {
    if (this.done) throw new PaniniError('STATE', 'this chunker was flushed already');
    this.done = true;
    return this.position > this.start ? [{ offset: this.start, length: this.position - this.start }] : [];
  }
}

class FixedChunker implements Chunker {
  position = 0;
  private start = 0;
  private done = false;
  constructor(readonly options: Readonly<Extract<ResolvedChunkOptions, { strategy: 'fixed' }>>) {}

  push(data: Uint8Array): Chunk[] {
    assertBytes('data', data);
    if (this.done) throw new PaniniError('STATE', 'this chunker was flushed: create a new one');
    this.position += data.length;
    const out: Chunk[] = [];
    const size = this.options.size;
    while (this.position - this.start >= size) {
      out.push({ offset: this.start, length: size });
      this.start += size;
    }
    return out;
  }

  flush(): Chunk[] {
    if (this.done) throw new PaniniError('STATE', 'this chunker was flushed already');
    this.done = true;
    return this.position > this.start ? [{ offset: this.start, length: this.position - this.start }] : [];
  }
}

/** A streaming chunker. Options as for chunk(). Needs `await init()` first. */
export function createChunker(options?: ChunkOptions): Chunker {
  const o = resolveChunkOptions(options, 'chunker');
  return o.strategy === 'cdc' ? new CdcChunker(o) : new FixedChunker(o);
}

/**
 * Cuts `data` into chunks: content-defined (FastCDC, default: avgSize 64 KiB, minSize avgSize/4, maxSize avgSize*4)
 * or fixed-size. Returns the chunks in order; they cover the input exactly (none for an empty input).
 */
export function chunk(data: Uint8Array, options?: ChunkOptions): Chunk[] {
  assertBytes('data', data);
  const c = createChunker(options);
  const out = c.push(data);
  for (const last of c.flush()) out.push(last);
  return out;
}
