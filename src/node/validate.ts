// validate-reconstruction: the full proof that a container rebuilds an original file or tree bit for bit — sizes,
// whole SHA-256, every chunk's SHA-256 against the original's bytes at the same place, and the first differing
// offset if any. Computed from the original on disk with node:crypto (independent of the wasm core).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PaniniError } from '../errors.js';
import { init } from '../wasm/core.js';
import { crc32 } from '../hash/crc32.js';
import { hex } from '../container/format.js';
import { openContainer } from '../container/read.js';
import { walk } from '../container/walk.js';
import { hex8 } from '../container/format.js';
import { decodeManifest, outputFiles } from '../container/manifest.js';
import { ioError, openFileSource } from './io.js';

export interface ReconstructionReport {
  ok: boolean;
  original: string;
  compressed: string;
  kind: 'stream' | 'file' | 'tree';
  originalSize: number;
  reconstructedSize: number;
  originalSha256: string;
  reconstructedSha256: string;
  chunks: number;
  chunksMatching: number;
  files: number;
  filesMatching: number;
  /** first byte (in the concatenated stream) where the two differ, or null */
  firstDifference: number | null;
  /** file whose bytes differ first, for trees */
  firstDifferentFile: string | null;
  problems: string[];
}

/**
 * A reader of the original's bytes in order, across files for a tree. Each file is read once: its size and SHA-256
 * are taken on the way (`files`, by path) for the per-file check.
 */
class OriginalReader {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private it: AsyncIterator<Uint8Array> | undefined;
  private cur: { path: string; hash: Hash | undefined; crc: number; size: number } | undefined;
  /** each file read: its size and digest in hex (the one its manifest records: SHA-256 in version 1, else CRC32) */
  readonly files = new Map<string, { size: number; digest: string }>();
  constructor(
    private paths: string[],
    private readonly digest: 'sha256' | 'crc32',
  ) {}
  private async next(): Promise<boolean> {
    for (;;) {
      if (!this.it) {
        const p = this.paths.shift();
        if (p === undefined) return false;
        this.it = (createReadStream(p, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
        this.cur = { path: p, hash: this.digest === 'sha256' ? createHash('sha256') : undefined, crc: 0, size: 0 };
      }
      let r: IteratorResult<Uint8Array>;
      try {
        r = await this.it.next();
      } catch (e) {
        throw ioError(e, 'read', this.cur!.path);
      }
      if (!r.done) {
        this.buf = r.value;
        this.pos = 0;
        if (this.cur!.hash) this.cur!.hash.update(r.value);
        else this.cur!.crc = crc32(r.value, this.cur!.crc);
        this.cur!.size += r.value.length;
        return true;
      }
      const c = this.cur!;
      this.files.set(c.path, { size: c.size, digest: c.hash ? c.hash.digest('hex') : hex8(c.crc) });
      this.it = undefined;
    }
  }
  /** Up to n next bytes (fewer at the end). */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let k = 0;
    while (k < n) {
      if (this.pos === this.buf.length && !(await this.next())) break;
      const t = Math.min(n - k, this.buf.length - this.pos);
      out.set(this.buf.subarray(this.pos, this.pos + t), k);
      this.pos += t;
      k += t;
    }
    return k === n ? out : out.subarray(0, k);
  }
}

export async function validateReconstruction(original: string, compressed: string): Promise<ReconstructionReport> {
  await init();
  const src = await openFileSource(compressed);
  try {
    const info = await openContainer(src);
    const manifest = info.manifest ? decodeManifest(info.manifest, info.footer.totalSize) : undefined;
    const st = await fsp.stat(original).catch((e) => {
      throw ioError(e, 'read', original);
    });
    const kind = manifest ? manifest.root : 'stream';
    let paths: string[];
    const fileEntries = manifest ? outputFiles(manifest) : [];
    const problems: string[] = [];
    if (kind === 'tree') {
      if (!st.isDirectory()) throw new PaniniError('OPTION', `${compressed} holds a tree but ${original} is not a directory`, { path: original });
      paths = [];
      for (const e of fileEntries) {
        const p = join(original, ...e.path.split('/'));
        const fst = await fsp.lstat(p).catch(() => undefined);
        if (!fst?.isFile()) problems.push(`missing in original: ${e.path}`);
        else paths.push(p);
      }
    } else {
      if (!st.isFile()) throw new PaniniError('OPTION', `${original} is not a file`, { path: original });
      paths = [original];
    }
    const reader = new OriginalReader([...paths], manifest?.version === 1 ? 'sha256' : 'crc32');
    const origHash = createHash('sha256');
    const recHash = createHash('sha256');
    let chunks = 0;
    let chunksMatching = 0;
    let firstDifference: number | null = null;
    let recSize = 0;
    await walk(src, info, {signal: undefined, onProgress: undefined}, async (chunk, _i, at) => {
      chunks++;
      recSize += chunk.length;
      recHash.update(chunk);
      const o = await reader.read(chunk.length);
      origHash.update(o);
      const same = Buffer.from(o.buffer, o.byteOffset, o.length).equals(chunk);
      if (same) chunksMatching++;
      else if (firstDifference === null) {
        let k = 0;
        while (k < o.length && o[k] === chunk[k]) k++;
        firstDifference = at + k;
      }
    });
    // whatever the original has beyond the reconstruction
    let origSize = recSize;
    for (;;) {
      const more = await reader.read(1 << 20);
      if (more.length === 0) break;
      if (firstDifference === null) firstDifference = origSize;
      origHash.update(more);
      origSize += more.length;
    }
    const originalSha256 = origHash.digest('hex');
    const reconstructedSha256 = recHash.digest('hex');
    if (reconstructedSha256 !== hex(info.end.sha256)) problems.push('reconstruction SHA-256 differs from the container record');
    // per-file check for trees and files
    let filesMatching = 0;
    let firstDifferentFile: string | null = null;
    if (manifest) {
      for (const e of fileEntries) {
        const seen = reader.files.get(kind === 'tree' ? join(original, ...e.path.split('/')) : original);
        if (seen && seen.size === e.size && seen.digest === (e.sha256 ? hex(e.sha256) : hex8(e.crc32!))) filesMatching++;
        else firstDifferentFile ??= e.path;
      }
    }
    const ok = problems.length === 0 && firstDifference === null && origSize === recSize && originalSha256 === reconstructedSha256 && chunksMatching === chunks && filesMatching === fileEntries.length;
    return {
      ok,
      original,
      compressed,
      kind,
      originalSize: kind === 'tree' ? origSize : st.size,
      reconstructedSize: recSize,
      originalSha256,
      reconstructedSha256,
      chunks,
      chunksMatching,
      files: manifest ? fileEntries.length : 1,
      filesMatching: manifest ? filesMatching : ok ? 1 : 0,
      firstDifference,
      firstDifferentFile,
      problems,
    };
  } finally {
    await src.close();
  }
}
