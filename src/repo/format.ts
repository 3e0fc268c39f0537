// The repository's object formats (docs/REPOSITORY.md): pack plaintext, index, snapshot and tree documents, each
// decoded with every field checked, so a hostile repository yields typed errors (FORMAT, PATH, LIMIT) and nothing else.
import { ErrorCode, PaniniError } from '../errors.js';
import { checkPath } from '../container/manifest.js';
import { fromUtf8, utf8 } from './crypto.js';

export const REPO_VERSION = 1;
export const PACK_MAGIC = 'PNFSPAK1';
/** Largest chunk the chunker makes (and a decoder accepts). */
export const MAX_CHUNK = 1 << 20;
/** Largest pack payload (uncompressed chunk bytes) a decoder accepts. */
export const MAX_PACK_PAYLOAD = 64 << 20;
/** Largest file a tree may declare (2^53 − 1: exact in JSON numbers). */
export const MAX_FILE = Number.MAX_SAFE_INTEGER;
const ID = /^[0-9a-f]{64}$/;

const bad = (what: string, msg: string, where?: Record<string, unknown>) => new PaniniError(ErrorCode.FORMAT, `${what}: ${msg}`, where);

export function isId(s: unknown): s is string {
  return typeof s === 'string' && ID.test(s);
}
function id(s: unknown, what: string): string {
  if (!isId(s)) throw bad(what, `${JSON.stringify(s)} is not a 64-digit lowercase hex id`);
  return s;
}
function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw bad(what, `${JSON.stringify(v)} is not an integer in ${min}..${max}`);
  return v;
}
function str(v: unknown, what: string, max = 4096): string {
  if (typeof v !== 'string' || v.length > max) throw bad(what, `not a string of at most ${max} characters`);
  return v;
}
function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(what, 'not an object');
  return v as Record<string, unknown>;
}
function arr(v: unknown, what: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) throw bad(what, `not an array of at most ${max} items`);
  return v;
}

export function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(fromUtf8(bytes, what));
  } catch (e) {
    if (e instanceof PaniniError) throw e;
    throw bad(what, `not valid JSON (${(e as Error).message})`);
  }
}
export const jsonBytes = (v: unknown): Uint8Array => utf8(JSON.stringify(v));

// ---------------------------------------------------------------------------------------------------------- config

export interface RepoConfig {
  version: number;
  id: string;
  encryption: 'aes-256-gcm' | 'none';
  /** chunk ids: HMAC-SHA-256 with the repository's id key, or plain SHA-256 without encryption */
  chunkId: 'hmac-sha256' | 'sha256';
  chunker: { minSize: number; avgSize: number; maxSize: number };
  codec: 'dhatu';
  level: number;
  packSize: number;
}

export function decodeConfig(bytes: Uint8Array, where: string): RepoConfig {
  const what = `${where} config`;
  const o = obj(parseJson(bytes, what), what);
  if (o.version !== REPO_VERSION) throw new PaniniError(ErrorCode.UNSUPPORTED, `${what}: repository version ${String(o.version)} is not supported (this build reads ${REPO_VERSION})`);
  const encryption = o.encryption;
  if (encryption !== 'aes-256-gcm' && encryption !== 'none') throw bad(what, `unknown encryption ${JSON.stringify(encryption)}`);
  const chunkId = o.chunkId;
  if (chunkId !== (encryption === 'none' ? 'sha256' : 'hmac-sha256')) throw bad(what, `chunkId ${JSON.stringify(chunkId)} does not go with encryption ${encryption}`);
  const c = obj(o.chunker, `${what} chunker`);
  const chunker = {
    minSize: int(c.minSize, `${what} chunker.minSize`, 64, MAX_CHUNK),
    avgSize: int(c.avgSize, `${what} chunker.avgSize`, 256, MAX_CHUNK),
    maxSize: int(c.maxSize, `${what} chunker.maxSize`, 256, MAX_CHUNK),
  };
  if (!(chunker.minSize < chunker.avgSize && chunker.avgSize < chunker.maxSize)) throw bad(what, 'chunker sizes must grow min < avg < max');
  if (o.codec !== 'dhatu') throw bad(what, `unknown codec ${JSON.stringify(o.codec)}`);
  return {
    version: REPO_VERSION,
    id: id(o.id, `${what} id`),
    encryption,
    chunkId: chunkId as RepoConfig['chunkId'],
    chunker,
    codec: 'dhatu',
    level: int(o.level, `${what} level`, 0, 9),
    packSize: int(o.packSize, `${what} packSize`, 1 << 16, MAX_PACK_PAYLOAD),
  };
}

// ------------------------------------------------------------------------------------------------------------ pack

export interface PackEntry {
  id: string;
  offset: number;
  length: number;
}

/** Pack plaintext: magic (8) ‖ count u32 LE ‖ count × (id 32 ‖ offset u32 ‖ length u32) ‖ container bytes. */
export function encodePack(entries: PackEntry[], container: Uint8Array): Uint8Array {
  const head = 12 + entries.length * 40;
  const out = new Uint8Array(head + container.length);
  const dv = new DataView(out.buffer);
  out.set(utf8(PACK_MAGIC));
  dv.setUint32(8, entries.length, true);
  entries.forEach((e, i) => {
    const p = 12 + i * 40;
    for (let k = 0; k < 32; k++) out[p + k] = parseInt(e.id.slice(2 * k, 2 * k + 2), 16);
    dv.setUint32(p + 32, e.offset, true);
    dv.setUint32(p + 36, e.length, true);
  });
  out.set(container, head);
  return out;
}

export function decodePackHeader(plain: Uint8Array, what: string): { entries: PackEntry[]; container: Uint8Array; payload: number } {
  if (plain.length < 12 || fromUtf8(plain.subarray(0, 8), what) !== PACK_MAGIC) throw bad(what, `not a pack (magic ${PACK_MAGIC} missing)`);
  const dv = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const count = dv.getUint32(8, true);
  if (count === 0 || 12 + count * 40 > plain.length) throw bad(what, `header declares ${count} chunks, more than the object holds`);
  const entries: PackEntry[] = [];
  let end = 0;
  for (let i = 0; i < count; i++) {
    const p = 12 + i * 40;
    let s = '';
    for (let k = 0; k < 32; k++) s += plain[p + k]!.toString(16).padStart(2, '0');
    const offset = dv.getUint32(p + 32, true);
    const length = dv.getUint32(p + 36, true);
    if (offset !== end) throw bad(what, `chunk ${i} starts at ${offset}, expected ${end} (chunks are consecutive)`);
    if (length === 0 || length > MAX_CHUNK) throw new PaniniError(ErrorCode.LIMIT, `${what}: chunk ${i} length ${length} is outside 1..${MAX_CHUNK}`);
    end += length;
    if (end > MAX_PACK_PAYLOAD) throw new PaniniError(ErrorCode.LIMIT, `${what}: chunks add up past ${MAX_PACK_PAYLOAD} bytes`);
    entries.push({ id: s, offset, length });
  }
  return { entries, container: plain.subarray(12 + count * 40), payload: end };
}

// ----------------------------------------------------------------------------------------------------------- index

export interface IndexPack {
  id: string;
  /** stored object size in bytes */
  size: number;
  chunks: PackEntry[];
}
export interface IndexDoc {
  version: number;
  packs: IndexPack[];
}

export const encodeIndex = (packs: IndexPack[]): Uint8Array =>
  jsonBytes({ version: REPO_VERSION, packs: packs.map((p) => ({ id: p.id, size: p.size, chunks: p.chunks.map((c) => [c.id, c.offset, c.length]) })) });

export function decodeIndex(bytes: Uint8Array, what: string): IndexDoc {
  const o = obj(parseJson(bytes, what), what);
  if (o.version !== REPO_VERSION) throw new PaniniError(ErrorCode.UNSUPPORTED, `${what}: index version ${String(o.version)} is not supported`);
  const packs = arr(o.packs, `${what} packs`, 1 << 20).map((x, i) => {
    const p = obj(x, `${what} pack ${i}`);
    const pid = id(p.id, `${what} pack ${i} id`);
    const size = int(p.size, `${what} pack ${pid} size`, 1, MAX_PACK_PAYLOAD * 2);
    let end = 0;
    const chunks = arr(p.chunks, `${what} pack ${pid} chunks`, MAX_PACK_PAYLOAD).map((y, k) => {
      const c = arr(y, `${what} pack ${pid} chunk ${k}`, 3);
      const e = { id: id(c[0], `${what} pack ${pid} chunk ${k} id`), offset: int(c[1], `${what} pack ${pid} chunk ${k} offset`, 0, MAX_PACK_PAYLOAD), length: int(c[2], `${what} pack ${pid} chunk ${k} length`, 1, MAX_CHUNK) };
      end = Math.max(end, e.offset + e.length);
      return e;
    });
    if (end > MAX_PACK_PAYLOAD) throw new PaniniError(ErrorCode.LIMIT, `${what}: pack ${pid} chunks reach past ${MAX_PACK_PAYLOAD} bytes`);
    return { id: pid, size, chunks };
  });
  return { version: REPO_VERSION, packs };
}

// ------------------------------------------------------------------------------------------------------------ tree

export type NodeType = 'file' | 'dir' | 'symlink';
export interface TreeNode {
  /** '/'-separated, relative; the first segment is the backed-up path's base name */
  path: string;
  type: NodeType;
  mode: number;
  /** modification time, milliseconds since 1970 (fractional part kept to the microsecond) */
  mtime: number;
  size: number;
  /** inode and device numbers at backup time (change detection only) */
  inode?: number;
  dev?: number;
  /** file: hex SHA-256 of the whole content */
  sha256?: string;
  /** file: chunk ids in order */
  chunks?: string[];
  /** symlink: its target, as read */
  target?: string;
  /**
   * file: the number of names the file had at backup time (its link count), when more than one; a restore makes
   * the names of one inode (`dev`, `inode`) hard links of each other again
   */
  links?: number;
}

export const encodeTree = (nodes: TreeNode[]): Uint8Array => jsonBytes({ version: REPO_VERSION, nodes });

/** Decodes and validates a tree: safe unique paths, each path's parent a directory listed before it, sizes bounded. */
export function decodeTree(bytes: Uint8Array, what: string): TreeNode[] {
  const o = obj(parseJson(bytes, what), what);
  if (o.version !== REPO_VERSION) throw new PaniniError(ErrorCode.UNSUPPORTED, `${what}: tree version ${String(o.version)} is not supported`);
  const kinds = new Map<string, NodeType>();
  return arr(o.nodes, `${what} nodes`, 1 << 26).map((x, i) => {
    const n = obj(x, `${what} node ${i}`);
    const path = checkPath(n.path, `${what} node ${i} path`);
    if (kinds.has(path)) throw bad(what, `node ${i} repeats path "${path}"`, { path });
    const slash = path.lastIndexOf('/');
    if (slash > 0) {
      const parent = kinds.get(path.slice(0, slash));
      if (parent !== 'dir') throw bad(what, `node ${i} "${path}": its parent ${parent ? `is a ${parent}` : 'is not listed before it'}`, { path });
    }
    const type = n.type;
    if (type !== 'file' && type !== 'dir' && type !== 'symlink') throw bad(what, `node ${i} "${path}" has unknown type ${JSON.stringify(type)}`, { path });
    kinds.set(path, type);
    const node: TreeNode = {
      path,
      type,
      mode: int(n.mode, `${what} node "${path}" mode`, 0, 0o7777),
      mtime: typeof n.mtime === 'number' && Number.isFinite(n.mtime) ? n.mtime : int(n.mtime, `${what} node "${path}" mtime`, 0, 0),
      size: int(n.size, `${what} node "${path}" size`, 0, MAX_FILE),
    };
    if (n.inode !== undefined) node.inode = int(n.inode, `${what} node "${path}" inode`, 0, Number.MAX_SAFE_INTEGER);
    if (n.dev !== undefined) node.dev = int(n.dev, `${what} node "${path}" dev`, 0, Number.MAX_SAFE_INTEGER);
    if (type === 'file') {
      node.sha256 = id(n.sha256, `${what} node "${path}" sha256`);
      const chunks = arr(n.chunks, `${what} node "${path}" chunks`, Math.ceil(MAX_FILE / 64)).map((c, k) => id(c, `${what} node "${path}" chunk ${k}`));
      if ((node.size === 0) !== (chunks.length === 0)) throw bad(what, `node "${path}": size ${node.size} with ${chunks.length} chunks`, { path });
      if (chunks.length > 0 && node.size > chunks.length * MAX_CHUNK) throw new PaniniError(ErrorCode.LIMIT, `${what}: node "${path}" declares ${node.size} bytes in ${chunks.length} chunks of at most ${MAX_CHUNK}`, { path });
      node.chunks = chunks;
      if (n.links !== undefined) node.links = int(n.links, `${what} node "${path}" links`, 2, 2 ** 32 - 1);
    } else {
      if (n.links !== undefined) throw bad(what, `node "${path}": a ${type} has no link count`, { path });
      if (node.size !== 0 || n.chunks !== undefined) throw bad(what, `node "${path}": a ${type} has no content`, { path });
      if (type === 'symlink') {
        const t = str(n.target, `${what} node "${path}" target`);
        if (t.length === 0 || t.includes('\0')) throw bad(what, `node "${path}": symlink without a valid target`, { path });
        node.target = t;
      }
    }
    return node;
  });
}

// -------------------------------------------------------------------------------------------------------- snapshot

export interface Snapshot {
  /** object id (set on read, not stored) */
  id: string;
  version: number;
  time: string;
  host: string;
  tags: string[];
  paths: string[];
  parent: string | null;
  tree: { chunks: string[]; size: number; sha256: string };
  summary: { files: number; dirs: number; symlinks: number; bytes: number; filesRead: number; bytesRead: number; chunksNew: number; bytesNew: number };
  /** set by copy: the id of the snapshot this one was copied from */
  original?: string;
}

export function encodeSnapshot(s: Omit<Snapshot, 'id'>): Uint8Array {
  const { version, time, host, tags, paths, parent, tree, summary, original } = s;
  return jsonBytes(original ? { version, time, host, tags, paths, parent, tree, summary, original } : { version, time, host, tags, paths, parent, tree, summary });
}

export function decodeSnapshot(bytes: Uint8Array, sid: string, what: string): Snapshot {
  const o = obj(parseJson(bytes, what), what);
  if (o.version !== REPO_VERSION) throw new PaniniError(ErrorCode.UNSUPPORTED, `${what}: snapshot version ${String(o.version)} is not supported`);
  const time = str(o.time, `${what} time`, 64);
  if (Number.isNaN(Date.parse(time))) throw bad(what, `time ${JSON.stringify(time)} is not an ISO date`);
  const t = obj(o.tree, `${what} tree`);
  const s = obj(o.summary, `${what} summary`);
  const n = (k: string) => int(s[k], `${what} summary.${k}`, 0, Number.MAX_SAFE_INTEGER);
  const snap: Snapshot = {
    id: sid,
    version: REPO_VERSION,
    time,
    host: str(o.host, `${what} host`, 256),
    tags: arr(o.tags, `${what} tags`, 256).map((x, i) => str(x, `${what} tag ${i}`, 256)),
    paths: arr(o.paths, `${what} paths`, 4096).map((x, i) => str(x, `${what} path ${i}`)),
    parent: o.parent === null ? null : id(o.parent, `${what} parent`),
    tree: {
      chunks: arr(t.chunks, `${what} tree chunks`, 1 << 20).map((x, i) => id(x, `${what} tree chunk ${i}`)),
      size: int(t.size, `${what} tree size`, 0, 1 << 30),
      sha256: id(t.sha256, `${what} tree sha256`),
    },
    summary: { files: n('files'), dirs: n('dirs'), symlinks: n('symlinks'), bytes: n('bytes'), filesRead: n('filesRead'), bytesRead: n('bytesRead'), chunksNew: n('chunksNew'), bytesNew: n('bytesNew') },
  };
  if (snap.tree.size > snap.tree.chunks.length * MAX_CHUNK) throw new PaniniError(ErrorCode.LIMIT, `${what}: tree of ${snap.tree.size} bytes in ${snap.tree.chunks.length} chunks`);
  if (o.original !== undefined) snap.original = id(o.original, `${what} original`);
  return snap;
}

// ------------------------------------------------------------------------------------------------------------ lock

export interface LockDoc {
  time: number;
  host: string;
  pid: number;
  exclusive: boolean;
  operation: string;
}
export function decodeLock(bytes: Uint8Array, what: string): LockDoc {
  const o = obj(parseJson(bytes, what), what);
  return {
    time: int(o.time, `${what} time`, 0, Number.MAX_SAFE_INTEGER),
    host: str(o.host, `${what} host`, 256),
    pid: int(o.pid, `${what} pid`, 0, 2 ** 32),
    exclusive: o.exclusive === true,
    operation: str(o.operation, `${what} operation`, 64),
  };
}
