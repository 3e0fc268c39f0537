// A directory tree held in memory (a browser's dropped folder, files from a directory picker) written as one tree
// container: the same solid layout as the Node tree writer, so the CLI, extract() and extractTree read it alike.
import { PaniniError } from '../errors.js';
import { assertBytes } from '../validate.js';
import { crc32 } from '../hash/crc32.js';
import { concatBytes as concat } from '../bytes.js';
import { encodeInputs } from './api.js';
import { checkPath, encodeManifest, MANIFEST_VERSION, MAX_MTIME_V2, type ManifestEntry } from './manifest.js';
import { type CompressOptions, resolveCompressOptions } from './options.js';

export interface FileInput {
  /** POSIX relative path inside the tree, '/'-separated */
  path: string;
  data: Uint8Array;
  /** permission bits; 0o644 when absent */
  mode?: number;
  /** modification time in milliseconds since the epoch; 0 when absent */
  mtime?: number;
}

/**
 * Compresses files given in memory into one tree container (manifest root 'tree'): parent directories are recorded
 * before their children, files in path order are one stream, and a file of at least the average chunk size starts and
 * ends on a chunk boundary so identical large files dedup exactly.
 */
export async function compressFiles(files: readonly FileInput[], options?: CompressOptions): Promise<Uint8Array> {
  if (!Array.isArray(files)) throw new PaniniError('OPTION', 'compressFiles: files must be an array of { path, data }', { option: 'files' });
  const o = resolveCompressOptions(options, 'compressFiles');
  const seen = new Set<string>();
  const list = files.map((f, i) => {
    const path = checkPath(f?.path, `files[${i}].path`);
    assertBytes(`files[${i}].data ("${path}")`, f.data);
    if (seen.has(path)) throw new PaniniError('PATH', `compressFiles: path "${path}" is given twice`, { path });
    seen.add(path);
    const mtime = Math.trunc(f.mtime ?? 0);
    if (!Number.isFinite(mtime) || Math.abs(mtime) > MAX_MTIME_V2) throw new PaniniError('OPTION', `compressFiles: files[${i}].mtime must be milliseconds within ±${MAX_MTIME_V2}, got ${String(f.mtime)}`, { option: `files[${i}].mtime` });
    return { path, data: f.data, mode: (f.mode ?? 0o644) & 0o7777, mtime };
  });
  list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of list) {
    const segs = f.path.split('/');
    for (let d = 1; d < segs.length; d++) {
      const dir = segs.slice(0, d).join('/');
      if (seen.has(dir)) throw new PaniniError('PATH', `compressFiles: "${dir}" is a file and the directory of "${f.path}"`, { path: dir });
    }
  }
  const total = list.reduce((s, f) => s + f.data.length, 0);
  const parts: Uint8Array[] = [];
  let size = 0;
  await encodeInputs(
    o,
    (b) => {
      parts.push(b);
      size += b.length;
    },
    async (add, assembler) => {
      const entries: ManifestEntry[] = [];
      const dirs = new Set<string>();
      const asm = assembler();
      const big = o.strategy === 'fixed' ? o.chunkSize : o.avgSize;
      for (const f of list) {
        const segs = f.path.split('/');
        for (let d = 1; d < segs.length; d++) {
          const dir = segs.slice(0, d).join('/');
          if (!dirs.has(dir)) {
            dirs.add(dir);
            entries.push({ path: dir, type: 'dir', mode: 0o755, mtime: 0, size: 0 });
          }
        }
        const aligned = f.data.length >= big;
        if (aligned) for (const c of asm.cut()) await add(c);
        for (const c of asm.push(f.data)) await add(c);
        if (aligned) for (const c of asm.cut()) await add(c);
        entries.push({ path: f.path, type: 'file', mode: f.mode, mtime: f.mtime, size: f.data.length, crc32: crc32(f.data) });
      }
      for (const c of asm.flush()) await add(c);
      return encodeManifest({ version: MANIFEST_VERSION, root: 'tree', entries });
    },
    total,
  );
  return concat(parts, size);
}
