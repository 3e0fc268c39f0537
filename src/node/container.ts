// Node helpers for files and directory trees: compressFile, decompressFile, compressTree, extractTree, verifyFile,
// inspectFile. Everything streams: memory does not depend on the size of the files.
import { constants as fsConstants, createReadStream, lstatSync, promises as fsp, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PaniniError } from '../errors.js';
import { assertBool, assertOptions, readOptions } from '../validate.js';
import { init } from '../wasm/core.js';
import { encodeInputs, extractSource, inspectSource, makeDecoder, verifySource, type ExtractResult, type Inspection, type VerifyReport } from '../container/api.js';
import { hex } from '../container/format.js';
import { openContainer } from '../container/read.js';
import { walk } from '../container/walk.js';
import { checkPath, decodeManifest, encodeManifest, FileDigest, MANIFEST_VERSION, outputFiles, type Manifest, type ManifestEntry } from '../container/manifest.js';
import { crc32 } from '../hash/crc32.js';
import {
  type CompressOptions,
  type DecompressOptions,
  type ResolvedCompressOptions,
  resolveCompressOptions,
  resolveDecompressOptions,
  throwIfAborted,
} from '../container/options.js';
import { AtomicFile, FileReadBack, ioError, openFileSource, openOutput } from './io.js';
import { lastAtOrBefore } from '../bytes.js';


const READ = 1 << 20;

export interface FileCompressOptions extends CompressOptions {
  /** overwrite an existing output (default false) */
  force?: boolean;
}
export interface FileDecompressOptions extends DecompressOptions {
  force?: boolean;
}

function splitFileOptions(options: unknown, what: string, out: string): { o: ResolvedCompressOptions; force: boolean } {
  // force is this layer's; the rest is compress's, checked (unknown keys included) by resolveCompressOptions
  const r = readOptions<FileCompressOptions>(what, options);
  const force = r.get('force');
  const rest = r.rest();
  // files and trees are read back with random access: by default every duplicate is found (unlimited window). A
  // container written to stdout is read back as a stream (`decompress - -o -`): it keeps compress()'s window, so a
  // stream decoder holds what its references need.
  const o = resolveCompressOptions(out === '-' ? rest : { dedupWindow: 0, ...rest }, what);
  return { o, force: force === undefined ? false : assertBool('force', force) };
}

function splitDecompressOptions(options: unknown, what: string) {
  const r = readOptions<FileDecompressOptions>(what, options);
  const force = r.get('force');
  const rest = r.rest();
  return { o: resolveDecompressOptions(rest, what, Number.MAX_SAFE_INTEGER), force: force === undefined ? false : assertBool('force', force) };
}

/** A file's bytes in pieces of at most 1 MiB (small files in one read); '-' reads stdin. */
export async function* readPieces(path: string, signal?: AbortSignal, sizeHint?: number): AsyncGenerator<Uint8Array> {
  if (sizeHint !== undefined && sizeHint < READ && path !== '-') {
    // small files in one read (a stream per file costs a 1 MiB buffer and several ticks)
    let b: Uint8Array;
    try {
      b = await fsp.readFile(path);
    } catch (e) {
      throw ioError(e, 'read', path);
    }
    throwIfAborted(signal);
    if (b.length) yield b;
    return;
  }
  const s = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: READ });
  try {
    for await (const b of s) {
      throwIfAborted(signal);
      yield b as Uint8Array;
    }
  } catch (e) {
    throw ioError(e, 'read', path);
  }
}

const mtimeOf = (st: { mtimeMs: number }) => Math.floor(st.mtimeMs);
/** utimes() argument for a stored integer-millisecond time: seconds plus half a microsecond, so the float
 *  conversion to a timespec cannot land just below the millisecond (reading back gives the same floor). */
const fsTime = (ms: number) => ms / 1000 + 5e-7;

export interface CompressResult {
  inputBytes: number;
  outputBytes: number;
  sha256: string;
  records: number;
  dedupBytes: number;
  files: number;
  skipped: string[];
}

/** Compresses one file (or '-' for stdin) into `out`. The manifest records its name, mode and mtime. */
export async function compressFile(path: string, out: string, options?: FileCompressOptions): Promise<CompressResult> {
  const { o, force } = splitFileOptions(options, 'compressFile', out);
  await init();
  let st: Stats | undefined;
  if (path !== '-') {
    try {
      st = await fsp.stat(path);
    } catch (e) {
      throw ioError(e, 'read', path);
    }
    if (!st.isFile()) throw new PaniniError('IO', `${path} is not a regular file (use compressTree for directories)`, { path });
  }
  const file = await openOutput(out, force);
  try {
    const r = await encodeInputs(
      o,
      (b) => file.write(b),
      async (add, assembler) => {
        const asm = assembler();
        let crc = 0;
        let size = 0;
        for await (const piece of readPieces(path, o.signal)) {
          if (path !== '-') crc = crc32(piece, crc);
          size += piece.length;
          for (const c of asm.push(piece)) await add(c);
        }
        for (const c of asm.flush()) await add(c);
        if (path === '-') return undefined; // stdin: a bare stream, like compress()
        const entry: ManifestEntry = { path: basename(path), type: 'file', mode: st!.mode & 0o7777, mtime: mtimeOf(st!), size, crc32: crc };
        return encodeManifest({ version: MANIFEST_VERSION, root: 'file', entries: [entry] });
      },
      st?.size,
    );
    await file.commit();
    return { inputBytes: r.size, outputBytes: r.containerSize, sha256: hex(r.sha256), records: r.stats.records, dedupBytes: r.stats.dedupBytes, files: 1, skipped: [] };
  } catch (e) {
    await file.discard();
    throw e;
  }
}

export interface WalkEntry {
  rel: string;
  abs: string;
  /** 'hardlink' only when listTree is asked for hard links: another name of the earlier file `target` */
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  mode: number;
  mtime: number;
  size: number;
  target?: string;
}

const utf8Exact = (b: Buffer): string | undefined => {
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : undefined;
};

/**
 * Lists a directory tree: depth-first, names in byte order, parents before children; links are not followed. What a
 * container cannot hold is left out and reported in `skipped` with the reason: FIFOs, sockets and devices, names that
 * are not UTF-8 or hold a backslash, paths or link targets over 4096 characters. With `hardLinks`, a file whose inode
 * was listed before is a 'hardlink' entry naming that earlier file.
 */
export function listTree(root: string, skipped: string[]): Promise<(WalkEntry & { type: 'file' | 'dir' | 'symlink' })[]>;
export function listTree(root: string, skipped: string[], options: { hardLinks: boolean }): Promise<WalkEntry[]>;
export async function listTree(root: string, skipped: string[], options: { hardLinks?: boolean } = {}): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  const inodes = new Map<string, string>();
  const visit = async (absDir: string, relDir: string): Promise<void> => {
    let raw: Buffer[];
    try {
      raw = await fsp.readdir(absDir, { encoding: 'buffer' });
    } catch (e) {
      throw ioError(e, 'read directory', absDir);
    }
    raw.sort(Buffer.compare);
    for (const b of raw) {
      const name = utf8Exact(b);
      if (name === undefined) {
        skipped.push(`${relDir ? `${relDir}/` : ''}${b.toString('utf8')} (name is not UTF-8)`);
        continue;
      }
      const abs = join(absDir, name);
      const rel = relDir ? `${relDir}/${name}` : name;
      const st = await fsp.lstat(abs).catch((e) => {
        throw ioError(e, 'stat', abs);
      });
      const base = { rel, abs, mode: Number(st.mode) & 0o7777, mtime: mtimeOf(st) };
      if (name.includes('\\')) {
        skipped.push(`${rel} (backslash in name)`);
        continue;
      }
      if (rel.length > 4096) {
        skipped.push(`${rel.slice(0, 60)}… (path over 4096 characters)`);
        continue;
      }
      if (st.isDirectory()) {
        out.push({ ...base, type: 'dir', size: 0 });
        await visit(abs, rel);
      } else if (st.isFile()) {
        const ino = `${st.dev}:${st.ino}`;
        const first = options.hardLinks && st.nlink > 1 ? inodes.get(ino) : undefined;
        if (first !== undefined) out.push({ ...base, type: 'hardlink', size: 0, target: first });
        else {
          if (options.hardLinks && st.nlink > 1) inodes.set(ino, rel);
          out.push({ ...base, type: 'file', size: st.size });
        }
      } else if (st.isSymbolicLink()) {
        const t = await fsp.readlink(abs, { encoding: 'buffer' }).catch((e) => {
          throw ioError(e, 'read link', abs);
        });
        const target = utf8Exact(t);
        if (target === undefined) skipped.push(`${rel} (link target is not UTF-8)`);
        else if (target.length > 4096) skipped.push(`${rel} (link target over 4096 characters)`);
        else out.push({ ...base, type: 'symlink', size: 0, target });
      } else {
        const what = st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isBlockDevice() || st.isCharacterDevice() ? 'a device' : 'not a file, directory or link';
        skipped.push(`${rel} (${what})`);
      }
    }
  };
  await visit(root, '');
  return out;
}

/** Compresses a directory tree into `out`: every file chunked on its own, identical chunks stored once across files. */
export async function compressTree(dir: string, out: string, options?: FileCompressOptions): Promise<CompressResult> {
  const { o, force } = splitFileOptions(options, 'compressTree', out);
  await init();
  const st = await fsp.stat(dir).catch((e) => {
    throw ioError(e, 'read', dir);
  });
  if (!st.isDirectory()) throw new PaniniError('IO', `${dir} is not a directory`, { path: dir });
  const skipped: string[] = [];
  const list = await listTree(dir, skipped, { hardLinks: true });
  const outAbs = out === '-' ? '' : resolve(out);
  const total = list.reduce((s, e) => s + e.size, 0);
  const file = await openOutput(out, force);
  try {
    const r = await encodeInputs(
      o,
      (b) => file.write(b),
      async (add, assembler) => {
        // Solid layout: files are one stream in manifest order. Small files share chunks (better compression);
        // a file of at least the average chunk size starts and ends on a chunk boundary, so identical large files
        // dedup exactly wherever they sit in the tree.
        const entries: ManifestEntry[] = [];
        const asm = assembler();
        const big = o.strategy === 'fixed' ? o.chunkSize : o.avgSize;
        const written = new Set<string>();
        for (const e of list) {
          if (resolve(e.abs) === outAbs || (file.tmp !== undefined && resolve(e.abs) === resolve(file.tmp))) continue; // never read our own output
          if (e.type === 'hardlink' && written.has(e.target!)) {
            entries.push({ path: e.rel, type: 'hardlink', mode: e.mode, mtime: e.mtime, size: 0, target: e.target! });
            continue;
          }
          if (e.type !== 'file' && e.type !== 'hardlink') {
            entries.push({ path: e.rel, type: e.type, mode: e.mode, mtime: e.mtime, size: 0, ...(e.target !== undefined ? { target: e.target } : {}) });
            continue;
          }
          // a file, or a hard link whose first name was left out (our own output): its bytes are stored
          const aligned = e.size >= big;
          if (aligned) for (const c of asm.cut()) await add(c);
          let crc = 0;
          let size = 0;
          for await (const piece of readPieces(e.abs, o.signal, e.size)) {
            crc = crc32(piece, crc);
            size += piece.length;
            for (const c of asm.push(piece)) await add(c);
          }
          if (aligned) for (const c of asm.cut()) await add(c);
          entries.push({ path: e.rel, type: 'file', mode: e.mode, mtime: e.mtime, size, crc32: crc });
          written.add(e.rel);
        }
        for (const c of asm.flush()) await add(c);
        return encodeManifest({ version: MANIFEST_VERSION, root: 'tree', entries } satisfies Manifest);
      },
      total,
    );
    await file.commit();
    return { inputBytes: r.size, outputBytes: r.containerSize, sha256: hex(r.sha256), records: r.stats.records, dedupBytes: r.stats.dedupBytes, files: list.filter((e) => e.type === 'file').length, skipped };
  } catch (e) {
    await file.discard();
    throw e;
  }
}

async function openVerified(path: string, maxOutputSize?: number) {
  const src = await openFileSource(path);
  try {
    const info = await openContainer(src, maxOutputSize === undefined ? undefined : { maxOutputSize });
    const manifest = info.manifest ? decodeManifest(info.manifest, info.footer.totalSize) : undefined;
    return { src, info, manifest };
  } catch (e) {
    await src.close();
    throw e;
  }
}

export interface DecompressResult {
  kind: 'stream' | 'file' | 'tree';
  outputBytes: number;
  sha256: string;
  files: number;
  path: string;
}

/**
 * Decompresses a container holding one file or a bare stream into `out` (written atomically after every check).
 * For a tree, use extractTree (decompressPath picks the right one).
 */
export async function decompressFile(path: string, out: string, options?: FileDecompressOptions): Promise<DecompressResult> {
  const { o, force } = splitDecompressOptions(options, 'decompressFile');
  await init();
  const { src, info, manifest } = await openVerified(path, o.maxOutputSize);
  try {
    if (manifest?.root === 'tree') throw new PaniniError('OPTION', `${path} holds a directory tree: use extractTree / \`panini-fs decompress\``, { path });
    // a one-file container's file is the whole output: a version 1 manifest's SHA-256 is the one the walk checks in
    // END; a version 2 manifest's CRC32 is checked as the bytes go by
    const entry = manifest?.entries[0];
    const digest = entry && !entry.sha256 ? new FileDigest(entry) : undefined;
    if (entry?.sha256 && hex(entry.sha256) !== hex(info.end.sha256)) {
      throw new PaniniError('CHECKSUM', `${path}: the SHA-256 of file "${entry.path}" in the manifest differs from the whole output's in the END frame`, { path });
    }
    const file = out === '-' ? undefined : await AtomicFile.create(out, force);
    const decoder = makeDecoder(o.workers, info.footer); // no threads for a small output
    try {
      const readBack = file ? (at: number, n: number) => file.readAt(at, n) : undefined;
      await walk(src, info, { ...o, decoder, ...(readBack ? { readBack } : {}) }, async (chunk) => {
        digest?.update(chunk);
        if (file) await file.write(chunk);
        else if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
      });
      digest?.check();
      if (file) {
        await file.commit(entry?.mode, entry ? fsTime(entry.mtime) : undefined);
      }
    } catch (e) {
      await file?.discard();
      throw e;
    } finally {
      await decoder?.close();
    }
    return { kind: manifest ? 'file' : 'stream', outputBytes: info.footer.totalSize, sha256: hex(info.end.sha256), files: 1, path: out };
  } finally {
    await src.close();
  }
}

/** True when `p` is inside `root` (both absolute, normalized). */
function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r) && r.split(sep)[0] !== '..');
}

/**
 * Refuses to write through a symlink: every existing component between root and p must be a real directory.
 * `checked` remembers directories already found real during this extraction (links are only made at the end).
 */
function assertNoLinkOnPath(root: string, p: string, checked: Set<string>): void {
  const parts = relative(root, dirname(p)).split(sep).filter(Boolean);
  let cur = root;
  for (const part of parts) {
    cur = join(cur, part);
    if (checked.has(cur)) continue;
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      continue;
    }
    if (!st.isDirectory()) throw new PaniniError('PATH', `refusing to write through ${cur}: not a directory (a link?)`, { path: cur });
    checked.add(cur);
  }
}

/**
 * Extracts a container made by compressTree into `dir` (created if needed; OUT stands for the directory that was
 * compressed). Refuses absolute paths, '..' and writing through links; restores symlinks as stored; does not overwrite
 * existing files unless `force`. Each file is written to a temporary name, checked (size, and its CRC32 or, in a
 * version 1 manifest, SHA-256) and renamed.
 */
export async function extractTree(path: string, dir: string, options?: FileDecompressOptions): Promise<DecompressResult> {
  const { o, force } = splitDecompressOptions(options, 'extractTree');
  await init();
  const { src, info, manifest } = await openVerified(path, o.maxOutputSize);
  try {
    if (!manifest || manifest.root !== 'tree') throw new PaniniError('OPTION', `${path} holds ${manifest ? 'a single file' : 'a bare stream'}, not a tree: use decompressFile`, { path });
    const final = resolve(dir);
    // a new target is built in a temporary sibling and renamed into place at the end: an error or an abort leaves
    // nothing behind. Into an existing directory files are written one by one, each atomically.
    const fresh = !(await fsp.lstat(final).then(() => true, () => false));
    const root = fresh ? join(dirname(final), `.${basename(final)}.${process.pid}.${Date.now().toString(36)}.panini-tmp`) : final;
    await fsp.mkdir(fresh ? dirname(final) : root, { recursive: true }).catch((e) => {
      throw ioError(e, 'create', final);
    });
    if (fresh) {
      await fsp.mkdir(root).catch((e) => {
        throw ioError(e, 'create', root);
      });
    }
    try {
      const r = await extractInto(root, final, manifest, src, info, o, force);
      if (fresh) {
        await fsp.rename(root, final).catch((e) => {
          throw ioError(e, 'rename into', final);
        });
      }
      return r;
    } catch (e) {
      if (fresh) await fsp.rm(root, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
  } finally {
    await src.close();
  }
}

async function extractInto(
  root: string,
  final: string,
  manifest: Manifest,
  src: Awaited<ReturnType<typeof openVerified>>['src'],
  info: Awaited<ReturnType<typeof openVerified>>['info'],
  o: ReturnType<typeof splitDecompressOptions>['o'],
  force: boolean,
): Promise<DecompressResult> {
  const entries = manifest.entries;
  const checked = new Set<string>();
  const target = (e: ManifestEntry) => {
    checkPath(e.path);
    const p = resolve(root, ...e.path.split('/'));
    if (!inside(root, p) || p === root) throw new PaniniError('PATH', `entry "${e.path}" would land outside ${final}`, { path: e.path });
    return p;
  };
  // 1. directories (no links yet, so nothing can redirect them)
  for (const e of entries) {
    if (e.type !== 'dir') continue;
    const p = target(e);
    assertNoLinkOnPath(root, p, checked);
    const st = await fsp.lstat(p).catch(() => undefined);
    if (st && !st.isDirectory()) {
      if (!force) throw new PaniniError('EXISTS', `${p} exists and is not a directory`, { path: p });
      await fsp.rm(p, { force: true });
    }
    await fsp.mkdir(p, { recursive: true }).catch((err) => {
      throw ioError(err, 'create', p);
    });
  }
  // 2. files: one verified walk over the output stream (every chunk checked, then the whole SHA-256), cut into the
  //    files by their sizes in output order
  const files = outputFiles(manifest);
  let fi = 0;
  let cur: { e: ManifestEntry; f: AtomicFile; d: FileDigest } | undefined;
  const next = async (): Promise<void> => {
    // open the next file; files of size 0 are written at once
    while (!cur && fi < files.length) {
      const e = files[fi++]!;
      const p = target(e);
      assertNoLinkOnPath(root, p, checked);
      cur = { e, f: await AtomicFile.create(p, force, e.size), d: new FileDigest(e) };
      if (e.size === 0) await close();
    }
  };
  const close = async (): Promise<void> => {
    const c = cur!;
    cur = undefined;
    const bad = c.d.mismatch();
    if (bad) {
      await c.f.discard();
      throw new PaniniError('CHECKSUM', `file "${c.e.path}" decodes to ${bad}`, { path: c.e.path });
    }
    await c.f.commit(c.e.mode, fsTime(c.e.mtime));
    if (c.e.size > 0) written.push({ start: curStart, size: c.e.size, path: c.f.path });
    curStart += c.e.size;
  };
  // the files written so far, in output order: copies and REFs that reach past the decoder's history read them back
  const written: Array<{ start: number; size: number; path: string }> = [];
  let curStart = 0;
  const reader = new FileReadBack();
  const readBack = async (at: number, n: number): Promise<Uint8Array> => {
    const out = new Uint8Array(n);
    let k = 0;
    while (k < n) {
      const o = at + k;
      let part: Uint8Array;
      if (cur && o >= curStart) {
        part = await cur.f.readAt(o - curStart, Math.min(n - k, cur.f.written - (o - curStart)));
      } else {
        const w = written[lastAtOrBefore(0, written.length - 1, (j) => written[j]!.start, o)];
        if (!w || o < w.start || o >= w.start + w.size) throw new PaniniError('STATE', `output byte ${o} is in no file written so far`);
        part = await reader.read(w.path, o - w.start, Math.min(n - k, w.start + w.size - o));
      }
      if (part.length === 0) throw new PaniniError('STATE', `output byte ${o} is in no file written so far`);
      out.set(part, k);
      k += part.length;
    }
    return out;
  };
  const decoder = makeDecoder(o.workers, info.footer); // no threads for a small output
  try {
    await next();
    await walk(src, info, { ...o, decoder, readBack }, async (chunk, i) => {
      let k = 0;
      while (k < chunk.length) {
        if (!cur) throw new PaniniError('FORMAT', `record ${i} holds bytes beyond the last file`, { record: i });
        const take = Math.min(chunk.length - k, cur.e.size - cur.d.size);
        const part = chunk.subarray(k, k + take);
        await cur.f.write(part);
        cur.d.update(part);
        k += take;
        if (cur.d.size === cur.e.size) {
          await close();
          await next();
        }
      }
    });
    if (cur || fi < files.length) throw new PaniniError('FORMAT', 'the output stream ended before the last file', {});
  } catch (e) {
    if (cur) await (cur as { f: AtomicFile }).f.discard();
    throw e;
  } finally {
    await reader.close();
    await decoder?.close();
  }
  // 3. hard links, to files written in step 2 (a copy where the file system has no hard links)
  for (const e of entries) {
    if (e.type !== 'hardlink') continue;
    const p = target(e);
    const to = target({ ...e, path: e.target! });
    assertNoLinkOnPath(root, p, checked);
    await replaceable(p, force);
    await fsp.link(to, p).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPERM' && err.code !== 'EXDEV' && err.code !== 'ENOTSUP' && err.code !== 'EMLINK' && err.code !== 'ENOSYS') throw ioError(err, 'create hard link', p);
      await fsp.copyFile(to, p, fsConstants.COPYFILE_EXCL).catch((e2) => {
        throw ioError(e2, 'copy', p);
      });
    });
  }
  // 4. symlinks last, as stored (a target outside the tree or nowhere is kept as it is, as tar and restic do). Safe:
  //    nothing is written after them, no entry's path goes through one (every parent is a directory entry) and every
  //    existing component on a link's own path was checked to be a real directory.
  for (const e of entries) {
    if (e.type !== 'symlink') continue;
    const p = target(e);
    assertNoLinkOnPath(root, p, checked);
    await replaceable(p, force);
    await fsp.symlink(e.target!, p).catch((err) => {
      throw ioError(err, 'create symlink', p);
    });
    await fsp.lutimes(p, fsTime(e.mtime), fsTime(e.mtime)).catch(() => undefined);
  }
  // 5. directory modes and times, deepest first (lstat first: never chmod through a link)
  for (const e of [...entries].reverse()) {
    if (e.type !== 'dir') continue;
    const p = target(e);
    if (!(await fsp.lstat(p).then((st) => st.isDirectory(), () => false))) continue;
    await fsp.chmod(p, e.mode).catch(() => undefined);
    await fsp.utimes(p, fsTime(e.mtime), fsTime(e.mtime)).catch(() => undefined);
  }
  return { kind: 'tree', outputBytes: info.footer.totalSize, sha256: hex(info.end.sha256), files: files.length, path: final };
}

/** Makes room for a link at `p`: nothing there, or (with `force`) a file or link there removed; a directory stays (EXISTS). */
async function replaceable(p: string, force: boolean): Promise<void> {
  const st = await fsp.lstat(p).catch(() => undefined);
  if (!st) return;
  if (!force || st.isDirectory()) throw new PaniniError('EXISTS', `${p} exists${st.isDirectory() ? ' and is a directory' : ' (use --force to overwrite)'}`, { path: p });
  await fsp.rm(p, { force: true }).catch((err) => {
    throw ioError(err, 'replace', p);
  });
}

/** What a container file holds, without decoding it: 'tree', 'file' or 'stream'. */
export async function containerKind(path: string): Promise<'tree' | 'file' | 'stream'> {
  const manifest = await containerManifest(path);
  return manifest ? manifest.root : 'stream';
}

/** The manifest of a container file (undefined for a bare stream), read from its end without decoding any record. */
export async function containerManifest(path: string): Promise<Manifest | undefined> {
  const { src, manifest } = await openVerified(path);
  await src.close();
  return manifest;
}

export async function verifyFile(path: string, options?: Pick<DecompressOptions, 'signal' | 'onProgress'>): Promise<VerifyReport> {
  const o = resolveDecompressOptions(options, 'verifyFile', Number.MAX_SAFE_INTEGER);
  await init();
  const src = await openFileSource(path);
  try {
    return await verifySource(src, o);
  } finally {
    await src.close();
  }
}

export async function inspectFile(path: string): Promise<Inspection> {
  await init();
  const src = await openFileSource(path);
  try {
    return await inspectSource(src);
  } finally {
    await src.close();
  }
}

/**
 * One file out of a container file, by its manifest path, with random access: only the records holding it (and those
 * they copy from) are decoded; checked against the manifest's SHA-256. With `out`, writes it there atomically
 * (never over an existing file without `force`); returns the bytes and what the read cost.
 */
export async function extractFile(path: string, entry: string, options?: { out?: string; force?: boolean; maxOutputSize?: number; signal?: AbortSignal }): Promise<ExtractResult> {
  const { out, force, ...rest } = assertOptions<{ out?: string; force?: boolean; maxOutputSize?: number; signal?: AbortSignal }>('extractFile', options, ['out', 'force', 'maxOutputSize', 'signal']);
  if (out !== undefined && (typeof out !== 'string' || out.length === 0)) throw new PaniniError('OPTION', 'out must be a non-empty path', { option: 'out' });
  await init();
  const src = await openFileSource(path);
  let r: ExtractResult;
  try {
    r = await extractSource(src, entry, rest);
  } finally {
    await src.close();
  }
  if (out !== undefined) {
    const f = await AtomicFile.create(out, assertBool('force', force ?? false), r.data.length);
    try {
      await f.write(r.data);
      await f.commit();
    } catch (e) {
      await f.discard();
      throw e;
    }
  }
  return r;
}
