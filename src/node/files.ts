// File helpers for Node: stream a file (or stdin) through the core with bounded memory.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { PaniniError } from '../errors.js';
import { crc32 } from '../hash/crc32.js';
import { createSha256 } from '../hash/sha256.js';
import { init } from '../wasm/core.js';
import { type Chunk, type ChunkOptions, createChunker } from '../chunk/index.js';

const READ_SIZE = 1 << 20;

function open(path: string): Readable {
  return path === '-' ? process.stdin : createReadStream(path, { highWaterMark: READ_SIZE });
}

async function* pieces(path: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const b of open(path)) yield b as Uint8Array;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new PaniniError('IO', `cannot read ${path}: ${err.code ?? ''} ${err.message}`.trim(), { path }, { cause: e });
  }
}

/** SHA-256 and CRC32 of a file (or '-' for stdin), streamed. */
export async function hashFile(path: string): Promise<{ size: number; sha256: Uint8Array; crc32: number }> {
  await init();
  const h = createSha256();
  let crc = 0;
  let size = 0;
  for await (const b of pieces(path)) {
    h.update(b);
    crc = crc32(b, crc);
    size += b.length;
  }
  return { size, sha256: h.digest(), crc32: crc };
}

export interface FileChunk extends Chunk {
  sha256: Uint8Array;
}

/**
 * Chunks a file (or '-' for stdin) and hashes every chunk, holding at most one chunk plus one read in memory.
 * Calls `onChunk` for each chunk in order.
 */
export async function chunkFile(
  path: string,
  options: ChunkOptions | undefined,
  onChunk: (c: FileChunk) => void,
): Promise<{ size: number; chunks: number }> {
  await init();
  const chunker = createChunker(options);
  let hasher = createSha256();
  let count = 0;
  let pending = 0; // offset up to which the current chunk has been hashed
  const emit = (cs: Chunk[], buf: Uint8Array, bufStart: number) => {
    for (const c of cs) {
      const end = c.offset + c.length;
      hasher.update(buf.subarray(Math.max(pending, bufStart) - bufStart, end - bufStart));
      pending = end;
      onChunk({ ...c, sha256: hasher.digest() });
      hasher = createSha256();
      count++;
    }
  };
  let pos = 0;
  for await (const b of pieces(path)) {
    emit(chunker.push(b), b, pos);
    const end = pos + b.length;
    if (end > pending) hasher.update(b.subarray(Math.max(pending, pos) - pos));
    pending = end;
    pos = end;
  }
  // the last chunk's bytes were all hashed already
  for (const c of chunker.flush()) {
    onChunk({ ...c, sha256: hasher.digest() });
    count++;
  }
  return { size: pos, chunks: count };
}
