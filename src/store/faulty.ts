/**
 * FaultyStore: a Store that misbehaves on purpose, for testing what is built on stores (retries, replication, the
 * repository's recovery). It wraps a working store and, drawing from a PRNG seeded by `seed` (so a run repeats
 * exactly for the same sequence of calls), turns operations into:
 * - failures: STORE, like a server's 500, before the inner store is touched;
 * - timeouts: no answer until the operation's signal aborts (then ABORTED), or `hangMs` passes (then STORE);
 * - partial writes: a put that fails after writing nothing visible (the inner store is not touched);
 * - lost acknowledgements: a put that is stored, then reported as failed (STORE);
 * - corrupt reads: get/getRange answers with one bit flipped;
 * - death: after `dieAfter` operations, every operation fails with STORE.
 * `counts` says how many of each were injected, so a test can check that its faults happened.
 */
import { ErrorCode, PaniniError } from '../errors.js';
import { assertStoreKey, assertStorePrefix, type Store, type StoreObjectInfo, type StoreOpOptions } from './types.js';

export interface FaultOptions {
  /** PRNG seed (an integer). */
  seed: number;
  /** Probability that an operation fails with STORE before reaching the inner store. */
  failureRate?: number;
  /** Probability that an operation does not answer (until its signal aborts or hangMs passes). */
  timeoutRate?: number;
  /** How long a hung operation waits when it has no signal, in ms. Default 30 000. */
  hangMs?: number;
  /** Probability that a put fails without storing anything. */
  partialWriteRate?: number;
  /** Probability that a put stores the object and then reports failure. */
  lostAckRate?: number;
  /** Probability that a read answers with one bit flipped. */
  corruptRate?: number;
  /** After this many operations, every operation fails (the store is dead). */
  dieAfter?: number;
  /** Operations faults apply to. Default: all of get, getRange, put, stat, delete, list. */
  ops?: readonly FaultyOp[];
}

export type FaultyOp = 'get' | 'getRange' | 'put' | 'stat' | 'delete' | 'list';

export interface FaultCounts {
  operations: number;
  failure: number;
  timeout: number;
  partialWrite: number;
  lostAck: number;
  corrupt: number;
  dead: number;
}

/** mulberry32: a small PRNG with a 32-bit state, enough to make fault patterns repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultyStore implements Store {
  readonly location: string;
  readonly inner: Store;
  readonly counts: FaultCounts = { operations: 0, failure: 0, timeout: 0, partialWrite: 0, lostAck: 0, corrupt: 0, dead: 0 };
  readonly #o: FaultOptions;
  readonly #random: () => number;
  readonly #ops: Set<FaultyOp>;

  constructor(inner: Store, options: FaultOptions) {
    if (!options || !Number.isSafeInteger(options.seed)) {
      throw new PaniniError(ErrorCode.OPTION, 'FaultyStore: seed must be an integer', { option: 'seed' });
    }
    for (const name of ['failureRate', 'timeoutRate', 'partialWriteRate', 'lostAckRate', 'corruptRate'] as const) {
      const v = options[name];
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) {
        throw new PaniniError(ErrorCode.OPTION, `FaultyStore: ${name} must be a probability from 0 to 1`, { option: name });
      }
    }
    this.inner = inner;
    this.location = inner.location;
    this.#o = options;
    this.#random = prng(options.seed);
    this.#ops = new Set(options.ops ?? ['get', 'getRange', 'put', 'stat', 'delete', 'list']);
  }

  #error(op: string, key: string | undefined, what: string): PaniniError {
    return new PaniniError(ErrorCode.STORE, `${this.location}: ${op}${key ? ` ${key}` : ''} failed: ${what} (injected)`, {
      store: this.location,
      key,
      op,
    });
  }

  #hit(rate: number | undefined): boolean {
    // Always draw, so the pattern depends only on the sequence of calls, not on which rates are set.
    const r = this.#random();
    return rate !== undefined && r < rate;
  }

  /** Decide this operation's fate: throws for a failure, hangs for a timeout; returns the faults left to the caller. */
  async #enter(op: FaultyOp, key: string | undefined, signal: AbortSignal | undefined) {
    if (key !== undefined) assertStoreKey(key);
    this.counts.operations++;
    const n = this.counts.operations;
    const failure = this.#hit(this.#o.failureRate);
    const timeout = this.#hit(this.#o.timeoutRate);
    const partial = this.#hit(this.#o.partialWriteRate);
    const lostAck = this.#hit(this.#o.lostAckRate);
    const corrupt = this.#hit(this.#o.corruptRate);
    const bit = Math.floor(this.#random() * 2 ** 31);
    if (this.#o.dieAfter !== undefined && n > this.#o.dieAfter) {
      this.counts.dead++;
      throw this.#error(op, key, 'the store is down');
    }
    if (!this.#ops.has(op)) return { lostAck: false, corrupt: false, bit };
    if (failure) {
      this.counts.failure++;
      throw this.#error(op, key, 'internal server error');
    }
    if (timeout) {
      this.counts.timeout++;
      await new Promise<void>((resolve, reject) => {
        const stop = () => {
          clearTimeout(timer);
          reject(new PaniniError(ErrorCode.ABORTED, `${this.location}: aborted${key ? ` (${key})` : ''}`, { store: this.location, key }));
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', stop);
          reject(this.#error(op, key, `no answer within ${this.#o.hangMs ?? 30_000} ms`));
        }, this.#o.hangMs ?? 30_000);
        if (signal?.aborted) stop();
        else signal?.addEventListener('abort', stop, { once: true });
        void resolve;
      });
    }
    if (op === 'put' && partial) {
      this.counts.partialWrite++;
      throw this.#error(op, key, 'connection reset during upload');
    }
    return { lostAck: op === 'put' && lostAck, corrupt: (op === 'get' || op === 'getRange') && corrupt, bit };
  }

  #corrupt(data: Uint8Array, bit: number): Uint8Array {
    if (data.length === 0) return data;
    this.counts.corrupt++;
    const out = data.slice();
    const i = bit % (out.length * 8);
    out[i >> 3]! ^= 1 << (i & 7);
    return out;
  }

  async get(key: string, options?: StoreOpOptions): Promise<Uint8Array> {
    const f = await this.#enter('get', key, options?.signal);
    const data = await this.inner.get(key, options);
    return f.corrupt ? this.#corrupt(data, f.bit) : data;
  }

  async getRange(key: string, offset: number, length: number, options?: StoreOpOptions): Promise<Uint8Array> {
    const f = await this.#enter('getRange', key, options?.signal);
    const data = await this.inner.getRange(key, offset, length, options);
    return f.corrupt ? this.#corrupt(data, f.bit) : data;
  }

  async put(key: string, data: Uint8Array, options?: StoreOpOptions): Promise<void> {
    const f = await this.#enter('put', key, options?.signal);
    await this.inner.put(key, data, options);
    if (f.lostAck) {
      this.counts.lostAck++;
      throw this.#error('put', key, 'the acknowledgement was lost');
    }
  }

  async stat(key: string, options?: StoreOpOptions): Promise<StoreObjectInfo | undefined> {
    await this.#enter('stat', key, options?.signal);
    return this.inner.stat(key, options);
  }

  async delete(key: string, options?: StoreOpOptions): Promise<void> {
    await this.#enter('delete', key, options?.signal);
    return this.inner.delete(key, options);
  }

  async *list(prefix: string, options?: StoreOpOptions): AsyncIterable<StoreObjectInfo> {
    assertStorePrefix(prefix);
    await this.#enter('list', undefined, options?.signal);
    yield* this.inner.list(prefix, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
