// Node I/O adapters: a random-access Source over a file, a buffered sequential file sink, atomic output files.
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PaniniError } from '../errors.js';
import type { Source } from '../container/decoder.js';

export function ioError(e: unknown, what: string, path: string): PaniniError {
  if (e instanceof PaniniError) return e;
  const err = e as NodeJS.ErrnoException;
  const msg = err.code && !String(err.message).includes(err.code) ? `${err.code} ${err.message}` : String(err.message);
  return new PaniniError('IO', `cannot ${what} ${path}: ${msg}`, { path }, { cause: e });
}

export interface FileSource extends Source {
  close(): Promise<void>;
}

export async function openFileSource(path: string): Promise<FileSource> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw ioError(e, 'open', path);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new PaniniError('IO', `${path} is not a regular file`, { path });
  }
  return {
    size: st.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const b = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(b, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? b : b.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** A sequential writer into a temporary file beside `path`, renamed onto `path` by commit() (never half a file). */
export class AtomicFile {
  private buf: Uint8Array;
  private used = 0;
  private constructor(
    readonly path: string,
    readonly tmp: string,
    private fh: fsp.FileHandle,
    sizeHint: number,
  ) {
    // buffer at most 1 MiB, and no more than the file is expected to need (extracting many small files)
    this.buf = new Uint8Array(Math.max(4096, Math.min(1 << 20, sizeHint)));
  }
  written = 0;

  static async create(path: string, force: boolean, sizeHint = 1 << 20): Promise<AtomicFile> {
    if (!force) {
      try {
        await fsp.lstat(path);
        throw new PaniniError('EXISTS', `${path} exists (use --force / { force: true } to overwrite)`, { path });
      } catch (e) {
        if (e instanceof PaniniError) throw e;
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'check', path);
      }
    }
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.panini-tmp`);
    try {
      const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      return new AtomicFile(path, tmp, fh, sizeHint);
    } catch (e) {
      throw ioError(e, 'create', tmp);
    }
  }

  async write(b: Uint8Array): Promise<void> {
    this.written += b.length;
    if (b.length >= this.buf.length) {
      await this.flush();
      try {
        await this.fh.write(b);
      } catch (e) {
        throw ioError(e, 'write', this.tmp);
      }
      return;
    }
    if (this.used + b.length > this.buf.length) await this.flush();
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  private async flush(): Promise<void> {
    if (this.used) {
      try {
        await this.fh.write(this.buf.subarray(0, this.used));
      } catch (e) {
        throw ioError(e, 'write', this.tmp);
      }
      this.used = 0;
    }
  }

  async commit(mode?: number): Promise<void> {
    await this.flush();
    try {
      if (mode !== undefined) await this.fh.chmod(mode);
      await this.fh.close();
      await fsp.rename(this.tmp, this.path);
    } catch (e) {
      throw ioError(e, 'write', this.path);
    }
  }

  async discard(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await fsp.rm(this.tmp, { force: true }).catch(() => undefined);
  }
}
