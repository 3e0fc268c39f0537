// Browser storage backends: the origin private file system (OPFS) and IndexedDB, for repositories and pipeline
// stores kept in a browser profile. Both follow the Store contract (src/store/types.ts): atomic puts, NOT_FOUND and
// TRUNCATED reads, idempotent deletes, sorted listings, typed errors with where.store and where.key.
//
//   opfs://NAME  one OPFS directory per store; each key is one file whose name is the key with '/' written as '~'
//                (keys never hold '~'); a put writes a dot-named temporary file and moves it into place, so a
//                reader sees the old object or the whole new one and a failed put leaves nothing under the key
//   idb://NAME   one IndexedDB database per store, two object stores in one transaction per put: the bytes and
//                their size (listings read only the sizes)
//   browser://NAME  OPFS where the browser has it (navigator.storage.getDirectory), else IndexedDB
import { ErrorCode, PaniniError } from '../errors.js';
import { assertStoreKey, type Store, type StoreObjectInfo, type StoreOpOptions } from './types.js';

function aborted(signal: AbortSignal | undefined, location: string, key?: string): void {
  if (signal?.aborted) throw new PaniniError(ErrorCode.ABORTED, `${location}: aborted`, { store: location, ...(key ? { key } : {}) }, { cause: signal.reason });
}

/** A DOMException (or anything else) from the browser's storage as a typed error. */
function storeError(e: unknown, location: string, op: string, key?: string): PaniniError {
  if (e instanceof PaniniError) return e;
  const name = (e as { name?: string } | null)?.name ?? '';
  const msg = (e as { message?: string } | null)?.message ?? String(e);
  const where = { store: location, ...(key ? { key } : {}) };
  if (name === 'NotFoundError') return new PaniniError(ErrorCode.NOT_FOUND, `${location}: ${key ?? 'object'} does not exist`, where, { cause: e });
  if (name === 'QuotaExceededError') return new PaniniError(ErrorCode.STORE, `${location}: ${op} ${key ?? ''}: the browser's storage quota is used up (${msg})`, where, { cause: e });
  return new PaniniError(ErrorCode.STORE, `${location}: ${op} ${key ?? ''} failed: ${name ? `${name}: ` : ''}${msg}`, where, { cause: e });
}

function checkRange(location: string, key: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new PaniniError(ErrorCode.OPTION, `${location}: getRange ${key}: offset and length must be non-negative integers`, { store: location, key });
  }
}

function truncated(location: string, key: string, size: number, offset: number, length: number): PaniniError {
  return new PaniniError(ErrorCode.TRUNCATED, `${location}: ${key} holds ${size} bytes, fewer than ${offset} + ${length}`, { store: location, key });
}

function checkName(name: unknown, scheme: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(name) || name.startsWith('.')) {
    throw new PaniniError(ErrorCode.OPTION, `${scheme}://NAME: the name must be 1 to 200 letters, digits, '.', '_' or '-' (not starting with '.'), got ${JSON.stringify(name)}`, { option: 'location' });
  }
  return name;
}

// ------------------------------------------------------------------------------------------------------------ OPFS

interface OpfsFileHandle {
  getFile(): Promise<Blob & { size: number }>;
  createWritable(): Promise<{ write(d: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  move(name: string): Promise<void>;
}
interface OpfsDirHandle {
  getDirectoryHandle(name: string, o?: { create?: boolean }): Promise<OpfsDirHandle>;
  getFileHandle(name: string, o?: { create?: boolean }): Promise<OpfsFileHandle>;
  removeEntry(name: string): Promise<void>;
  entries(): AsyncIterable<[string, { kind: string }]>;
}

/** True where the browser has an origin private file system. */
export function opfsAvailable(): boolean {
  const s = (globalThis as { navigator?: { storage?: { getDirectory?: unknown } } }).navigator?.storage;
  return typeof s?.getDirectory === 'function';
}

/** True where the browser has IndexedDB. */
export function indexedDbAvailable(): boolean {
  return typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'object' && (globalThis as { indexedDB?: unknown }).indexedDB !== null;
}

const fileName = (key: string) => key.replaceAll('/', '~');
const keyOf = (name: string) => name.replaceAll('~', '/');

export class OpfsStore implements Store {
  readonly location: string;
  private dir: Promise<OpfsDirHandle> | undefined;
  private seq = 0;
  constructor(readonly name: string) {
    this.location = `opfs://${checkName(name, 'opfs')}`;
    if (!opfsAvailable()) throw new PaniniError(ErrorCode.UNSUPPORTED, `${this.location}: this browser has no origin private file system (navigator.storage.getDirectory); use idb://${name}`, { store: this.location });
  }

  private root(): Promise<OpfsDirHandle> {
    this.dir ??= (async () => {
      const top = (await (globalThis as unknown as { navigator: { storage: { getDirectory(): Promise<OpfsDirHandle> } } }).navigator.storage.getDirectory()) as OpfsDirHandle;
      const d = await top.getDirectoryHandle('panini-fs', { create: true });
      return d.getDirectoryHandle(this.name, { create: true });
    })().catch((e: unknown) => {
      this.dir = undefined;
      throw storeError(e, this.location, 'open');
    });
    return this.dir;
  }

  private async file(key: string, signal: AbortSignal | undefined) {
    assertStoreKey(key);
    aborted(signal, this.location, key);
    const d = await this.root();
    try {
      return await (await d.getFileHandle(fileName(key))).getFile();
    } catch (e) {
      throw storeError(e, this.location, 'read', key);
    }
  }

  async get(key: string, options: StoreOpOptions = {}): Promise<Uint8Array> {
    const f = await this.file(key, options.signal);
    try {
      return new Uint8Array(await f.arrayBuffer());
    } catch (e) {
      throw storeError(e, this.location, 'read', key);
    }
  }

  async getRange(key: string, offset: number, length: number, options: StoreOpOptions = {}): Promise<Uint8Array> {
    checkRange(this.location, key, offset, length);
    const f = await this.file(key, options.signal);
    if (offset + length > f.size) throw truncated(this.location, key, f.size, offset, length);
    try {
      return new Uint8Array(await f.slice(offset, offset + length).arrayBuffer());
    } catch (e) {
      throw storeError(e, this.location, 'read', key);
    }
  }

  async put(key: string, data: Uint8Array, options: StoreOpOptions = {}): Promise<void> {
    assertStoreKey(key);
    if (!(data instanceof Uint8Array)) throw new PaniniError(ErrorCode.OPTION, `${this.location}: put ${key}: data must be a Uint8Array`, { store: this.location, key });
    aborted(options.signal, this.location, key);
    const d = await this.root();
    const tmp = `.tmp-${Date.now().toString(36)}-${(this.seq++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    let written = false;
    try {
      const h = await d.getFileHandle(tmp, { create: true });
      const w = await h.createWritable();
      try {
        await w.write(data);
        await w.close();
      } catch (e) {
        await w.abort().catch(() => undefined);
        throw e;
      }
      written = true;
      aborted(options.signal, this.location, key);
      // move() onto an existing name replaces it in one step
      await h.move(fileName(key));
    } catch (e) {
      await d.removeEntry(tmp).catch(() => undefined);
      throw storeError(e, this.location, written ? 'rename' : 'write', key);
    }
  }

  async stat(key: string, options: StoreOpOptions = {}): Promise<StoreObjectInfo | undefined> {
    try {
      return { key, size: (await this.file(key, options.signal)).size };
    } catch (e) {
      if (e instanceof PaniniError && e.code === ErrorCode.NOT_FOUND) return undefined;
      throw e;
    }
  }

  async delete(key: string, options: StoreOpOptions = {}): Promise<void> {
    assertStoreKey(key);
    aborted(options.signal, this.location, key);
    const d = await this.root();
    try {
      await d.removeEntry(fileName(key));
    } catch (e) {
      if ((e as { name?: string } | null)?.name === 'NotFoundError') return;
      throw storeError(e, this.location, 'delete', key);
    }
  }

  async *list(prefix: string, options: StoreOpOptions = {}): AsyncIterable<StoreObjectInfo> {
    if (typeof prefix !== 'string') throw new PaniniError(ErrorCode.OPTION, `${this.location}: list: the prefix must be a string`, { store: this.location });
    aborted(options.signal, this.location);
    const d = await this.root();
    const keys: string[] = [];
    try {
      for await (const [name, h] of d.entries()) {
        if (h.kind !== 'file' || name.startsWith('.')) continue;
        const key = keyOf(name);
        if (key.startsWith(prefix)) keys.push(key);
      }
    } catch (e) {
      throw storeError(e, this.location, 'list');
    }
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      aborted(options.signal, this.location);
      const info = await this.stat(key, options);
      if (info) yield info; // deleted since the listing: not there any more
    }
  }

  async close(): Promise<void> {}
}

// ------------------------------------------------------------------------------------------------------- IndexedDB

interface Req<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

const DATA = 'data';
const SIZES = 'sizes';

export class IndexedDbStore implements Store {
  readonly location: string;
  private db: Promise<IDBDatabase> | undefined;
  constructor(readonly name: string) {
    this.location = `idb://${checkName(name, 'idb')}`;
    if (!indexedDbAvailable()) throw new PaniniError(ErrorCode.UNSUPPORTED, `${this.location}: this environment has no IndexedDB`, { store: this.location });
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(`panini-fs:${this.name}`, 1);
      r.onupgradeneeded = () => {
        r.result.createObjectStore(DATA);
        r.result.createObjectStore(SIZES);
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(storeError(r.error, this.location, 'open'));
      r.onblocked = () => reject(new PaniniError(ErrorCode.STORE, `${this.location}: the database is held open elsewhere at an older version`, { store: this.location }));
    }).catch((e: unknown) => {
      this.db = undefined;
      throw e;
    });
    return this.db;
  }

  /** Runs `body` in one transaction; resolves with what it returns once the transaction has committed. */
  private async tx<T>(mode: IDBTransactionMode, op: string, key: string | undefined, body: (t: IDBTransaction) => Promise<T> | T): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      let t: IDBTransaction;
      try {
        t = db.transaction([DATA, SIZES], mode);
      } catch (e) {
        reject(storeError(e, this.location, op, key));
        return;
      }
      let value: T;
      let failed: unknown;
      t.oncomplete = () => (failed === undefined ? resolve(value) : reject(failed));
      t.onerror = () => reject(storeError(t.error, this.location, op, key));
      t.onabort = () => reject(failed ?? storeError(t.error ?? new Error('transaction aborted'), this.location, op, key));
      Promise.resolve()
        .then(() => body(t))
        .then(
          (v) => {
            value = v;
          },
          (e: unknown) => {
            failed = e;
            try {
              t.abort();
            } catch {
              // already finished
            }
          },
        );
    });
  }

  private static req<T>(r: IDBRequest<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (r as unknown as Req<T>).onsuccess = () => resolve(r.result);
      (r as unknown as Req<T>).onerror = () => reject(r.error);
    });
  }

  async get(key: string, options: StoreOpOptions = {}): Promise<Uint8Array> {
    assertStoreKey(key);
    aborted(options.signal, this.location, key);
    const v = await this.tx('readonly', 'read', key, (t) => IndexedDbStore.req(t.objectStore(DATA).get(key)));
    if (v === undefined) throw new PaniniError(ErrorCode.NOT_FOUND, `${this.location}: ${key} does not exist`, { store: this.location, key });
    if (!(v instanceof Uint8Array)) throw new PaniniError(ErrorCode.STORE, `${this.location}: ${key} holds something other than bytes`, { store: this.location, key });
    return v;
  }

  async getRange(key: string, offset: number, length: number, options: StoreOpOptions = {}): Promise<Uint8Array> {
    checkRange(this.location, key, offset, length);
    const v = await this.get(key, options);
    if (offset + length > v.length) throw truncated(this.location, key, v.length, offset, length);
    return v.slice(offset, offset + length);
  }

  async put(key: string, data: Uint8Array, options: StoreOpOptions = {}): Promise<void> {
    assertStoreKey(key);
    if (!(data instanceof Uint8Array)) throw new PaniniError(ErrorCode.OPTION, `${this.location}: put ${key}: data must be a Uint8Array`, { store: this.location, key });
    aborted(options.signal, this.location, key);
    const copy = data.slice(); // a view of a larger buffer is stored as its own bytes only
    await this.tx('readwrite', 'write', key, (t) => {
      t.objectStore(DATA).put(copy, key);
      t.objectStore(SIZES).put(copy.length, key);
    });
  }

  async stat(key: string, options: StoreOpOptions = {}): Promise<StoreObjectInfo | undefined> {
    assertStoreKey(key);
    aborted(options.signal, this.location, key);
    const size = await this.tx('readonly', 'stat', key, (t) => IndexedDbStore.req(t.objectStore(SIZES).get(key)));
    return typeof size === 'number' ? { key, size } : undefined;
  }

  async delete(key: string, options: StoreOpOptions = {}): Promise<void> {
    assertStoreKey(key);
    aborted(options.signal, this.location, key);
    await this.tx('readwrite', 'delete', key, (t) => {
      t.objectStore(DATA).delete(key);
      t.objectStore(SIZES).delete(key);
    });
  }

  async *list(prefix: string, options: StoreOpOptions = {}): AsyncIterable<StoreObjectInfo> {
    if (typeof prefix !== 'string') throw new PaniniError(ErrorCode.OPTION, `${this.location}: list: the prefix must be a string`, { store: this.location });
    aborted(options.signal, this.location);
    // keys are ASCII: every key with the prefix lies in [prefix, prefix + U+FFFF]; IndexedDB orders strings by code unit
    const range = prefix === '' ? undefined : IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    const rows = await this.tx('readonly', 'list', undefined, async (t) => {
      const [keys, sizes] = await Promise.all([IndexedDbStore.req(t.objectStore(SIZES).getAllKeys(range)), IndexedDbStore.req(t.objectStore(SIZES).getAll(range))]);
      return keys.map((k, i) => ({ key: String(k), size: sizes[i] as number }));
    });
    for (const r of rows) {
      aborted(options.signal, this.location);
      yield r;
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }
}

/** The browser's best store named NAME: OPFS where there is one, else IndexedDB. */
export function openBrowserStore(name: string): Store {
  return opfsAvailable() ? new OpfsStore(name) : new IndexedDbStore(name);
}
