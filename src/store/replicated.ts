/**
 * ReplicatedStore: one Store over N stores (replicas) that hold the same objects.
 * - put writes to all N at once and is acknowledged when `writeQuorum` (K, default N) have stored the object; the
 *   other writes go on in the background (close() waits for them) and their failures are remembered in `lagging`
 *   for `sync()`. With fewer than K it fails with STORE naming each replica's error; replicas that did store the
 *   object keep it (whole: each replica's put is atomic).
 * - get tries the replicas in order and answers with the first copy; with `sha256` in the options (the caller's
 *   expected digest, hex) a copy that does not match is skipped like a failure, and none matching is CHECKSUM.
 *   NOT_FOUND needs N - K + 1 replicas to say so (any K replicas of an acknowledged put include one of them);
 *   otherwise a missing object behind failed replicas is STORE.
 * - stat and getRange take the first replica that answers; list merges the replicas' sorted listings, each key
 *   once, and tolerates up to K - 1 failed replicas (the rest still hold every acknowledged key).
 * - delete deletes everywhere and needs K replicas to succeed.
 * - repair(key) copies a good copy to the replicas that lack it (or, given the digest, hold a bad one); sync()
 *   repairs every key any replica lists.
 */
import { ErrorCode, PaniniError } from '../errors.js';
import {
  assertRange,
  assertStoreKey,
  assertStorePrefix,
  checkAborted,
  notFound,
  storeFailure,
  type Store,
  type StoreObjectInfo,
  type StoreOpOptions,
} from './types.js';

export interface ReplicatedOptions {
  /** Replicas that must store a put (and succeed a delete) before it is acknowledged: 1 to N. Default N. */
  writeQuorum?: number;
}

export interface RepairReport {
  key: string;
  /** Replicas the object was copied to. */
  copiedTo: string[];
  /** Replicas that could not be read or written (their errors). */
  failed: { location: string; message: string }[];
  /** Whether a good copy was found at all. */
  found: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export class ReplicatedStore implements Store {
  readonly location: string;
  readonly replicas: readonly Store[];
  readonly writeQuorum: number;
  /** Keys whose background write to a replica failed after the put was acknowledged: `sync()` copies them. */
  readonly lagging = new Map<string, Set<Store>>();
  readonly #pending = new Set<Promise<unknown>>();

  constructor(replicas: readonly Store[], options: ReplicatedOptions = {}) {
    if (!Array.isArray(replicas) || replicas.length === 0) {
      throw new PaniniError(ErrorCode.OPTION, 'ReplicatedStore needs at least one replica', { option: 'replicas' });
    }
    const k = options.writeQuorum ?? replicas.length;
    if (!Number.isSafeInteger(k) || k < 1 || k > replicas.length) {
      throw new PaniniError(ErrorCode.OPTION, `writeQuorum must be an integer from 1 to ${replicas.length}`, {
        option: 'writeQuorum',
      });
    }
    this.replicas = [...replicas];
    this.writeQuorum = k;
    this.location = `replicated:[${replicas.map((r) => r.location).join(', ')}]`;
  }

  /** Replicas that must answer NOT_FOUND (or list fully) for the answer to cover every acknowledged object. */
  get #readQuorum(): number {
    return this.replicas.length - this.writeQuorum + 1;
  }

  #summary(errors: { store: Store; error: unknown }[]): string {
    return errors.map(({ store, error }) => `${store.location}: ${error instanceof Error ? error.message : String(error)}`).join('; ');
  }

  async #copy(key: string, want: string | undefined, options?: StoreOpOptions): Promise<{ data: Uint8Array; from: Store }> {
    const errors: { store: Store; error: unknown }[] = [];
    let missing = 0;
    let bad = 0;
    for (const r of this.replicas) {
      checkAborted(options?.signal, this.location, key);
      try {
        const data = await r.get(key, options);
        if (want !== undefined && (await sha256Hex(data)) !== want) {
          bad++;
          errors.push({ store: r, error: new Error('copy does not match the expected SHA-256') });
          continue;
        }
        return { data, from: r };
      } catch (e) {
        if (e instanceof PaniniError && e.code === ErrorCode.ABORTED) throw e;
        if (e instanceof PaniniError && e.code === ErrorCode.NOT_FOUND) missing++;
        else errors.push({ store: r, error: e });
      }
    }
    if (bad > 0 && bad + missing === this.replicas.length) {
      throw new PaniniError(
        ErrorCode.CHECKSUM,
        `${this.location}: no copy of ${key} matches SHA-256 ${want}: ${this.#summary(errors)}`,
        { store: this.location, key },
      );
    }
    if (missing >= this.#readQuorum && bad === 0) throw notFound(this, key);
    throw new PaniniError(
      ErrorCode.STORE,
      `${this.location}: get ${key}: no replica answered with it (${missing} of ${this.replicas.length} have none): ${this.#summary(errors)}`,
      { store: this.location, key, op: 'get' },
    );
  }

  async get(key: string, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    const want = options?.sha256;
    if (want !== undefined && (typeof want !== 'string' || !HEX64.test(want))) {
      throw new PaniniError(ErrorCode.OPTION, 'sha256 must be 64 lower-case hex digits', { option: 'sha256' });
    }
    return (await this.#copy(key, want, options)).data;
  }

  /** The first replica's answer that is not a failure; NOT_FOUND and undefined count with the read quorum. */
  async #first<T>(op: string, key: string, options: StoreOpOptions | undefined, fn: (r: Store) => Promise<T>): Promise<T> {
    const errors: { store: Store; error: unknown }[] = [];
    let missing = 0;
    for (const r of this.replicas) {
      checkAborted(options?.signal, this.location, key);
      try {
        return await fn(r);
      } catch (e) {
        if (e instanceof PaniniError && (e.code === ErrorCode.ABORTED || e.code === ErrorCode.OPTION)) throw e;
        if (e instanceof PaniniError && e.code === ErrorCode.NOT_FOUND) missing++;
        else if (e instanceof PaniniError && e.code === ErrorCode.TRUNCATED) throw e;
        else errors.push({ store: r, error: e });
      }
    }
    if (missing >= this.#readQuorum) throw notFound(this, key);
    throw new PaniniError(
      ErrorCode.STORE,
      `${this.location}: ${op} ${key}: no replica answered: ${this.#summary(errors)}`,
      { store: this.location, key, op },
    );
  }

  async getRange(key: string, offset: number, length: number, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    assertRange(offset, length);
    return this.#first('get', key, options, (r) => r.getRange(key, offset, length, options));
  }

  async stat(key: string, options?: StoreOpOptions): Promise<StoreObjectInfo | undefined> {
    assertStoreKey(key);
    try {
      return await this.#first('stat', key, options, async (r) => {
        const info = await r.stat(key, options);
        if (!info) throw notFound(r, key);
        return info;
      });
    } catch (e) {
      if (e instanceof PaniniError && e.code === ErrorCode.NOT_FOUND) return undefined;
      throw e;
    }
  }

  /** Run `fn` on every replica; resolve when `need` succeeded, reject when that can no longer happen. */
  #quorum(op: string, key: string, need: number, options: StoreOpOptions | undefined, fn: (r: Store) => Promise<void>): Promise<void> {
    checkAborted(options?.signal, this.location, key);
    return new Promise<void>((resolve, reject) => {
      let ok = 0;
      let settled = false;
      let acked = false;
      const errors: { store: Store; error: unknown }[] = [];
      // A put acknowledged without some replicas leaves them lagging, for sync() to fill in.
      const lag = (r: Store) => {
        if (op !== 'put') return;
        let set = this.lagging.get(key);
        if (!set) this.lagging.set(key, (set = new Set()));
        set.add(r);
      };
      for (const r of this.replicas) {
        const p = fn(r).then(
          () => {
            ok++;
            if (!settled && ok >= need) {
              settled = acked = true;
              for (const x of errors) lag(x.store);
              resolve();
            }
          },
          (e: unknown) => {
            errors.push({ store: r, error: e });
            if (acked) lag(r);
            if (!settled && this.replicas.length - errors.length < need) {
              settled = true;
              const aborted = errors.find(({ error }) => error instanceof PaniniError && error.code === ErrorCode.ABORTED);
              if (aborted) return reject(aborted.error);
              const auth = errors.every(({ error }) => error instanceof PaniniError && error.code === ErrorCode.AUTH);
              reject(
                new PaniniError(
                  auth ? ErrorCode.AUTH : ErrorCode.STORE,
                  `${this.location}: ${op} ${key}: ${ok} of ${this.replicas.length} replicas succeeded, ${need} needed: ${this.#summary(errors)}`,
                  { store: this.location, key, op },
                ),
              );
            }
          },
        );
        const tracked = p.finally(() => this.#pending.delete(tracked));
        this.#pending.add(tracked);
      }
    });
  }

  async put(key: string, data: Uint8Array, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    const copy = Uint8Array.from(data);
    return this.#quorum('put', key, this.writeQuorum, options, (r) => r.put(key, copy, options));
  }

  async delete(key: string, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    this.lagging.delete(key);
    return this.#quorum('delete', key, this.writeQuorum, options, (r) => r.delete(key, options));
  }

  async *list(prefix: string, options?: StoreOpOptions): AsyncIterable<StoreObjectInfo> {
    assertStorePrefix(prefix);
    const its = this.replicas.map((r) => ({ r, it: r.list(prefix, options)[Symbol.asyncIterator](), head: undefined as StoreObjectInfo | undefined, done: false }));
    const errors: { store: Store; error: unknown }[] = [];
    const advance = async (x: (typeof its)[number]) => {
      try {
        const step = await x.it.next();
        if (step.done) {
          x.done = true;
          x.head = undefined;
        } else x.head = step.value;
      } catch (e) {
        if (e instanceof PaniniError && (e.code === ErrorCode.ABORTED || e.code === ErrorCode.OPTION)) throw e;
        x.done = true;
        x.head = undefined;
        errors.push({ store: x.r, error: e });
        if (errors.length > this.replicas.length - this.#readQuorum) {
          throw new PaniniError(
            ErrorCode.STORE,
            `${this.location}: list ${prefix}: ${errors.length} of ${this.replicas.length} replicas failed, at most ${
              this.replicas.length - this.#readQuorum
            } may: ${this.#summary(errors)}`,
            { store: this.location, op: 'list' },
          );
        }
      }
    };
    await Promise.all(its.map(advance));
    for (;;) {
      let least: string | undefined;
      for (const x of its) if (x.head && (least === undefined || x.head.key < least)) least = x.head.key;
      if (least === undefined) return;
      const at = its.filter((x) => x.head?.key === least);
      yield at[0]!.head!;
      await Promise.all(at.map(advance));
    }
  }

  /**
   * Copy `key` to every replica that lacks it, from the first good copy (with `sha256`, replicas whose copy does not
   * match are overwritten too). Replicas that fail are reported, not thrown.
   */
  async repair(key: string, options?: StoreOpOptions): Promise<RepairReport> {
    assertStoreKey(key);
    const want = options?.sha256;
    const report: RepairReport = { key, copiedTo: [], failed: [], found: false };
    let good: { data: Uint8Array; from: Store };
    try {
      good = await this.#copy(key, want, options);
    } catch (e) {
      if (e instanceof PaniniError && e.code === ErrorCode.ABORTED) throw e;
      report.failed.push({ location: this.location, message: e instanceof Error ? e.message : String(e) });
      return report;
    }
    report.found = true;
    const digest = want ?? (await sha256Hex(good.data));
    for (const r of this.replicas) {
      if (r === good.from) continue;
      checkAborted(options?.signal, this.location, key);
      try {
        const info = await r.stat(key, options);
        let fine = info !== undefined && info.size === good.data.length;
        if (fine && want !== undefined) fine = (await sha256Hex(await r.get(key, options))) === digest;
        if (fine) continue;
        await r.put(key, good.data, options);
        report.copiedTo.push(r.location);
      } catch (e) {
        if (e instanceof PaniniError && e.code === ErrorCode.ABORTED) throw e;
        report.failed.push({ location: r.location, message: storeFailure(r.location, 'repair', key, e).message });
      }
    }
    if (report.failed.length === 0) this.lagging.delete(key);
    return report;
  }

  /**
   * Repair every key that any replica lists under `prefix` (a replica that cannot list is reported in the result of
   * the keys it may lack). `sha256Of` may give a key's expected digest (content-addressed keys carry it).
   */
  async sync(
    prefix = '',
    options?: StoreOpOptions & { sha256Of?: (key: string) => string | undefined },
  ): Promise<RepairReport[]> {
    assertStorePrefix(prefix);
    const keys = new Set<string>();
    for (const r of this.replicas) {
      try {
        for await (const { key } of r.list(prefix, options)) keys.add(key);
      } catch (e) {
        if (e instanceof PaniniError && e.code === ErrorCode.ABORTED) throw e;
      }
    }
    const out: RepairReport[] = [];
    for (const key of [...keys].sort()) {
      const r = await this.repair(key, { signal: options?.signal, sha256: options?.sha256Of?.(key) });
      if (r.copiedTo.length || r.failed.length) out.push(r);
    }
    return out;
  }

  async close(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
    await Promise.all(this.replicas.map((r) => r.close()));
  }
}
