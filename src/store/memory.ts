/** A store in memory: for tests, for the browser when nothing persistent is wanted, and as a cache layer. */
import {
  assertRange,
  assertStoreKey,
  assertStorePrefix,
  checkAborted,
  notFound,
  shortObject,
  type Store,
  type StoreObjectInfo,
  type StoreOpOptions,
} from './types.js';

export class MemoryStore implements Store {
  readonly location: string;
  readonly #objects = new Map<string, Uint8Array>();

  constructor(name = '') {
    this.location = `memory:${name}`;
  }

  async get(key: string, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    checkAborted(options?.signal, this.location, key);
    const data = this.#objects.get(key);
    if (!data) throw notFound(this, key);
    return data.slice();
  }

  async getRange(key: string, offset: number, length: number, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    assertRange(offset, length);
    checkAborted(options?.signal, this.location, key);
    const data = this.#objects.get(key);
    if (!data) throw notFound(this, key);
    if (offset + length > data.length) throw shortObject(this.location, key, data.length, offset, length);
    return data.slice(offset, offset + length);
  }

  async put(key: string, data: Uint8Array, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    checkAborted(options?.signal, this.location, key);
    this.#objects.set(key, Uint8Array.from(data));
  }

  async stat(key: string, options?: StoreOpOptions): Promise<StoreObjectInfo | undefined> {
    assertStoreKey(key);
    checkAborted(options?.signal, this.location, key);
    const data = this.#objects.get(key);
    return data ? { key, size: data.length } : undefined;
  }

  async delete(key: string, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    checkAborted(options?.signal, this.location, key);
    this.#objects.delete(key);
  }

  async *list(prefix: string, options?: StoreOpOptions): AsyncIterable<StoreObjectInfo> {
    assertStorePrefix(prefix);
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      checkAborted(options?.signal, this.location);
      const data = this.#objects.get(key);
      if (data) yield { key, size: data.length };
    }
  }

  async close(): Promise<void> {}
}
