/**
 * A store in a local directory (Node). Each key is a file under the root: `packs/ab/abcd…` → ROOT/packs/ab/abcd….
 * Writes go to ROOT/.tmp/ first, are flushed to disk (fsync), then renamed into place and the directory flushed, so a
 * crash or kill -9 at any point leaves either the complete object or none under its key. Leftover temporary files of
 * a killed writer are removed by `sweepTemporary()` (the repository calls it from `check` and `prune`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ErrorCode, PaniniError } from '../errors.js';
import {
  assertRange,
  assertStoreKey,
  assertStorePrefix,
  checkAborted,
  notFound,
  shortObject,
  storeFailure,
  type Store,
  type StoreObjectInfo,
  type StoreOpOptions,
} from './types.js';

const TEMP = '.tmp';

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export class LocalStore implements Store {
  readonly location: string;
  readonly root: string;

  constructor(root: string) {
    if (typeof root !== 'string' || root === '') {
      throw new PaniniError(ErrorCode.OPTION, 'local store root must be a non-empty path', { option: 'root' });
    }
    this.root = resolve(root);
    this.location = `local:${this.root}`;
  }

  #path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async get(key: string, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    checkAborted(options?.signal, this.location, key);
    const fh = await this.#open(key);
    try {
      const { size } = await fh.stat();
      const out = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        checkAborted(options?.signal, this.location, key);
        const { bytesRead } = await fh.read(out, done, Math.min(size - done, 1 << 24), done);
        if (bytesRead === 0) throw shortObject(this.location, key, done, 0, size);
        done += bytesRead;
      }
      return out;
    } catch (e) {
      throw storeFailure(this.location, 'get', key, e);
    } finally {
      await fh.close();
    }
  }

  async getRange(key: string, offset: number, length: number, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    assertRange(offset, length);
    checkAborted(options?.signal, this.location, key);
    const fh = await this.#open(key);
    try {
      const { size } = await fh.stat();
      if (offset + length > size) throw shortObject(this.location, key, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw shortObject(this.location, key, offset + done, offset, length);
        done += bytesRead;
      }
      return out;
    } catch (e) {
      throw storeFailure(this.location, 'get', key, e);
    } finally {
      await fh.close();
    }
  }

  async #open(key: string) {
    try {
      const fh = await open(this.#path(key), 'r');
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        throw notFound(this, key);
      }
      return fh;
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR' || errno(e) === 'EISDIR') throw notFound(this, key);
      throw storeFailure(this.location, 'get', key, e);
    }
  }

  async put(key: string, data: Uint8Array, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    checkAborted(options?.signal, this.location, key);
    const dest = this.#path(key);
    const tempDir = join(this.root, TEMP);
    const temp = join(tempDir, `${randomBytes(12).toString('hex')}.part`);
    try {
      await mkdir(tempDir, { recursive: true });
      const fh = await open(temp, 'wx', 0o644);
      try {
        let done = 0;
        while (done < data.length) {
          const { bytesWritten } = await fh.write(data, done, data.length - done);
          done += bytesWritten;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      checkAborted(options?.signal, this.location, key);
      const parent = dest.slice(0, dest.lastIndexOf('/'));
      await mkdir(parent, { recursive: true });
      await rename(temp, dest);
      await syncDir(parent);
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw storeFailure(this.location, 'put', key, e);
    }
  }

  async stat(key: string, options?: StoreOpOptions): Promise<StoreObjectInfo | undefined> {
    assertStoreKey(key);
    checkAborted(options?.signal, this.location, key);
    try {
      const s = await stat(this.#path(key));
      return s.isFile() ? { key, size: s.size } : undefined;
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
      throw storeFailure(this.location, 'stat', key, e);
    }
  }

  async delete(key: string, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    checkAborted(options?.signal, this.location, key);
    try {
      await unlink(this.#path(key));
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
      throw storeFailure(this.location, 'delete', key, e);
    }
  }

  async *list(prefix: string, options?: StoreOpOptions): AsyncIterable<StoreObjectInfo> {
    assertStorePrefix(prefix);
    // Walk only the directory the prefix's completed segments name, depth first in sorted order, so the keys come
    // out in ascending order without collecting the whole store.
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut);
    yield* this.#walk(base, prefix, options?.signal);
  }

  async *#walk(dirKey: string, prefix: string, signal: AbortSignal | undefined): AsyncIterable<StoreObjectInfo> {
    checkAborted(signal, this.location);
    const dir = dirKey === '' ? this.root : this.#path(dirKey);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
      throw storeFailure(this.location, 'list', dirKey || undefined, e);
    }
    // A directory "a" sorts its children "a/…" after "a" itself and before "a.b" only when compared with the '/',
    // so order by the key each entry stands for.
    const named = entries
      .filter((d) => !d.name.startsWith('.'))
      .map((d) => ({ d, key: dirKey === '' ? d.name : `${dirKey}/${d.name}` }))
      .sort((x, y) => {
        const a = x.d.isDirectory() ? `${x.key}/` : x.key;
        const b = y.d.isDirectory() ? `${y.key}/` : y.key;
        return a < b ? -1 : a > b ? 1 : 0;
      });
    for (const { d, key } of named) {
      if (d.isDirectory()) {
        const asDir = `${key}/`;
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) yield* this.#walk(key, prefix, signal);
      } else if (d.isFile() && key.startsWith(prefix)) {
        const s = await stat(join(dir, d.name)).catch(() => undefined);
        if (s) yield { key, size: s.size };
      }
    }
  }

  /** Remove temporary files of writers that died more than `olderThanMs` ago; returns how many were removed. */
  async sweepTemporary(olderThanMs = 60 * 60 * 1000): Promise<number> {
    const tempDir = join(this.root, TEMP);
    let names: string[];
    try {
      names = await readdir(tempDir);
    } catch (e) {
      if (errno(e) === 'ENOENT') return 0;
      throw storeFailure(this.location, 'sweep', undefined, e);
    }
    let removed = 0;
    const now = Date.now();
    for (const name of names) {
      const p = join(tempDir, name);
      const s = await stat(p).catch(() => undefined);
      if (s && now - s.mtimeMs >= olderThanMs) {
        await rm(p, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}
}

async function syncDir(dir: string): Promise<void> {
  // Flushing a directory makes the rename durable; not every platform allows opening a directory (Windows), so a
  // failure to open it is not an error.
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync().catch(() => {});
  } finally {
    await fh.close();
  }
}
