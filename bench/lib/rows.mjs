// One row per measurement, always with the same fields in the same order (documented in bench/README.md).
import { mbps, median, ratio } from './util.mjs';

export const PANINI = 'panini-fs';

export const ROW_FIELDS = [
  'section', // 'single' | 'trees' | 'core' (more sections may be added; the field set stays)
  'item', // what was measured: file name, 'tree/NAME', 'versions', or a core operation
  'itemKind', // 'file' | 'tree' | 'versions' | 'core'
  'tool', // 'panini-fs', 'zstd', 'xz', 'brotli', 'fflate', 'zlib-gzip', 'zlib-brotli', 'tar+zstd', 'zpaq', ...
  'variant', // the setting: 'L6 cdc', '-19', '-22 --ultra --long=27', ...
  'key', // `${section}/${item}/${tool}/${variant}` (what --filter matches)
  'isPanini', // tool === 'panini-fs'
  'status', // 'ok' | 'failed'
  'error', // null, or why it failed
  'originalBytes', // input bytes (a tree: all its files; versions: all versions together)
  'compressedBytes', // output bytes (a backup tool: its repository size on disk after adding every version)
  'ratio', // originalBytes / compressedBytes (higher is better)
  'compressSeconds', // median wall time of one compression (a backup tool: adding all versions in order)
  'decompressSeconds', // median wall time of one decompression / extraction / restore
  'compressMBps', // originalBytes / 10^6 / compressSeconds
  'decompressMBps', // restoredBytes / 10^6 / decompressSeconds
  'throughputMBps', // core rows: bytes / 10^6 / seconds of the operation; null elsewhere
  'peakRssBytes', // max(compressPeakRssBytes, decompressPeakRssBytes), null when not measurable
  'compressPeakRssBytes',
  'decompressPeakRssBytes',
  'verified', // true: round trip checked bit-perfect; false: it was not; null: not applicable (core)
  'verifiedScope', // 'file' | 'tree' | 'last-version' (backup tools restore the last version) | null
  'runs', // compression runs done (the median is of these)
  'decompressRuns',
  'compressTimes', // every run, seconds
  'decompressTimes',
  'restoredBytes', // bytes written by one decompression (= originalBytes except for 'last-version')
  'files', // trees: number of files in the input; null for single files
  'versions', // trees: number of versions added (1 for a plain tree); null for single files
  'threads', // threads the tool was allowed (--threads), null when it has no such setting
  'command', // CLI tools: the compression command line, for reproducing it by hand
];

export function makeRow(fields) {
  const r = {};
  for (const f of ROW_FIELDS) r[f] = null;
  Object.assign(r, fields);
  r.key = `${r.section}/${r.item}/${r.tool}/${r.variant}`;
  r.isPanini = r.tool === PANINI;
  r.status ??= r.error ? 'failed' : 'ok';
  if (r.compressTimes) {
    r.runs = r.compressTimes.length;
    r.compressSeconds = median(r.compressTimes);
  }
  if (r.decompressTimes) {
    r.decompressRuns = r.decompressTimes.length;
    r.decompressSeconds = median(r.decompressTimes);
  }
  if (r.restoredBytes == null && r.decompressTimes && r.itemKind !== 'core') r.restoredBytes = r.originalBytes;
  r.ratio ??= ratio(r.originalBytes, r.compressedBytes);
  if (r.itemKind !== 'core') {
    r.compressMBps ??= mbps(r.originalBytes, r.compressSeconds);
    r.decompressMBps ??= mbps(r.restoredBytes, r.decompressSeconds);
  }
  const rss = [r.compressPeakRssBytes, r.decompressPeakRssBytes].filter((x) => x != null);
  r.peakRssBytes ??= rss.length ? Math.max(...rss) : null;
  if (r.status !== 'ok' && r.verified == null && r.itemKind !== 'core') r.verified = false;
  // keep the documented order, extra fields after
  const ordered = {};
  for (const f of ROW_FIELDS) ordered[f] = r[f];
  for (const [k, v] of Object.entries(r)) if (!(k in ordered)) ordered[k] = v;
  return ordered;
}

/** Rows that may be compared: measured, and bit-perfect where that applies. */
export function countable(r) {
  return r.status === 'ok' && r.verified !== false && r.ratio != null;
}
