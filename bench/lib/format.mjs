// Number formatting shared by the progress log and the reports.
export function fmtBytes(n) {
  if (n == null) return '–';
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** 3 significant digits, no exponent for the ranges we meet. */
export function fmtNum(x) {
  if (x == null || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toString();
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

export const fmtRatio = (x) => (x == null ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const fmtSpeed = fmtNum;
export const fmtRss = (n) => (n == null ? '–' : `${(n / 1048576).toFixed(0)} MiB`);
export const fmtPct = (x) => (x == null ? '–' : `${(x * 100).toFixed(1)}%`);

/** One line of progress for a finished row. */
export function fmtRow(r) {
  const what = `[${r.section}] ${r.item} · ${r.tool} ${r.variant}`;
  if (r.status !== 'ok') return `${what}: FAILED ${r.error}`;
  if (r.itemKind === 'core') return `${what}: ${fmtSpeed(r.throughputMBps)} MB/s (${r.runs} runs)`;
  const v = r.verified === true ? 'ok' : r.verified === false ? 'NOT VERIFIED' : '-';
  return (
    `${what}: ${fmtBytes(r.compressedBytes)} ratio ${fmtRatio(r.ratio)}, ` +
    `c ${fmtSpeed(r.compressMBps)} MB/s, d ${fmtSpeed(r.decompressMBps)} MB/s, rss ${fmtRss(r.peakRssBytes)}, ` +
    `runs ${r.runs}/${r.decompressRuns}, verified ${v}`
  );
}
