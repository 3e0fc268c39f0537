// The snapshot repository (docs/REPOSITORY.md) over any Store: init/open with keys, the chunk index, pack writing
// and reading, snapshots and trees, locks, forget, prune, check, copy, diff. Browser-safe: no node: imports; the file
// system walker and restore are in src/node/repo.ts.
import { ErrorCode, PaniniError } from '../errors.js';
import { concatBytes } from '../bytes.js';
import { compress, decompress } from '../container/api.js';
import { init } from '../wasm/core.js';
import { chunk as cdcChunk } from '../chunk/index.js';
import type { Store } from '../store/types.js';
import { ReplicatedStore } from '../store/replicated.js';
import {
  b64,
  checkKdf,
  deriveWrapKey,
  hex,
  hmacHex,
  importAesKey,
  importHmacKey,
  KDF_DEFAULTS,
  open as openSealed,
  randomBytes,
  seal,
  sha256hex,
  unb64,
  utf8,
  type KdfParams,
} from './crypto.js';
import {
  decodeConfig,
  decodeIndex,
  decodeLock,
  decodePackHeader,
  decodeSnapshot,
  decodeTree,
  encodeIndex,
  encodePack,
  encodeSnapshot,
  encodeTree,
  isId,
  jsonBytes,
  parseJson,
  REPO_VERSION,
  type IndexPack,
  type LockDoc,
  type PackEntry,
  type RepoConfig,
  type Snapshot,
  type TreeNode,
} from './format.js';

export type Tier = 'fast' | 'default' | 'max';
export const TIER_LEVEL: Record<Tier, number> = { fast: 1, default: 6, max: 9 };
/** A lock not refreshed for this long is stale and ignored (a crashed process's). */
export const LOCK_STALE_MS = 30 * 60_000;
export const LOCK_REFRESH_MS = 5 * 60_000;

export interface Secret {
  password?: string;
  /** the bytes of a key file, used like a password */
  keyFile?: Uint8Array;
}
export interface InitOptions extends Secret {
  encryption?: 'aes-256-gcm' | 'none';
  tier?: Tier;
  /** uncompressed bytes per pack before it is written (default 16 MiB) */
  packSize?: number;
  /** scrypt cost (default N=2^15 r=8 p=1) */
  kdf?: KdfParams;
  host?: string;
}
export type OpenOptions = Secret;

const KEY_AAD = 'panini-fs repository key v1';

function secretBytes(o: Secret, what: string): Uint8Array {
  if (o.password !== undefined && o.keyFile !== undefined) throw new PaniniError(ErrorCode.OPTION, `${what}: give password or keyFile, not both`, { option: 'password' });
  if (typeof o.password === 'string' && o.password.length > 0) return utf8(o.password);
  if (o.keyFile instanceof Uint8Array && o.keyFile.length > 0) return o.keyFile;
  throw new PaniniError(ErrorCode.OPTION, `${what}: an encrypted repository needs a non-empty password or keyFile`, { option: 'password' });
}

interface Keys {
  enc: CryptoKey;
  idKey: CryptoKey;
  raw: { enc: Uint8Array; id: Uint8Array };
}

export interface KeyInfo {
  id: string;
  created: string;
  host: string;
  current: boolean;
}

async function makeKeyObject(repoId: string, keys: Keys['raw'], secret: Uint8Array, kdf: KdfParams, host: string): Promise<Uint8Array> {
  checkKdf(kdf, 'key');
  const salt = randomBytes(32);
  const wrap = await deriveWrapKey(secret, salt, kdf);
  const inner = jsonBytes({ repository: repoId, encryption: b64(keys.enc), chunkId: b64(keys.id) });
  const data = await seal(wrap, inner, KEY_AAD);
  return jsonBytes({ version: REPO_VERSION, kdf: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, salt: b64(salt), created: new Date().toISOString(), host, data: b64(data) });
}

/** Unwraps a key object with a secret; undefined when the secret is not this key's. */
async function tryKeyObject(bytes: Uint8Array, what: string, repoId: string, secret: Uint8Array): Promise<Keys['raw'] | undefined> {
  const o = parseJson(bytes, what) as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || o.kdf !== 'scrypt') throw new PaniniError(ErrorCode.FORMAT, `${what}: not a scrypt key object`);
  const kdf = { N: o.N as number, r: o.r as number, p: o.p as number };
  checkKdf(kdf, what);
  const wrap = await deriveWrapKey(secret, unb64(o.salt, `${what} salt`), kdf);
  let inner: Uint8Array;
  try {
    inner = await openSealed(wrap, unb64(o.data, `${what} data`), KEY_AAD, () => new PaniniError(ErrorCode.AUTH, 'wrong'));
  } catch {
    return undefined;
  }
  const k = parseJson(inner, what) as Record<string, unknown>;
  if (k.repository !== repoId) throw new PaniniError(ErrorCode.FORMAT, `${what}: belongs to repository ${String(k.repository)}, not ${repoId}`);
  const enc = unb64(k.encryption, `${what} key`);
  const id = unb64(k.chunkId, `${what} key`);
  if (enc.length !== 32 || id.length !== 32) throw new PaniniError(ErrorCode.FORMAT, `${what}: keys are not 32 bytes`);
  return { enc, id };
}

const packKey = (id: string) => `packs/${id.slice(0, 2)}/${id}`;

export interface IndexEntry {
  pack: string;
  offset: number;
  length: number;
}

export interface RepoOpOptions {
  signal?: AbortSignal;
}

function aborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new PaniniError(ErrorCode.ABORTED, `${what}: aborted`);
}

export class Repository {
  /** chunk id → where it is (first index entry wins) */
  readonly index = new Map<string, IndexEntry>();
  /** pack id → stored size and chunks, from the index objects */
  readonly packs = new Map<string, IndexPack>();
  /** index object ids loaded */
  readonly indexObjects = new Set<string>();
  private cache = new Map<string, Uint8Array>();
  private cacheBytes = 0;
  readonly cacheLimit = 128 << 20;

  constructor(
    readonly store: Store,
    readonly config: RepoConfig,
    private readonly keys: Keys | undefined,
    /** id of the key object that opened the repository */
    readonly keyId: string | undefined,
  ) {}

  get location(): string {
    return this.store.location;
  }
  get encrypted(): boolean {
    return this.keys !== undefined;
  }

  /** The id of a chunk's plaintext: HMAC-SHA-256 with the id key, or SHA-256 without encryption. */
  chunkId(data: Uint8Array): Promise<string> {
    return this.keys ? hmacHex(this.keys.idKey, data) : sha256hex(data);
  }

  async sealObject(plain: Uint8Array, kind: string): Promise<Uint8Array> {
    return this.keys ? seal(this.keys.enc, plain, kind) : plain;
  }

  async openObject(stored: Uint8Array, kind: string, key: string): Promise<Uint8Array> {
    if (!this.keys) return stored;
    return openSealed(this.keys.enc, stored, kind, () => new PaniniError(ErrorCode.CHECKSUM, `${this.location}: object ${key} fails authentication (altered, truncated, or not of this repository)`, { store: this.location, key }));
  }

  /** Writes an object named by the SHA-256 of its stored bytes; returns the id. */
  async putObject(prefix: (id: string) => string, plain: Uint8Array, kind: string, signal?: AbortSignal): Promise<{ id: string; size: number }> {
    const stored = await this.sealObject(plain, kind);
    const id = await sha256hex(stored);
    await this.store.put(prefix(id), stored, { signal });
    return { id, size: stored.length };
  }

  async getObject(key: string, kind: string, expectId?: string, signal?: AbortSignal): Promise<Uint8Array> {
    // the expected digest lets a replicated store skip a copy that was altered and read a good one
    const stored = await this.store.get(key, { signal, ...(expectId !== undefined ? { sha256: expectId } : {}) });
    if (expectId !== undefined && (await sha256hex(stored)) !== expectId) {
      throw new PaniniError(ErrorCode.CHECKSUM, `${this.location}: object ${key} does not hash to its name (altered bytes)`, { store: this.location, key });
    }
    return this.openObject(stored, kind, key);
  }

  // ------------------------------------------------------------------------------------------------------- index

  async loadIndex(signal?: AbortSignal): Promise<void> {
    this.index.clear();
    this.packs.clear();
    this.indexObjects.clear();
    for await (const o of this.store.list('index/', { signal })) {
      const id = o.key.slice('index/'.length);
      if (!isId(id)) continue;
      this.addIndex(id, decodeIndex(await this.getObject(o.key, 'index', id, signal), `${this.location}: index/${id}`).packs);
    }
  }

  addIndex(indexId: string | undefined, packs: IndexPack[]): void {
    if (indexId) this.indexObjects.add(indexId);
    for (const p of packs) {
      if (!this.packs.has(p.id)) this.packs.set(p.id, p);
      for (const c of p.chunks) if (!this.index.has(c.id)) this.index.set(c.id, { pack: p.id, offset: c.offset, length: c.length });
    }
  }

  has(chunkId: string): boolean {
    return this.index.has(chunkId);
  }

  // -------------------------------------------------------------------------------------------------- pack reads

  /** A pack's chunk bytes (decrypted, decompressed, checked against its header), cached. */
  async loadPack(packId: string, signal?: AbortSignal): Promise<{ entries: PackEntry[]; payload: Uint8Array }> {
    const key = packKey(packId);
    const hit = this.cache.get(packId);
    let payload: Uint8Array;
    let entries: PackEntry[];
    const plain = await this.getObject(key, 'pack', packId, signal);
    const h = decodePackHeader(plain, `${this.location}: ${key}`);
    entries = h.entries;
    if (hit) payload = hit;
    else {
      try {
        payload = await decompress(h.container, { maxOutputSize: h.payload });
      } catch (e) {
        if (e instanceof PaniniError) throw new PaniniError(e.code, `${this.location}: ${key}: ${e.message}`, { store: this.location, key }, { cause: e });
        throw e;
      }
      if (payload.length !== h.payload) throw new PaniniError(ErrorCode.FORMAT, `${this.location}: ${key} decodes to ${payload.length} bytes, its header lists ${h.payload}`, { store: this.location, key });
      this.cache.set(packId, payload);
      this.cacheBytes += payload.length;
      for (const [k, v] of this.cache) {
        if (this.cacheBytes <= this.cacheLimit || k === packId) break;
        this.cache.delete(k);
        this.cacheBytes -= v.length;
      }
    }
    return { entries, payload };
  }

  private payloadCache = new Map<string, Promise<Uint8Array>>();

  /** Reads one chunk and checks that its bytes have its id. */
  async readChunk(chunkId: string, signal?: AbortSignal): Promise<Uint8Array> {
    const e = this.index.get(chunkId);
    if (!e) throw new PaniniError(ErrorCode.NOT_FOUND, `${this.location}: chunk ${chunkId} is in no index`, { store: this.location, chunkId });
    let payload = this.cache.get(e.pack);
    if (!payload) {
      let p = this.payloadCache.get(e.pack);
      if (!p) {
        p = this.loadPack(e.pack, signal).then((x) => x.payload);
        this.payloadCache.set(e.pack, p);
      }
      try {
        payload = await p;
      } finally {
        this.payloadCache.delete(e.pack);
      }
    }
    if (e.offset + e.length > payload.length) throw new PaniniError(ErrorCode.FORMAT, `${this.location}: index places chunk ${chunkId} at ${e.offset}+${e.length}, pack ${e.pack} holds ${payload.length} bytes`, { store: this.location, key: packKey(e.pack) });
    const data = payload.subarray(e.offset, e.offset + e.length);
    if ((await this.chunkId(data)) !== chunkId) throw new PaniniError(ErrorCode.CHECKSUM, `${this.location}: chunk ${chunkId} in ${packKey(e.pack)} does not match its id`, { store: this.location, key: packKey(e.pack), chunkId });
    return data;
  }

  // --------------------------------------------------------------------------------------------------- snapshots

  async snapshots(signal?: AbortSignal): Promise<Snapshot[]> {
    const out: Snapshot[] = [];
    for await (const o of this.store.list('snapshots/', { signal })) {
      const id = o.key.slice('snapshots/'.length);
      if (!isId(id)) continue;
      out.push(await this.loadSnapshot(id, signal));
    }
    return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
  }

  async loadSnapshot(id: string, signal?: AbortSignal): Promise<Snapshot> {
    const key = `snapshots/${id}`;
    return decodeSnapshot(await this.getObject(key, 'snapshot', id, signal), id, `${this.location}: ${key}`);
  }

  /** An id, a unique id prefix (at least 4 digits), or 'latest' (the newest, optionally of a host). */
  async findSnapshot(ref: string, signal?: AbortSignal): Promise<Snapshot> {
    if (ref === 'latest') {
      const all = await this.snapshots(signal);
      if (all.length === 0) throw new PaniniError(ErrorCode.NOT_FOUND, `${this.location}: the repository has no snapshots`, { store: this.location });
      return all[all.length - 1]!;
    }
    if (!/^[0-9a-f]{4,64}$/.test(ref)) throw new PaniniError(ErrorCode.OPTION, `snapshot ${JSON.stringify(ref)}: give an id, a prefix of at least 4 hex digits, or 'latest'`, { option: 'snapshot' });
    const found: string[] = [];
    for await (const o of this.store.list(`snapshots/${ref}`, { signal })) found.push(o.key.slice('snapshots/'.length));
    if (found.length === 0) throw new PaniniError(ErrorCode.NOT_FOUND, `${this.location}: no snapshot ${ref}`, { store: this.location, snapshot: ref });
    if (found.length > 1) throw new PaniniError(ErrorCode.OPTION, `snapshot prefix ${ref} is ambiguous (${found.length} snapshots)`, { option: 'snapshot' });
    return this.loadSnapshot(found[0]!, signal);
  }

  async loadTree(s: Snapshot, signal?: AbortSignal): Promise<TreeNode[]> {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (const c of s.tree.chunks) {
      const b = await this.readChunk(c, signal);
      size += b.length;
      if (size > s.tree.size) throw new PaniniError(ErrorCode.FORMAT, `snapshot ${s.id}: tree chunks hold more than its ${s.tree.size} bytes`);
      parts.push(b);
    }
    if (size !== s.tree.size) throw new PaniniError(ErrorCode.FORMAT, `snapshot ${s.id}: tree chunks hold ${size} bytes, it declares ${s.tree.size}`);
    const bytes = concatBytes(parts, size);
    if ((await sha256hex(bytes)) !== s.tree.sha256) throw new PaniniError(ErrorCode.CHECKSUM, `snapshot ${s.id}: tree does not match its SHA-256`);
    return decodeTree(bytes, `snapshot ${s.id} tree`);
  }

  // ------------------------------------------------------------------------------------------------------- locks

  async lock(exclusive: boolean, operation: string, host = 'unknown', pid = 0): Promise<Lock> {
    const doc = (): LockDoc => ({ time: Date.now(), host, pid, exclusive, operation });
    let mine = (await this.putObject((id) => `locks/${id}`, jsonBytes(doc()), 'lock')).id;
    try {
      await this.checkLocks(mine, exclusive);
    } catch (e) {
      await this.store.delete(`locks/${mine}`).catch(() => undefined);
      throw e;
    }
    let timer: ReturnType<typeof setInterval> | undefined = setInterval(() => {
      void (async () => {
        const next = (await this.putObject((id) => `locks/${id}`, jsonBytes(doc()), 'lock')).id;
        await this.store.delete(`locks/${mine}`);
        mine = next;
      })().catch(() => undefined);
    }, LOCK_REFRESH_MS);
    (timer as { unref?: () => void }).unref?.();
    return {
      check: () => this.checkLocks(mine, exclusive),
      release: async () => {
        if (timer) clearInterval(timer);
        timer = undefined;
        await this.store.delete(`locks/${mine}`);
      },
    };
  }

  /**
   * Removes stale locks (older than LOCK_STALE_MS: their process died without releasing them), or with `all` every lock
   * — for when the user knows the holders are gone. An unreadable lock object is removed too. Returns what it removed.
   */
  async unlock(options: { all?: boolean; signal?: AbortSignal } = {}): Promise<{ key: string; operation?: string; host?: string; pid?: number; time?: number }[]> {
    const removed: { key: string; operation?: string; host?: string; pid?: number; time?: number }[] = [];
    for await (const o of this.store.list('locks/', { signal: options.signal })) {
      const id = o.key.slice('locks/'.length);
      let l: LockDoc | undefined;
      try {
        l = decodeLock(await this.getObject(o.key, 'lock', isId(id) ? id : undefined, options.signal), `${this.location}: ${o.key}`);
      } catch (e) {
        if (e instanceof PaniniError && e.code === ErrorCode.NOT_FOUND) continue; // released meanwhile
        if (!(e instanceof PaniniError) || e.code === ErrorCode.ABORTED || e.code === ErrorCode.STORE || e.code === ErrorCode.AUTH) throw e;
      }
      if (l && !options.all && Date.now() - l.time <= LOCK_STALE_MS) continue;
      await this.store.delete(o.key, { signal: options.signal });
      removed.push(l ? { key: o.key, operation: l.operation, host: l.host, pid: l.pid, time: l.time } : { key: o.key });
    }
    return removed;
  }

  /** Fails STATE when another live lock conflicts: any other lock for an exclusive one, an exclusive one otherwise. */
  async checkLocks(mine: string, exclusive: boolean): Promise<void> {
    for await (const o of this.store.list('locks/')) {
      const id = o.key.slice('locks/'.length);
      if (id === mine || !isId(id)) continue;
      let l: LockDoc;
      try {
        l = decodeLock(await this.getObject(o.key, 'lock', id), `${this.location}: ${o.key}`);
      } catch (e) {
        if (e instanceof PaniniError && e.code === ErrorCode.NOT_FOUND) continue; // released meanwhile
        throw e;
      }
      if (Date.now() - l.time > LOCK_STALE_MS) continue;
      if (exclusive || l.exclusive) {
        throw new PaniniError(ErrorCode.STATE, `${this.location}: repository is locked by ${l.operation} on ${l.host} (pid ${l.pid}, ${l.exclusive ? 'exclusive' : 'shared'} lock ${o.key}, since ${new Date(l.time).toISOString()})`, { store: this.location, key: o.key });
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------- keys

  async listKeys(): Promise<KeyInfo[]> {
    const out: KeyInfo[] = [];
    for await (const o of this.store.list('keys/')) {
      const id = o.key.slice('keys/'.length);
      const d = parseJson(await this.store.get(o.key), `${this.location}: ${o.key}`) as Record<string, unknown>;
      out.push({ id, created: String(d.created), host: String(d.host), current: id === this.keyId });
    }
    return out;
  }

  async addKey(secret: Secret, kdf: KdfParams = KDF_DEFAULTS, host = 'unknown'): Promise<string> {
    if (!this.keys) throw new PaniniError(ErrorCode.STATE, `${this.location}: an unencrypted repository has no keys`);
    const bytes = await makeKeyObject(this.config.id, this.keys.raw, secretBytes(secret, 'key add'), kdf, host);
    const id = await sha256hex(bytes);
    await this.store.put(`keys/${id}`, bytes);
    return id;
  }

  async removeKey(ref: string): Promise<string> {
    const keys = await this.listKeys();
    const hits = keys.filter((k) => k.id.startsWith(ref));
    if (ref.length < 4 || hits.length === 0) throw new PaniniError(ErrorCode.NOT_FOUND, `${this.location}: no key ${ref}`, { store: this.location });
    if (hits.length > 1) throw new PaniniError(ErrorCode.OPTION, `key prefix ${ref} is ambiguous`, { option: 'key' });
    const k = hits[0]!;
    if (k.current) throw new PaniniError(ErrorCode.STATE, `key ${k.id} opened this repository: open it with another key to remove this one`);
    if (keys.length === 1) throw new PaniniError(ErrorCode.STATE, `key ${k.id} is the repository's last key`);
    await this.store.delete(`keys/${k.id}`);
    return k.id;
  }

  // ------------------------------------------------------------------------------------------------------ writer

  /**
   * `workers`: threads that code a pack's records at once (default 1); `memory`: compress's bound on the peak memory
   * (fewer workers where more would not fit). The pack's bytes depend on neither.
   */
  writer(options: { signal?: AbortSignal; onPack?: (p: IndexPack) => void; workers?: number; memory?: number } = {}): PackWriter {
    return new PackWriter(this, options.signal, options.onPack, options.workers ?? 1, options.memory);
  }
}

export interface Lock {
  check(): Promise<void>;
  release(): Promise<void>;
}


/** Packs written per index object in a long backup: a crash loses at most this many packs' worth of work. */
export const PACKS_PER_INDEX = 8;

/**
 * Collects new chunks into packs of about `packSize` uncompressed bytes; each full pack is compressed (dhātu, the
 * repository's level), sealed and stored, and every PACKS_PER_INDEX packs an index object is written. `finish()`
 * writes the rest and the last index; only then may a snapshot refer to the chunks.
 */
export class PackWriter {
  private pending: { id: string; data: Uint8Array }[] = [];
  private pendingIds = new Set<string>();
  private pendingBytes = 0;
  private unindexed: IndexPack[] = [];
  chunksNew = 0;
  bytesNew = 0;
  packsWritten = 0;
  storedBytes = 0;
  constructor(
    private readonly repo: Repository,
    private readonly signal: AbortSignal | undefined,
    private readonly onPack?: (p: IndexPack) => void,
    private readonly workers = 1,
    private readonly memory: number | undefined = undefined,
  ) {}

  /** Adds a chunk unless the repository or this writer has it; returns its id. */
  async add(data: Uint8Array, knownId?: string): Promise<string> {
    const id = knownId ?? (await this.repo.chunkId(data));
    if (this.repo.has(id) || this.pendingIds.has(id)) return id;
    this.pending.push({ id, data: data.slice() });
    this.pendingIds.add(id);
    this.pendingBytes += data.length;
    this.chunksNew++;
    this.bytesNew += data.length;
    if (this.pendingBytes >= this.repo.config.packSize) await this.flushPack();
    return id;
  }

  private async flushPack(): Promise<void> {
    if (this.pending.length === 0) return;
    aborted(this.signal, 'backup');
    const entries: PackEntry[] = [];
    let off = 0;
    for (const c of this.pending) {
      entries.push({ id: c.id, offset: off, length: c.data.length });
      off += c.data.length;
    }
    const container = await compress(concatBytes(this.pending.map((c) => c.data), off), { codec: 'dhatu', level: this.repo.config.level, workers: this.workers, ...(this.memory !== undefined ? { memory: this.memory } : {}), signal: this.signal });
    const { id, size } = await this.repo.putObject(packKey, encodePack(entries, container), 'pack', this.signal);
    const p: IndexPack = { id, size, chunks: entries };
    this.unindexed.push(p);
    this.repo.addIndex(undefined, [p]);
    this.packsWritten++;
    this.storedBytes += size;
    this.pending = [];
    this.pendingIds.clear();
    this.pendingBytes = 0;
    this.onPack?.(p);
    if (this.unindexed.length >= PACKS_PER_INDEX) await this.flushIndex();
  }

  private async flushIndex(): Promise<void> {
    if (this.unindexed.length === 0) return;
    const { id } = await this.repo.putObject((i) => `index/${i}`, encodeIndex(this.unindexed), 'index', this.signal);
    this.repo.indexObjects.add(id);
    this.unindexed = [];
  }

  async finish(): Promise<void> {
    await this.flushPack();
    await this.flushIndex();
  }
}

// ---------------------------------------------------------------------------------------------- init and open

export async function initRepository(store: Store, options: InitOptions = {}): Promise<Repository> {
  await init();
  const encryption = options.encryption ?? 'aes-256-gcm';
  if (encryption !== 'aes-256-gcm' && encryption !== 'none') throw new PaniniError(ErrorCode.OPTION, `encryption must be "aes-256-gcm" or "none"`, { option: 'encryption' });
  const tier = options.tier ?? 'default';
  if (!(tier in TIER_LEVEL)) throw new PaniniError(ErrorCode.OPTION, `tier must be fast, default or max`, { option: 'tier' });
  const packSize = options.packSize ?? 16 << 20;
  if (await store.stat('config')) throw new PaniniError(ErrorCode.EXISTS, `${store.location}: a repository exists here already`, { store: store.location });
  const secret = encryption === 'none' ? undefined : secretBytes(options, 'init');
  if (encryption === 'none' && (options.password !== undefined || options.keyFile !== undefined)) throw new PaniniError(ErrorCode.OPTION, 'an unencrypted repository takes no password or keyFile', { option: 'password' });
  const config: RepoConfig = {
    version: REPO_VERSION,
    id: hex(randomBytes(32)),
    encryption,
    chunkId: encryption === 'none' ? 'sha256' : 'hmac-sha256',
    chunker: { minSize: 64 << 10, avgSize: 256 << 10, maxSize: 1 << 20 },
    codec: 'dhatu',
    level: TIER_LEVEL[tier],
    packSize,
  };
  const checked = decodeConfig(jsonBytes(config), store.location); // the same rules as open
  let keys: Keys | undefined;
  let keyId: string | undefined;
  if (secret) {
    const raw = { enc: randomBytes(32), id: randomBytes(32) };
    const obj = await makeKeyObject(config.id, raw, secret, options.kdf ?? KDF_DEFAULTS, options.host ?? 'unknown');
    keyId = await sha256hex(obj);
    await store.put(`keys/${keyId}`, obj); // the key first: a config without a key would be a repository no one can open
    keys = { enc: await importAesKey(raw.enc), idKey: await importHmacKey(raw.id), raw };
  }
  await store.put('config', jsonBytes(config));
  return new Repository(store, checked, keys, keyId);
}

export async function openRepository(store: Store, options: OpenOptions = {}): Promise<Repository> {
  await init();
  let cfgBytes: Uint8Array;
  try {
    cfgBytes = await store.get('config');
  } catch (e) {
    if (e instanceof PaniniError && e.code === ErrorCode.NOT_FOUND) throw new PaniniError(ErrorCode.NOT_FOUND, `${store.location}: no repository here (no config object)`, { store: store.location });
    throw e;
  }
  const config = decodeConfig(cfgBytes, store.location);
  const repo = await (async () => {
    if (config.encryption === 'none') {
      for await (const k of store.list('keys/')) throw new PaniniError(ErrorCode.FORMAT, `${store.location}: config says unencrypted but ${k.key} exists (altered config?)`, { store: store.location });
      return new Repository(store, config, undefined, undefined);
    }
    const secret = secretBytes(options, `open ${store.location}`);
    let tried = 0;
    for await (const k of store.list('keys/')) {
      tried++;
      const raw = await tryKeyObject(await store.get(k.key), `${store.location}: ${k.key}`, config.id, secret);
      if (raw) return new Repository(store, config, { enc: await importAesKey(raw.enc), idKey: await importHmacKey(raw.id), raw }, k.key.slice(5));
    }
    throw new PaniniError(ErrorCode.AUTH, tried === 0 ? `${store.location}: the repository has no key objects` : `${store.location}: wrong password or key file (tried ${tried} key${tried > 1 ? 's' : ''})`, { store: store.location });
  })();
  await repo.loadIndex();
  return repo;
}

// ------------------------------------------------------------------------------------------------ tree storing

/** Stores a tree document as chunks (content-defined, so unchanged parts dedup across snapshots). */
export async function storeTree(repo: Repository, w: PackWriter, nodes: TreeNode[]): Promise<Snapshot['tree']> {
  const bytes = encodeTree(nodes);
  const chunks: string[] = [];
  for (const c of cdcChunk(bytes, { strategy: 'cdc', ...repo.config.chunker } as never)) chunks.push(await w.add(bytes.subarray(c.offset, c.offset + c.length)));
  return { chunks, size: bytes.length, sha256: await sha256hex(bytes) };
}

export async function writeSnapshot(repo: Repository, s: Omit<Snapshot, 'id' | 'version'>, signal?: AbortSignal): Promise<Snapshot> {
  const { id } = await repo.putObject((i) => `snapshots/${i}`, encodeSnapshot({ ...s, version: REPO_VERSION }), 'snapshot', signal);
  return { ...s, id, version: REPO_VERSION };
}

// -------------------------------------------------------------------------------------------------------- diff

export interface DiffResult {
  added: string[];
  removed: string[];
  modified: string[];
}

export async function diff(repo: Repository, a: Snapshot, b: Snapshot): Promise<DiffResult> {
  const ta = new Map((await repo.loadTree(a)).map((n) => [n.path, n]));
  const tb = new Map((await repo.loadTree(b)).map((n) => [n.path, n]));
  const out: DiffResult = { added: [], removed: [], modified: [] };
  for (const [p, n] of tb) {
    const o = ta.get(p);
    if (!o) out.added.push(p);
    else if (o.type !== n.type || o.mode !== n.mode || o.sha256 !== n.sha256 || o.target !== n.target || (n.type === 'file' && o.mtime !== n.mtime)) out.modified.push(p);
  }
  for (const p of ta.keys()) if (!tb.has(p)) out.removed.push(p);
  return out;
}

// ------------------------------------------------------------------------------------------------------ forget

export interface ForgetPolicy {
  last?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  /** only snapshots with this tag are considered */
  tag?: string;
  dryRun?: boolean;
}

/**
 * Keeps, per group (host + paths), the newest `last` snapshots and the newest snapshot of each of the newest `daily`
 * days, `weekly` ISO weeks and `monthly` months (UTC); removes the others. Snapshots only: prune frees their data.
 */
export async function forget(repo: Repository, policy: ForgetPolicy): Promise<{ keep: Snapshot[]; remove: Snapshot[] }> {
  for (const k of ['last', 'daily', 'weekly', 'monthly'] as const) {
    const v = policy[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new PaniniError(ErrorCode.OPTION, `keep-${k} must be a non-negative integer`, { option: k });
  }
  if (![policy.last, policy.daily, policy.weekly, policy.monthly].some((v) => v !== undefined)) throw new PaniniError(ErrorCode.OPTION, 'forget needs a policy: keep-last, keep-daily, keep-weekly or keep-monthly', { option: 'last' });
  const all = (await repo.snapshots()).filter((s) => policy.tag === undefined || s.tags.includes(policy.tag));
  const groups = new Map<string, Snapshot[]>();
  for (const s of all) {
    const g = JSON.stringify([s.host, [...s.paths].sort()]);
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  const keep: Snapshot[] = [];
  const remove: Snapshot[] = [];
  const week = (d: Date) => {
    const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    const day = t.getUTCDay() || 7;
    t.setUTCDate(t.getUTCDate() + 4 - day);
    const y = t.getUTCFullYear();
    return `${y}-W${Math.ceil(((t.getTime() - Date.UTC(y, 0, 1)) / 86400000 + 1) / 7)}`;
  };
  for (const list of groups.values()) {
    const newest = [...list].reverse();
    const kept = new Set<string>();
    newest.slice(0, policy.last ?? 0).forEach((s) => kept.add(s.id));
    const bucket = (n: number | undefined, key: (d: Date) => string) => {
      if (!n) return;
      const seen = new Set<string>();
      for (const s of newest) {
        const k = key(new Date(s.time));
        if (seen.has(k)) continue;
        if (seen.size >= n) break;
        seen.add(k);
        kept.add(s.id);
      }
    };
    bucket(policy.daily, (d) => d.toISOString().slice(0, 10));
    bucket(policy.weekly, week);
    bucket(policy.monthly, (d) => d.toISOString().slice(0, 7));
    for (const s of list) (kept.has(s.id) ? keep : remove).push(s);
  }
  if (!policy.dryRun) for (const s of remove) await repo.store.delete(`snapshots/${s.id}`);
  return { keep, remove };
}

// ------------------------------------------------------------------------------------------------------- prune

export interface PruneResult {
  packsDeleted: number;
  packsRepacked: number;
  bytesFreed: number;
  indexesReplaced: number;
  chunksKept: number;
}

/** Every chunk id the snapshots refer to (their trees' chunks and the trees' files' chunks). */
export async function referencedChunks(repo: Repository, snaps: Snapshot[], signal?: AbortSignal): Promise<Map<string, Set<string>>> {
  const used = new Map<string, Set<string>>();
  const mark = (c: string, s: string) => {
    let set = used.get(c);
    if (!set) used.set(c, (set = new Set()));
    set.add(s);
  };
  for (const s of snaps) {
    aborted(signal, 'prune');
    for (const c of s.tree.chunks) mark(c, s.id);
    for (const n of await repo.loadTree(s, signal)) for (const c of n.chunks ?? []) mark(c, s.id);
  }
  return used;
}

/**
 * Removes what no snapshot refers to, under an exclusive lock (so no backup runs meanwhile): packs with no used
 * chunk are deleted; packs with less than `repackBelow` of their bytes used are rewritten with the used chunks only.
 * Order (crash-safe at every step): new packs → new index → old index objects deleted → old packs deleted.
 */
export async function prune(repo: Repository, options: { repackBelow?: number; host?: string; signal?: AbortSignal } = {}): Promise<PruneResult> {
  const repackBelow = options.repackBelow ?? 0.5;
  const lock = await repo.lock(true, 'prune', options.host);
  try {
    await repo.loadIndex(options.signal);
    const snaps = await repo.snapshots(options.signal);
    const used = await referencedChunks(repo, snaps, options.signal);
    const keepPacks: IndexPack[] = [];
    const dropPacks: IndexPack[] = [];
    const repack: IndexPack[] = [];
    for (const p of repo.packs.values()) {
      const total = p.chunks.reduce((a, c) => a + c.length, 0);
      const live = p.chunks.filter((c) => used.has(c.id) && repo.index.get(c.id)?.pack === p.id).reduce((a, c) => a + c.length, 0);
      if (live === 0) dropPacks.push(p);
      else if (live < total * repackBelow) repack.push(p);
      else keepPacks.push(p);
    }
    // packs in the store that no index lists: left by a crashed backup (no live lock can own them now)
    const orphans: string[] = [];
    for await (const o of repo.store.list('packs/')) {
      const id = o.key.slice(o.key.lastIndexOf('/') + 1);
      if (!repo.packs.has(id)) orphans.push(o.key);
    }
    if (dropPacks.length === 0 && repack.length === 0 && orphans.length === 0) return { packsDeleted: 0, packsRepacked: 0, bytesFreed: 0, indexesReplaced: 0, chunksKept: used.size };
    await lock.check();
    // 1. rewrite the live chunks of sparse packs into new packs
    const newPacks: IndexPack[] = [];
    const keptIds = new Set(keepPacks.map((p) => p.id));
    const fresh = new Repository(repo.store, repo.config, (repo as unknown as { keys: Keys | undefined }).keys, repo.keyId);
    fresh.addIndex(undefined, keepPacks);
    const w = fresh.writer({ signal: options.signal, onPack: (p) => newPacks.push(p) });
    for (const p of repack) for (const c of p.chunks) if (used.has(c.id) && !fresh.has(c.id)) await w.add(await repo.readChunk(c.id, options.signal), c.id);
    await w.finish(); // writes the new packs and an index for them
    // 2. one index for every kept pack
    const oldIndexes = [...repo.indexObjects].filter((i) => !fresh.indexObjects.has(i));
    if (keepPacks.length > 0) await fresh.putObject((i) => `index/${i}`, encodeIndex(keepPacks), 'index', options.signal);
    // 3. old index objects, then 4. the packs no index lists any more
    await lock.check();
    for (const i of oldIndexes) await repo.store.delete(`index/${i}`);
    let bytesFreed = 0;
    for (const p of [...dropPacks, ...repack]) {
      if (keptIds.has(p.id)) continue;
      await repo.store.delete(packKey(p.id));
      bytesFreed += p.size;
    }
    for (const k of orphans) {
      const st = await repo.store.stat(k);
      await repo.store.delete(k);
      bytesFreed += st?.size ?? 0;
    }
    await repo.loadIndex(options.signal);
    return { packsDeleted: dropPacks.length + orphans.length, packsRepacked: repack.length, bytesFreed, indexesReplaced: oldIndexes.length, chunksKept: used.size };
  } finally {
    await lock.release();
  }
}

// ------------------------------------------------------------------------------------------------------- check

export interface CheckProblem {
  /** the store key of the object at fault */
  object: string;
  message: string;
  /** ids of the snapshots whose data it affects */
  snapshots: string[];
}
export interface CheckReport {
  ok: boolean;
  snapshots: number;
  packs: number;
  chunks: number;
  packsRead: number;
  problems: CheckProblem[];
  /** with `repair` on a replicated store: the objects copied to the replicas that lacked them or held a bad copy */
  repaired?: { key: string; copiedTo: string[] }[];
}

/** The SHA-256 an object's key names (every object but `config` and `locks/`: docs/REPOSITORY.md "Objects"). */
export function objectDigest(key: string): string | undefined {
  const m = /^(?:keys|index|snapshots|packs\/[0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
  return m?.[1];
}

/**
 * Checks structure: every index and snapshot object decodes and hashes to its name, every tree decodes, every chunk a
 * snapshot needs is indexed, every indexed pack exists with its size. With `readData`, also reads every pack:
 * authenticates, decompresses, and checks every chunk's id against its bytes. Problems name the object and the
 * snapshots it affects.
 */
export async function check(repo: Repository, options: { readData?: boolean; repair?: boolean; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<CheckReport> {
  const problems: CheckProblem[] = [];
  const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));
  let repaired: CheckReport['repaired'];
  if (options.repair) {
    // every replica gets every object again, from a copy that hashes to its name; then the checks below run
    if (!(repo.store instanceof ReplicatedStore)) throw new PaniniError(ErrorCode.OPTION, `${repo.location}: repair needs a replicated repository (its copies are what it repairs from)`, { option: 'repair' });
    repaired = [];
    for (const r of await repo.store.sync('', { signal: options.signal, sha256Of: objectDigest })) {
      if (r.key.startsWith('locks/')) continue;
      if (r.copiedTo.length) repaired.push({ key: r.key, copiedTo: r.copiedTo });
      for (const f of r.failed) problems.push({ object: r.key, message: `repair: ${f.message}`, snapshots: [] });
    }
  }
  try {
    await repo.loadIndex(options.signal);
  } catch (e) {
    problems.push({ object: String((e as PaniniError).where?.key ?? 'index/'), message: msg(e), snapshots: [] });
  }
  const snaps: Snapshot[] = [];
  for await (const o of repo.store.list('snapshots/')) {
    const id = o.key.slice('snapshots/'.length);
    try {
      snaps.push(await repo.loadSnapshot(id, options.signal));
    } catch (e) {
      problems.push({ object: o.key, message: msg(e), snapshots: [id] });
    }
  }
  const users = new Map<string, Set<string>>();
  for (const s of snaps) {
    const mark = (c: string) => {
      let set = users.get(c);
      if (!set) users.set(c, (set = new Set()));
      set.add(s.id);
    };
    s.tree.chunks.forEach(mark);
    try {
      for (const n of await repo.loadTree(s, options.signal)) (n.chunks ?? []).forEach(mark);
    } catch (e) {
      const where = (e as PaniniError).where;
      problems.push({ object: String(where?.key ?? `snapshots/${s.id}`), message: `tree of snapshot ${s.id}: ${msg(e)}`, snapshots: [s.id] });
    }
  }
  const affected = (pack: string) => {
    const out = new Set<string>();
    for (const c of repo.packs.get(pack)?.chunks ?? []) for (const s of users.get(c.id) ?? []) out.add(s);
    return [...out].sort();
  };
  for (const [c, ss] of users) if (!repo.index.has(c)) problems.push({ object: `chunk ${c}`, message: `chunk ${c} is in no index`, snapshots: [...ss].sort() });
  for (const p of repo.packs.values()) {
    const key = packKey(p.id);
    const st = await repo.store.stat(key, { signal: options.signal });
    if (!st) problems.push({ object: key, message: `pack ${key} is missing`, snapshots: affected(p.id) });
    else if (st.size !== p.size) problems.push({ object: key, message: `pack ${key} has ${st.size} bytes, the index says ${p.size}`, snapshots: affected(p.id) });
  }
  let packsRead = 0;
  if (options.readData) {
    let done = 0;
    for (const p of repo.packs.values()) {
      aborted(options.signal, 'check');
      const key = packKey(p.id);
      options.onProgress?.(done++, repo.packs.size);
      if (problems.some((x) => x.object === key)) continue;
      try {
        const { entries, payload } = await repo.loadPack(p.id, options.signal);
        packsRead++;
        const listed = new Map(entries.map((e) => [e.id, e]));
        for (const c of p.chunks) {
          const e = listed.get(c.id);
          if (!e || e.offset !== c.offset || e.length !== c.length) {
            problems.push({ object: key, message: `pack ${key}: its header does not list chunk ${c.id} where the index says`, snapshots: [...(users.get(c.id) ?? [])].sort() });
            continue;
          }
          if ((await repo.chunkId(payload.subarray(e.offset, e.offset + e.length))) !== c.id) problems.push({ object: key, message: `pack ${key}: chunk ${c.id} does not match its id`, snapshots: [...(users.get(c.id) ?? [])].sort() });
        }
      } catch (e) {
        problems.push({ object: key, message: msg(e), snapshots: affected(p.id) });
      }
    }
  }
  return { ok: problems.length === 0, snapshots: snaps.length, packs: repo.packs.size, chunks: repo.index.size, packsRead, problems, ...(repaired ? { repaired } : {}) };
}

// -------------------------------------------------------------------------------------------------------- copy

/**
 * Copies snapshots (default: all) from `src` to `dst`, re-encrypting: chunks are read and verified in `src`, get
 * `dst`'s ids, and are stored only when `dst` lacks them; trees are rewritten with the new ids. A snapshot already
 * copied (a `dst` snapshot whose `original` is its id) is skipped.
 */
export async function copy(src: Repository, dst: Repository, options: { snapshots?: string[]; host?: string; signal?: AbortSignal } = {}): Promise<{ copied: Snapshot[]; skipped: string[] }> {
  const lock = await dst.lock(false, 'copy', options.host);
  try {
    const have = new Set((await dst.snapshots()).map((s) => s.original ?? s.id));
    const wanted = options.snapshots ? await Promise.all(options.snapshots.map((r) => src.findSnapshot(r))) : await src.snapshots();
    const copied: Snapshot[] = [];
    const skipped: string[] = [];
    const w = dst.writer({ signal: options.signal });
    const pending: Omit<Snapshot, 'id' | 'version'>[] = [];
    const map = new Map<string, string>();
    const idOf = async (c: string) => {
      let n = map.get(c);
      if (!n) {
        n = await w.add(await src.readChunk(c, options.signal));
        map.set(c, n);
      }
      return n;
    };
    for (const s of wanted) {
      if (have.has(s.original ?? s.id)) {
        skipped.push(s.id);
        continue;
      }
      const nodes = await src.loadTree(s, options.signal);
      for (const n of nodes) if (n.chunks) n.chunks = await Promise.all(n.chunks.map(idOf));
      const tree = await storeTree(dst, w, nodes);
      pending.push({ time: s.time, host: s.host, tags: s.tags, paths: s.paths, parent: null, tree, summary: s.summary, original: s.original ?? s.id });
    }
    await w.finish(); // data and index before the snapshots that refer to them
    for (const p of pending) copied.push(await writeSnapshot(dst, p, options.signal));
    return { copied, skipped };
  } finally {
    await lock.release();
  }
}
