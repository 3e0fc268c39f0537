// Node I/O adapters: a random-access Source over a file, a buffered sequential file sink, atomic output files.
import { closeSync, constants, fchmodSync, futimesSync, lstatSync, openSync, promises as fsp, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PaniniError } from '../errors.js';
import type { Source } from '../container/read.js';

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
      const got = await readUpTo(fh, b, offset);
      return got === length ? b : b.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** Small outputs are buffered whole and written with synchronous calls at commit (one thread-pool hop per call
 *  costs more than the write itself when extracting thousands of small files). */
const SMALL = 1 << 20;

/** A sequential writer into a temporary file beside `path`, renamed onto `path` by commit() (never half a file). */
export class AtomicFile {
  private buf: Uint8Array;
  private used = 0;
  private fh: fsp.FileHandle | undefined;
  written = 0;
  private constructor(
    readonly path: string,
    readonly tmp: string,
    private readonly small: boolean,
    sizeHint: number,
  ) {
    this.buf = new Uint8Array(Math.max(small ? 0 : 4096, Math.min(SMALL, sizeHint)));
  }

  static async create(path: string, force: boolean, sizeHint = SMALL + 1): Promise<AtomicFile> {
    if (!force) {
      let exists = false;
      try {
        lstatSync(path);
        exists = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'check', path);
      }
      if (exists) throw new PaniniError('EXISTS', `${path} exists (use --force / { force: true } to overwrite)`, { path });
    }
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.panini-tmp`);
    const f = new AtomicFile(path, tmp, sizeHint <= SMALL, sizeHint);
    if (!f.small) {
      try {
        f.fh = await fsp.open(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o644);
      } catch (e) {
        throw ioError(e, 'create', tmp);
      }
    }
    return f;
  }

  async write(b: Uint8Array): Promise<void> {
    this.written += b.length;
    if (this.small) {
      if (this.used + b.length > this.buf.length) {
        const next = new Uint8Array(Math.max(this.used + b.length, this.buf.length * 2));
        next.set(this.buf.subarray(0, this.used));
        this.buf = next;
      }
      this.buf.set(b, this.used);
      this.used += b.length;
      return;
    }
    if (b.length >= this.buf.length) {
      await this.flush();
      try {
        await this.fh!.write(b);
      } catch (e) {
        throw ioError(e, 'write', this.tmp);
      }
      return;
    }
    if (this.used + b.length > this.buf.length) await this.flush();
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  /** Reads back bytes [pos, pos + length) of what was written so far (IO error when they are not all there). */
  async readAt(pos: number, length: number): Promise<Uint8Array> {
    if (pos < 0 || pos + length > this.written) throw new PaniniError('IO', `cannot read back bytes ${pos}..${pos + length} of ${this.tmp}: ${this.written} written`, { path: this.tmp });
    if (this.small) return this.buf.slice(pos, pos + length);
    await this.flush();
    return readFully(this.fh!, pos, length, this.tmp);
  }

  private async flush(): Promise<void> {
    if (this.used) {
      try {
        await this.fh!.write(this.buf.subarray(0, this.used));
      } catch (e) {
        throw ioError(e, 'write', this.tmp);
      }
      this.used = 0;
    }
  }

  /** Writes what is left, sets mode and times when given, and renames the file into place. */
  async commit(mode?: number, mtimeSeconds?: number): Promise<void> {
    try {
      if (this.small) {
        const fd = openSync(this.tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
        try {
          let k = 0;
          while (k < this.used) k += writeSync(fd, this.buf, k, this.used - k);
          if (mode !== undefined) fchmodSync(fd, mode);
          if (mtimeSeconds !== undefined) futimesSync(fd, mtimeSeconds, mtimeSeconds);
        } finally {
          closeSync(fd);
        }
        renameSync(this.tmp, this.path);
        return;
      }
      await this.flush();
      if (mode !== undefined) await this.fh!.chmod(mode);
      if (mtimeSeconds !== undefined) await this.fh!.utimes(mtimeSeconds, mtimeSeconds);
      await this.fh!.close();
      await fsp.rename(this.tmp, this.path);
    } catch (e) {
      if (this.small) rmSync(this.tmp, { force: true });
      throw ioError(e, 'write', this.path);
    }
  }

  async discard(): Promise<void> {
    if (this.fh) await this.fh.close().catch(() => undefined);
    await fsp.rm(this.tmp, { force: true }).catch(() => undefined);
  }
}

/** Reads exactly `length` bytes at `pos` of an open file (IO error when the file is shorter). */
export async function readFully(fh: fsp.FileHandle, pos: number, length: number, path: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got: number;
  try {
    got = await readUpTo(fh, out, pos);
  } catch (e) {
    throw ioError(e, 'read back', path);
  }
  if (got < length) throw new PaniniError('IO', `${path} ends at byte ${pos + got}, before the ${length} bytes read back from ${pos}`, { path });
  return out;
}

/** Reads into `b` from file offset `pos` until `b` is full or the file ends; returns the bytes read. */
async function readUpTo(fh: fsp.FileHandle, b: Uint8Array, pos: number): Promise<number> {
  let got = 0;
  while (got < b.length) {
    const { bytesRead } = await fh.read(b, got, b.length - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** Reads back parts of files written earlier, keeping the last one open (consecutive reads mostly hit one file). */
export class FileReadBack {
  private open: { path: string; fh: fsp.FileHandle } | undefined;

  async read(path: string, pos: number, length: number): Promise<Uint8Array> {
    if (this.open?.path !== path) {
      await this.close();
      try {
        this.open = { path, fh: await fsp.open(path, 'r') };
      } catch (e) {
        throw ioError(e, 'read back', path);
      }
    }
    return readFully(this.open.fh, pos, length, path);
  }

  async close(): Promise<void> {
    const o = this.open;
    this.open = undefined;
    if (o) await o.fh.close().catch(() => undefined);
  }
}

/** Writes to stdout with its backpressure: resolves once the bytes are handed to the OS or buffered under the mark. */
export function writeStdout(b: Uint8Array): Promise<void> {
  return new Promise((res, rej) => {
    if (process.stdout.write(b, (e) => (e ? rej(ioError(e, 'write', 'stdout')) : undefined))) res();
    else process.stdout.once('drain', res);
  });
}

/** `out` as compressFile / compressTree write it: a file written atomically, or '-' for stdout (streamed). */
export async function openOutput(out: string, force: boolean): Promise<{ tmp?: string; write(b: Uint8Array): Promise<void>; commit(): Promise<void>; discard(): Promise<void> }> {
  if (out !== '-') return AtomicFile.create(out, force);
  return { write: writeStdout, commit: async () => undefined, discard: async () => undefined };
}
