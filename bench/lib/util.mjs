// Small helpers shared by the harness, its sections and its workers. No dependencies beyond node:*.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export const MB = 1e6; // MB/s in every table and field means 10^6 bytes per second

/** The benchmark corpus: $PANINI_CORPUS_DIR, else ~/.cache/panini-fs/corpus/dev (the harness builds it there). */
export function defaultCorpusDir() {
  return process.env.PANINI_CORPUS_DIR || join(homedir(), '.cache', 'panini-fs', 'corpus', 'dev');
}

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** bytes / seconds in MB/s (10^6), or null when either is missing */
export function mbps(bytes, seconds) {
  if (bytes == null || seconds == null || !(seconds > 0)) return null;
  return bytes / MB / seconds;
}

export function ratio(original, compressed) {
  if (!original || !compressed) return null;
  return original / compressed;
}

/**
 * The repetition rule used everywhere: run up to `runs` times, stop early once the finished runs took `budgetS`
 * seconds in all; always at least once. Returns the list of durations in seconds.
 */
export async function repeat(runs, budgetS, once) {
  const times = [];
  let total = 0;
  for (let i = 0; i < Math.max(1, runs); i++) {
    const t = await once(i);
    times.push(t);
    total += t;
    if (total >= budgetS) break;
  }
  return times;
}

export function sha256Hex(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256File(path) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let size = 0;
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (b) => {
        h.update(b);
        size += b.length;
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), size }));
  });
}

/** Regular files under dir (recursive), as sorted relative paths with sizes. Symlinks are listed as links. */
export async function walkTree(dir) {
  const out = [];
  async function visit(d) {
    const ents = await readdir(d, { withFileTypes: true });
    for (const e of ents) {
      const p = join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile()) out.push({ path: relative(dir, p), size: (await stat(p)).size, kind: 'file' });
      else if (e.isSymbolicLink()) out.push({ path: relative(dir, p), size: 0, kind: 'link' });
    }
  }
  await visit(dir);
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/** Total size of the regular files under dir (a repository's or a tree's size on disk, apparent bytes). */
export async function treeBytes(dir) {
  let n = 0;
  for (const f of await walkTree(dir)) n += f.size;
  return n;
}

export async function fileCount(dir) {
  return (await walkTree(dir)).length;
}

/** Digest of a whole tree: sha256 over "path\0size\0sha256\n" lines (sorted). Used to compare two trees. */
export async function treeDigest(dir) {
  const h = createHash('sha256');
  let bytes = 0;
  const files = await walkTree(dir);
  for (const f of files) {
    if (f.kind !== 'file') {
      h.update(`${f.path}\0link\n`);
      continue;
    }
    const { sha256, size } = await sha256File(join(dir, f.path));
    h.update(`${f.path}\0${size}\0${sha256}\n`);
    bytes += size;
  }
  return { digest: h.digest('hex'), files: files.length, bytes };
}

/** True when both trees hold the same relative paths with the same bytes. */
export async function sameTree(a, b) {
  const [x, y] = await Promise.all([treeDigest(a), treeDigest(b)]);
  return x.digest === y.digest;
}

export async function tempDir(prefix = 'panini-bench-') {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function rmrf(p) {
  await rm(p, { recursive: true, force: true, maxRetries: 3 });
}

export async function exists(p) {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

export function naturalCompare(a, b) {
  return a.localeCompare(b, 'en', { numeric: true });
}

export function errorMessage(e) {
  if (e == null) return 'unknown error';
  if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`;
  return String(e);
}
