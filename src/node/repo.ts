// Backup and restore between the file system and a snapshot repository (docs/REPOSITORY.md), Node only.
import { createHash } from 'node:crypto';
import { lstatSync, promises as fsp } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ByteQueue } from '../bytes.js';
import { hostname } from 'node:os';
import { ErrorCode, PaniniError } from '../errors.js';
import { resolveCompressOptions } from '../container/options.js';
import { createChunker } from '../chunk/index.js';
import { checkPath } from '../container/manifest.js';
import { storeTree, writeSnapshot, type Repository } from '../repo/repository.js';
import type { Snapshot, TreeNode } from '../repo/format.js';
import { ioError } from './io.js';
import { listTree, type WalkEntry } from './container.js';

export interface BackupProgress {
  files: number;
  bytesRead: number;
  bytesNew: number;
}
export interface BackupOptions {
  tags?: string[];
  /** a single tag (CLI --tag may repeat; both add) */
  tag?: string;
  host?: string;
  /** glob patterns (`*`, `**`, `?`) matched against each path relative to its backed-up root, and against its base name */
  exclude?: string[];
  /** parent snapshot id; default: the newest snapshot of the same host and paths */
  parent?: string | null;
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  /** snapshot time (default now) */
  time?: Date;
  /** threads coding the packs (default 1; the CLI: the CPUs, at most 4); the repository's bytes never depend on it */
  workers?: number;
  /** a bound on the peak memory of the pack coding in bytes (compress's `memory`: fewer workers where more would not fit) */
  memory?: number;
}

/** The first segment of a backed-up path's nodes in a snapshot's tree: its base name ('root' for /). */
const treeName = (path: string): string => basename(path) || 'root';

function globRe(g: string): RegExp {
  let s = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        s += '.*';
        i++;
        if (g[i + 1] === '/') i++;
      } else s += '[^/]*';
    } else if (c === '?') s += '[^/]';
    else s += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${s}$`);
}

async function readPieces(path: string, signal?: AbortSignal): Promise<AsyncGenerator<Uint8Array>> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw ioError(e, 'open', path);
  }
  return (async function* () {
    try {
      for (;;) {
        if (signal?.aborted) throw new PaniniError(ErrorCode.ABORTED, `backup: aborted reading ${path}`, { path });
        const b = new Uint8Array(1 << 20);
        let r;
        try {
          r = await fh.read(b, 0, b.length, null);
        } catch (e) {
          throw ioError(e, 'read', path);
        }
        if (r.bytesRead === 0) return;
        yield b.subarray(0, r.bytesRead);
      }
    } finally {
      await fh.close();
    }
  })();
}

/**
 * Backs up files and directories as one snapshot. Files whose size, mtime and inode equal the parent snapshot's are
 * not read (their chunks are reused); others are chunked (FastCDC) and only chunks the repository lacks are stored.
 * Order: packs, index, then the snapshot object, so a crash at any point leaves earlier snapshots intact.
 */
export async function backup(repo: Repository, paths: string[], options: BackupOptions = {}): Promise<Snapshot> {
  if (!Array.isArray(paths) || paths.length === 0) throw new PaniniError(ErrorCode.OPTION, 'backup needs at least one path', { option: 'paths' });
  const host = options.host ?? hostname();
  const tags = [...(options.tags ?? []), ...(options.tag ? [options.tag] : [])];
  const roots = paths.map((p) => resolve(p));
  const names = roots.map(treeName);
  if (new Set(names).size !== names.length) throw new PaniniError(ErrorCode.OPTION, `backup paths must have distinct base names (${names.join(', ')})`, { option: 'paths' });
  const excludes = (options.exclude ?? []).map(globRe);
  const signal = options.signal;
  // a memory bound one thread cannot meet fails here, before the lock and before any file is read
  if (options.memory !== undefined) resolveCompressOptions({ codec: 'dhatu', level: repo.config.level, workers: options.workers ?? 1, memory: options.memory }, 'backup');
  const lock = await repo.lock(false, 'backup', host, process.pid);
  try {
    let parent: Snapshot | undefined;
    if (options.parent) parent = await repo.findSnapshot(options.parent, signal);
    else if (options.parent !== null) {
      const key = JSON.stringify([...roots].sort());
      parent = (await repo.snapshots(signal)).filter((s) => s.host === host && JSON.stringify([...s.paths].sort()) === key).pop();
    }
    const old = new Map<string, TreeNode>();
    if (parent) for (const n of await repo.loadTree(parent, signal)) old.set(n.path, n);
    const w = repo.writer({ signal, workers: options.workers ?? 1, ...(options.memory !== undefined ? { memory: options.memory } : {}) });
    const nodes: TreeNode[] = [];
    // files with several names read in this backup, by device and inode: another name is the same content
    const linked = new Map<string, TreeNode>();
    const sum = { files: 0, dirs: 0, symlinks: 0, bytes: 0, filesRead: 0, bytesRead: 0, chunksNew: 0, bytesNew: 0 };
    const progress = () => options.onProgress?.({ files: sum.files, bytesRead: sum.bytesRead, bytesNew: w.bytesNew });
    const visit = async (abs: string, rel: string, inRoot: string): Promise<void> => {
      if (signal?.aborted) throw new PaniniError(ErrorCode.ABORTED, 'backup: aborted', { path: abs });
      if (inRoot && excludes.some((re) => re.test(inRoot) || re.test(basename(inRoot)))) return;
      let st;
      try {
        st = await fsp.lstat(abs, { bigint: true });
      } catch (e) {
        throw ioError(e, 'stat', abs);
      }
      const mode = Number(st.mode & 0o7777n);
      const mtime = Number(st.mtimeNs / 1000n) / 1000;
      const base = { path: checkPath(rel), mode, mtime, inode: Number(st.ino), dev: Number(st.dev) };
      if (st.isDirectory()) {
        nodes.push({ ...base, type: 'dir', size: 0 });
        sum.dirs++;
        let names: string[];
        try {
          names = (await fsp.readdir(abs)).sort();
        } catch (e) {
          throw ioError(e, 'list', abs);
        }
        for (const n of names) await visit(join(abs, n), `${rel}/${n}`, inRoot ? `${inRoot}/${n}` : n);
      } else if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = await fsp.readlink(abs);
        } catch (e) {
          throw ioError(e, 'read link', abs);
        }
        nodes.push({ ...base, type: 'symlink', size: 0, target });
        sum.symlinks++;
      } else if (st.isFile()) {
        const size = Number(st.size);
        const prev = old.get(rel);
        sum.files++;
        sum.bytes += size;
        const links = st.nlink > 1n ? { links: Number(st.nlink) } : {};
        const inodeKey = `${st.dev}:${st.ino}`;
        const same = links.links ? linked.get(inodeKey) : undefined;
        if (same && same.size === size && same.mtime === mtime) {
          // another name of a file this backup has read: its content, not read again
          nodes.push({ ...base, type: 'file', size, sha256: same.sha256!, chunks: same.chunks!, ...links });
          progress();
          return;
        }
        const push = (n: TreeNode) => {
          nodes.push(n);
          if (links.links) linked.set(inodeKey, n);
        };
        if (prev && prev.type === 'file' && prev.size === size && prev.mtime === mtime && prev.inode === base.inode && prev.chunks!.every((c) => repo.has(c))) {
          push({ ...base, type: 'file', size, sha256: prev.sha256!, chunks: prev.chunks!, ...links });
          progress();
          return;
        }
        const chunker = createChunker({ strategy: 'cdc', ...repo.config.chunker } as never);
        const whole = createHash('sha256');
        const chunks: string[] = [];
        // the file's bytes not yet cut: the chunker's cuts are contiguous, each takes the next c.length bytes
        const carry = new ByteQueue();
        const take = async (cuts: { offset: number; length: number }[]) => {
          for (const c of cuts) chunks.push(await w.add(carry.take(c.length)));
        };
        let n = 0;
        for await (const b of await readPieces(abs, signal)) {
          whole.update(b);
          n += b.length;
          carry.push(b);
          await take(chunker.push(b));
          sum.bytesRead += b.length;
          progress();
        }
        await take(chunker.flush());
        sum.filesRead++;
        push({ ...base, type: 'file', size: n, sha256: whole.digest('hex'), chunks, ...links });
      }
      // sockets, fifos, devices: not backed up
    };
    for (let i = 0; i < roots.length; i++) await visit(roots[i]!, names[i]!, '');
    const tree = await storeTree(repo, w, nodes);
    await w.finish();
    await lock.check();
    sum.chunksNew = w.chunksNew;
    sum.bytesNew = w.bytesNew;
    return await writeSnapshot(repo, { time: (options.time ?? new Date()).toISOString(), host, tags, paths: roots, parent: parent?.id ?? null, tree, summary: sum }, signal);
  } finally {
    await lock.release();
  }
}


function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r) && r.split(sep)[0] !== '..');
}

function assertNoLinkOnPath(root: string, p: string): void {
  const parts = relative(root, dirname(p)).split(sep).filter(Boolean);
  let cur = root;
  for (const part of parts) {
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      continue;
    }
    if (!st.isDirectory()) throw new PaniniError(ErrorCode.PATH, `refusing to write through ${cur}: not a directory (a link?)`, { path: cur });
  }
}

export interface RestoreOptions {
  /** restore only these tree paths (and what is under them) */
  include?: string[];
  /** overwrite existing files */
  force?: boolean;
  signal?: AbortSignal;
}
export interface RestoreResult {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** files restored as a hard link to another restored name of the same inode (counted in files, not in bytes) */
  hardLinks: number;
}

/**
 * Restores a snapshot into `target`: directories, then files (each chunk's id checked, then the whole file's SHA-256
 * and size, written to a temporary name and renamed), then symlinks as stored (also those that point outside `target`
 * or nowhere), then directory modes and times. Unsafe paths and writing through links are refused (PATH).
 */
export async function restore(repo: Repository, snapshot: Snapshot, target: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const root = resolve(target);
  const include = (options.include ?? []).map((p) => p.replace(/^\/+|\/+$/g, ''));
  const wanted = (p: string) => include.length === 0 || include.some((i) => p === i || p.startsWith(`${i}/`) || i.startsWith(`${p}/`));
  const nodes = (await repo.loadTree(snapshot, options.signal)).filter((n) => wanted(n.path));
  await fsp.mkdir(root, { recursive: true }).catch((e) => {
    throw ioError(e, 'create', root);
  });
  const at = (n: TreeNode) => {
    const p = resolve(root, ...checkPath(n.path).split('/'));
    if (!inside(root, p) || p === root) throw new PaniniError(ErrorCode.PATH, `entry "${n.path}" would land outside ${root}`, { path: n.path });
    assertNoLinkOnPath(root, p);
    return p;
  };
  const r: RestoreResult = { files: 0, dirs: 0, symlinks: 0, bytes: 0, hardLinks: 0 };
  // the first restored name of each multiply-linked inode: its other names become hard links to it
  const firstName = new Map<string, { path: string; node: TreeNode }>();
  const inodeOf = (n: TreeNode) => (n.links !== undefined && n.inode !== undefined && n.dev !== undefined ? `${n.dev}:${n.inode}` : undefined);
  for (const n of nodes) {
    if (n.type !== 'dir') continue;
    const p = at(n);
    await fsp.mkdir(p, { recursive: true }).catch((e) => {
      throw ioError(e, 'create', p);
    });
    r.dirs++;
  }
  for (const n of nodes) {
    if (n.type !== 'file') continue;
    const p = at(n);
    if (!options.force) {
      const exists = await fsp.lstat(p).then(() => true, () => false);
      if (exists) throw new PaniniError(ErrorCode.EXISTS, `${p} exists (use force to overwrite)`, { path: p });
    }
    const key = inodeOf(n);
    const first = key === undefined ? undefined : firstName.get(key);
    if (first && first.node.sha256 === n.sha256 && first.node.size === n.size) {
      // another name of a file just restored (its content checked there): linked, where the file system allows
      const tmpLink = join(dirname(p), `.${basename(p)}.${process.pid}.panini-tmp`);
      const made = await fsp.link(first.path, tmpLink).then(() => true, () => false);
      if (made) {
        await fsp.rename(tmpLink, p).catch(async (e) => {
          await fsp.rm(tmpLink, { force: true });
          throw ioError(e, 'create', p);
        });
        r.files++;
        r.hardLinks++;
        continue;
      }
    }
    const tmp = join(dirname(p), `.${basename(p)}.${process.pid}.panini-tmp`);
    const fh = await fsp.open(tmp, 'w', 0o600).catch((e) => {
      throw ioError(e, 'create', tmp);
    });
    const h = createHash('sha256');
    let size = 0;
    try {
      for (const c of n.chunks!) {
        const data = await repo.readChunk(c, options.signal);
        size += data.length;
        if (size > n.size) throw new PaniniError(ErrorCode.FORMAT, `snapshot ${snapshot.id}: "${n.path}" chunks hold more than its ${n.size} bytes`, { path: n.path });
        h.update(data);
        await fh.write(data);
      }
      const d = h.digest('hex');
      if (size !== n.size || d !== n.sha256) throw new PaniniError(ErrorCode.CHECKSUM, `snapshot ${snapshot.id}: "${n.path}" restores to ${size} bytes with SHA-256 ${d}, the tree says ${n.size} bytes, ${n.sha256}`, { path: n.path });
      await fh.chmod(n.mode);
      await fh.close();
      await fsp.utimes(tmp, n.mtime / 1000, n.mtime / 1000);
      await fsp.rename(tmp, p);
    } catch (e) {
      await fh.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    if (key !== undefined && !firstName.has(key)) firstName.set(key, { path: p, node: n });
    r.files++;
    r.bytes += size;
  }
  for (const n of nodes) {
    if (n.type !== 'symlink') continue;
    const p = at(n);
    const t = n.target!;
    // as stored, wherever it points (as tar and restic do): nothing is written after the links, and no node's path
    // goes through one (every parent is a directory node; existing components were checked by at())
    if (options.force) await fsp.rm(p, { force: true });
    await fsp.symlink(t, p).catch((e) => {
      throw ioError(e, 'create symlink', p);
    });
    await fsp.lutimes(p, n.mtime / 1000, n.mtime / 1000).catch(() => undefined);
    r.symlinks++;
  }
  for (const n of [...nodes].reverse()) {
    if (n.type !== 'dir') continue;
    const p = at(n);
    if (!(await fsp.lstat(p).then((st) => st.isDirectory(), () => false))) continue; // never chmod through a link
    await fsp.chmod(p, n.mode);
    await fsp.utimes(p, n.mtime / 1000, n.mtime / 1000);
  }
  return r;
}

export interface SnapshotValidation {
  ok: boolean;
  snapshot: string;
  /** the backed-up path compared (its base name, the first segment of the snapshot's tree) */
  path: string;
  original: string;
  files: number;
  bytes: number;
  /** chunk references read, and distinct chunks among them */
  chunks: number;
  uniqueChunks: number;
  /** what did not match, one line each (empty when ok) */
  problems: string[];
  firstDifference?: { path: string; offset: number };
}

/**
 * Proves `original` (a file or a tree on disk) bit-perfect against one backed-up path of a snapshot: every file's
 * chunks are read from the repository (each checked by its id and the pack's authentication), compared byte for byte
 * with the original, and its SHA-256 checked against the snapshot's tree; files, directories and links missing on
 * either side, of another type, size or target are reported. Nothing is written.
 */
export async function validateSnapshot(repo: Repository, snapshot: Snapshot, original: string, options: { path?: string; signal?: AbortSignal } = {}): Promise<SnapshotValidation> {
  const bases = snapshot.paths.map(treeName);
  const base = options.path ?? (bases.length === 1 ? bases[0]! : undefined);
  if (base === undefined) throw new PaniniError(ErrorCode.OPTION, `snapshot ${snapshot.id.slice(0, 8)} holds ${bases.length} paths (${bases.join(', ')}): name the one to compare`, { option: 'path' });
  if (!bases.includes(base)) throw new PaniniError(ErrorCode.NOT_FOUND, `snapshot ${snapshot.id.slice(0, 8)} holds no path "${base}" (it holds ${bases.join(', ')})`, { option: 'path' });
  const root = resolve(original);
  const nodes = (await repo.loadTree(snapshot, options.signal)).filter((n) => n.path === base || n.path.startsWith(`${base}/`));
  const report: SnapshotValidation = { ok: false, snapshot: snapshot.id, path: base, original: root, files: 0, bytes: 0, chunks: 0, uniqueChunks: 0, problems: [] };
  const top = nodes.find((n) => n.path === base);
  const st = await fsp.lstat(root).catch((e) => {
    throw ioError(e, 'read', root);
  });
  const have = new Map<string, WalkEntry>();
  if (top?.type === 'dir') {
    if (!st.isDirectory()) report.problems.push(`${root} is not a directory, the snapshot holds a tree`);
    else for (const e of await listTree(root, [])) have.set(`${base}/${e.rel}`, e);
  } else if (top?.type === 'file') {
    if (!st.isFile()) report.problems.push(`${root} is not a file, the snapshot holds one file`);
    else have.set(base, { rel: base, abs: root, type: 'file', mode: st.mode & 0o7777, mtime: st.mtimeMs, size: st.size });
  }
  const seen = new Set<string>();
  for (const n of nodes) {
    if (n === top && n.type === 'dir') continue;
    const o = have.get(n.path);
    have.delete(n.path);
    if (!o) {
      report.problems.push(`${n.path}: in the snapshot, missing from the original`);
      continue;
    }
    if (o.type !== n.type) {
      report.problems.push(`${n.path}: a ${n.type} in the snapshot, a ${o.type} in the original`);
      continue;
    }
    if (n.type === 'symlink') {
      if (o.target !== n.target) report.problems.push(`${n.path}: link target differs`);
      continue;
    }
    if (n.type !== 'file') continue;
    report.files++;
    if (o.size !== n.size) {
      report.problems.push(`${n.path}: ${n.size} bytes in the snapshot, ${o.size} in the original`);
      continue;
    }
    const fh = await fsp.open(o.abs, 'r').catch((e) => {
      throw ioError(e, 'read', o.abs);
    });
    try {
      const h = createHash('sha256');
      let at = 0;
      let differs = false;
      for (const c of n.chunks!) {
        const data = await repo.readChunk(c, options.signal);
        report.chunks++;
        if (!seen.has(c)) (seen.add(c), report.uniqueChunks++);
        h.update(data);
        if (!differs) {
          const buf = new Uint8Array(data.length);
          const { bytesRead } = await fh.read(buf, 0, buf.length, at);
          for (let i = 0; i < data.length; i++) {
            if (i >= bytesRead || buf[i] !== data[i]) {
              differs = true;
              report.firstDifference ??= { path: n.path, offset: at + i };
              report.problems.push(`${n.path}: first difference at byte ${at + i}`);
              break;
            }
          }
        }
        at += data.length;
      }
      const d = h.digest('hex');
      if (at !== n.size || d !== n.sha256) report.problems.push(`${n.path}: its chunks give ${at} bytes with SHA-256 ${d}, the snapshot's tree says ${n.size} bytes, ${n.sha256}`);
      report.bytes += at;
    } finally {
      await fh.close();
    }
  }
  for (const p of have.keys()) report.problems.push(`${p}: in the original, not in the snapshot`);
  report.ok = report.problems.length === 0;
  return report;
}
