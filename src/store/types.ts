/**
 * The storage interface every backend implements (local directory, memory, S3, Azure Blob, browser storage) and the
 * rules its keys follow. A store is a flat namespace of immutable-by-convention objects addressed by key; the
 * repository layer (src/repo) builds snapshots, packs and indexes on top of it and never sees a backend's own API.
 *
 * Contract, for every backend (test/store-conformance.ts checks it against each real backend):
 * - `put` is atomic: a concurrent or later `get` sees either the whole new object or what was there before, never a
 *   prefix. A failed or aborted put leaves no object under the key (a backend may leave temporary data elsewhere);
 *   over a network, a put whose acknowledgement was lost may have stored the whole object, so callers retry a failed
 *   put with the same bytes (docs/STORES.md).
 * - `get` of a missing key fails with NOT_FOUND; `getRange` returns exactly `length` bytes or fails (NOT_FOUND,
 *   TRUNCATED when the object is shorter than offset + length).
 * - `delete` of a missing key succeeds (deleting is idempotent).
 * - Callers never use a key that is also a folder of other keys (`a/b` next to `a/b/c`): the local backend maps
 *   folders to directories and answers STORE for such a put. Key layouts (docs/REPOSITORY.md) avoid it by design.
 * - `list(prefix)` yields every key that starts with `prefix`, each once, in ascending code-unit order.
 * - Backend failures surface as PaniniError STORE (or AUTH when credentials are refused), with `where.store` (the
 *   store's location) and `where.key`; aborts as ABORTED. No backend error escapes untyped.
 */
import { ErrorCode, PaniniError } from '../errors.js';

export interface StoreObjectInfo {
  key: string;
  size: number;
}

export interface StoreOpOptions {
  signal?: AbortSignal;
  /**
   * get only: the SHA-256 (64 lower-case hex digits) the caller expects of the whole object, for stores that hold
   * several copies (ReplicatedStore skips copies that do not match). Single backends ignore it; the caller still
   * verifies what it reads.
   */
  sha256?: string;
}

export interface Store {
  /** Where the store is, for messages and `where.store`: `local:/srv/repo`, `s3://bucket/prefix`, `memory:`. */
  readonly location: string;
  get(key: string, options?: StoreOpOptions): Promise<Uint8Array>;
  getRange(key: string, offset: number, length: number, options?: StoreOpOptions): Promise<Uint8Array>;
  put(key: string, data: Uint8Array, options?: StoreOpOptions): Promise<void>;
  /** Size of the object, or undefined when there is none. */
  stat(key: string, options?: StoreOpOptions): Promise<StoreObjectInfo | undefined>;
  delete(key: string, options?: StoreOpOptions): Promise<void>;
  list(prefix: string, options?: StoreOpOptions): AsyncIterable<StoreObjectInfo>;
  /** Release connections and handles; the store is not used afterwards. */
  close(): Promise<void>;
}

/** Longest key a store accepts (S3 and Azure allow 1024 bytes; keys are ASCII). */
export const MAX_STORE_KEY = 1024;

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Keys are `/`-separated segments of ASCII letters, digits, `.`, `_` and `-`; a segment does not start with `.` (so
 * no `.`, `..` or hidden names, and backends may keep their own temporary files under dot names), none is empty, and
 * the whole key is at most MAX_STORE_KEY characters. Throws OPTION otherwise.
 */
export function assertStoreKey(key: unknown, what = 'store key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_STORE_KEY) {
    throw new PaniniError(ErrorCode.OPTION, `${what} must be a string of 1 to ${MAX_STORE_KEY} characters`, {
      option: what,
    });
  }
  for (const segment of key.split('/')) {
    if (!SEGMENT.test(segment)) {
      throw new PaniniError(
        ErrorCode.OPTION,
        `${what} ${JSON.stringify(key)}: each '/'-separated segment must be non-empty, made of A-Z a-z 0-9 . _ - and not start with '.'`,
        { option: what, key },
      );
    }
  }
}

/** A list prefix is empty or a key prefix: the same characters, and it may end with '/'. */
export function assertStorePrefix(prefix: unknown): asserts prefix is string {
  if (prefix === '') return;
  if (typeof prefix !== 'string') {
    throw new PaniniError(ErrorCode.OPTION, 'list prefix must be a string', { option: 'prefix' });
  }
  const body = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  // A prefix may end inside a segment ("packs/ab"), so only the completed segments are checked strictly.
  const parts = body.split('/');
  const last = parts.pop() as string;
  if (parts.length > 0) assertStoreKey(parts.join('/'), 'list prefix');
  if (!/^[A-Za-z0-9._-]*$/.test(last) || (last === '' && body !== '') || last.startsWith('.')) {
    throw new PaniniError(ErrorCode.OPTION, `list prefix ${JSON.stringify(prefix)} is not a key prefix`, {
      option: 'prefix',
    });
  }
}

export function assertRange(offset: unknown, length: unknown): void {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new PaniniError(ErrorCode.OPTION, 'range offset must be a non-negative integer', { option: 'offset' });
  }
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new PaniniError(ErrorCode.OPTION, 'range length must be a non-negative integer', { option: 'length' });
  }
}

export function notFound(store: Store | string, key: string): PaniniError {
  const location = typeof store === 'string' ? store : store.location;
  return new PaniniError(ErrorCode.NOT_FOUND, `${location}: no object ${key}`, { store: location, key });
}

export function shortObject(location: string, key: string, size: number, offset: number, length: number): PaniniError {
  return new PaniniError(
    ErrorCode.TRUNCATED,
    `${location}: object ${key} has ${size} bytes, range ${offset}+${length} reaches past its end`,
    { store: location, key, offset },
  );
}

export function checkAborted(signal: AbortSignal | undefined, location: string, key?: string): void {
  if (signal?.aborted) {
    throw new PaniniError(ErrorCode.ABORTED, `${location}: aborted${key ? ` (${key})` : ''}`, {
      store: location,
      key,
    });
  }
}

/** Wrap a backend's own error as STORE (or pass a PaniniError through), naming the store, the operation and the key. */
export function storeFailure(location: string, op: string, key: string | undefined, cause: unknown): PaniniError {
  if (cause instanceof PaniniError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new PaniniError(
    ErrorCode.STORE,
    `${location}: ${op}${key ? ` ${key}` : ''} failed: ${detail}`,
    { store: location, key, op },
    { cause },
  );
}

/** A whole-object get whose body is shorter or longer than the size the backend announced: STORE. */
export function checkBodyLength(location: string, key: string, body: Uint8Array, announced: number | undefined): Uint8Array {
  if (announced !== undefined && body.length !== announced) {
    throw new PaniniError(ErrorCode.STORE, `${location}: get ${key}: received ${body.length} of ${announced} bytes`, { store: location, key, op: 'get' });
  }
  return body;
}

/** A range get that came back with the wrong number of bytes (and not because the object is short): STORE. */
export function wrongRangeLength(location: string, key: string, offset: number, length: number, received: number): PaniniError {
  return new PaniniError(ErrorCode.STORE, `${location}: get ${key} range ${offset}+${length}: received ${received} bytes`, { store: location, key, op: 'get', offset });
}

/**
 * A zero-byte range: HTTP backends cannot ask for one (S3's Range header has no empty form, Azure's count 0 means "to
 * the end"), so the object's existence and size are checked instead and an empty array returned.
 */
export async function emptyRange(store: Store, key: string, offset: number, options?: StoreOpOptions): Promise<Uint8Array> {
  const info = await store.stat(key, options);
  if (!info) throw notFound(store, key);
  if (offset > info.size) throw shortObject(store.location, key, info.size, offset, 0);
  return new Uint8Array(0);
}
