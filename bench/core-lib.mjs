// Core throughput: panini-fs SHA-256 (SIMD and scalar builds), CRC32, FastCDC and fixed chunking, next to
// hash-wasm and Node's own (OpenSSL SHA-256, zlib CRC32), all on the same random buffer in the same run.
// Repetitions are interleaved (every case once per round) and the median of the rounds is reported.
// Used by bench/core.mjs (the `bench:core` script) and by the benchmark harness (bench/run.mjs, "Core" section):
//   import { runCoreBench, formatCoreTable } from './core-lib.mjs';
//   const { rows, meta } = await runCoreBench({ sizeMiB: 64, runs: 5 });
// Needs the built package (dist/, `npm run build`).
import { createHash, randomFillSync } from 'node:crypto';
import { cpus } from 'node:os';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { createCRC32, createSHA256 } from 'hash-wasm';

const DIST = new URL('../dist/index.js', import.meta.url).href;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs the core benchmark. Returns { rows, meta }: one row per case with
 *   { op, impl, mbps (1e6 bytes per second, from the median time), medianMs, bestMbps (from the fastest run: less
 *   sensitive to other load on the machine), runsMs, vsHashWasm (panini/hash-wasm median throughput ratio, for the
 *   panini SHA-256 and CRC32 rows) }.
 * @param {{ sizeMiB?: number, runs?: number, log?: (line: string) => void }} [options]
 */
export async function runCoreBench({ sizeMiB = 64, runs = 5, log = () => {} } = {}) {
  if (runs < 1) throw new Error('runs must be >= 1');
  // two instances of the package, each holding its own wasm core: one forced to each build
  const simd = await import(`${DIST}?core=simd`);
  const scalar = await import(`${DIST}?core=scalar`);
  await simd.init({ variant: 'simd' });
  await scalar.init({ variant: 'scalar' });
  if (!simd.coreInfo().simd) log('warning: this engine does not validate the SIMD build; the "simd" row runs the scalar one');
  const hwSha = await createSHA256();
  const hwCrc = await createCRC32();

  const bytes = sizeMiB * 1024 * 1024;
  const data = new Uint8Array(bytes);
  for (let off = 0; off < bytes; off += 65536) randomFillSync(data, off, Math.min(65536, bytes - off));

  // sanity: every implementation agrees before anything is timed
  const want = createHash('sha256').update(data).digest('hex');
  const hex = (b) => Buffer.from(b).toString('hex');
  if (hex(simd.sha256(data)) !== want || hex(scalar.sha256(data)) !== want) throw new Error('panini sha256 disagrees with node:crypto');
  if (hwSha.init().update(data).digest('hex') !== want) throw new Error('hash-wasm sha256 disagrees with node:crypto');
  const crcWant = zlibCrc32(data) >>> 0;
  if (simd.crc32(data) !== crcWant || parseInt(hwCrc.init().update(data).digest('hex'), 16) !== crcWant) {
    throw new Error('crc32 implementations disagree');
  }

  let sink = 0; // keeps results alive
  const cases = [
    { op: 'sha256', impl: 'panini-fs (simd build)', fn: () => (sink ^= simd.sha256(data)[0]) },
    { op: 'sha256', impl: 'panini-fs (scalar build)', fn: () => (sink ^= scalar.sha256(data)[0]) },
    { op: 'sha256', impl: 'hash-wasm', fn: () => (sink ^= hwSha.init().update(data).digest('binary')[0]) },
    { op: 'sha256', impl: 'node:crypto (OpenSSL)', fn: () => (sink ^= createHash('sha256').update(data).digest()[0]) },
    { op: 'crc32', impl: 'panini-fs', fn: () => (sink ^= simd.crc32(data)) },
    { op: 'crc32', impl: 'hash-wasm', fn: () => (sink ^= hwCrc.init().update(data).digest('binary')[0]) },
    { op: 'crc32', impl: 'node:zlib', fn: () => (sink ^= zlibCrc32(data)) },
    { op: 'chunk cdc (avg 64 KiB)', impl: 'panini-fs', fn: () => (sink ^= simd.chunk(data).length) },
    { op: 'chunk fixed (64 KiB)', impl: 'panini-fs', fn: () => (sink ^= simd.chunk(data, { strategy: 'fixed' }).length) },
  ];

  for (const c of cases) c.fn(); // warm-up
  const times = cases.map(() => []);
  for (let r = 0; r < runs; r++) {
    // rotate the starting case each round so no case always runs first after a GC-heavy one
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length;
      const t0 = process.hrtime.bigint();
      cases[i].fn();
      times[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    log(`round ${r + 1}/${runs} done`);
  }

  const rows = cases.map((c, i) => {
    const medianMs = median(times[i]);
    const bestMs = Math.min(...times[i]);
    return {
      op: c.op,
      impl: c.impl,
      mbps: bytes / 1e6 / (medianMs / 1000),
      medianMs,
      bestMbps: bytes / 1e6 / (bestMs / 1000),
      runsMs: times[i],
    };
  });
  for (const row of rows) {
    const base = rows.find((x) => x.op === row.op && x.impl === 'hash-wasm');
    row.vsHashWasm = row.impl.startsWith('panini-fs') && base ? row.mbps / base.mbps : undefined;
  }
  const meta = {
    sizeMiB,
    runs,
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    simdValidated: simd.coreInfo().simd,
    date: new Date().toISOString(),
    sink,
  };
  return { rows, meta };
}

const fmt = (mbps) => (mbps >= 100_000 ? mbps.toExponential(2) : mbps.toFixed(0));

/** A fixed-width text table of the rows. */
export function formatCoreTable(rows) {
  const head = ['operation', 'implementation', 'MB/s', 'median ms', 'best MB/s', 'vs hash-wasm'];
  const body = rows.map((r) => [
    r.op,
    r.impl,
    fmt(r.mbps),
    r.medianMs.toFixed(2),
    fmt(r.bestMbps),
    r.vsHashWasm === undefined ? '' : `${r.vsHashWasm.toFixed(2)}x`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i >= 2 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

/** The same rows as a Markdown table (for README.md and the harness report). */
export function formatCoreMarkdown(rows) {
  const out = ['| operation | implementation | MB/s (median) | MB/s (best) | vs hash-wasm |', '|---|---|---:|---:|---:|'];
  for (const r of rows) {
    out.push(`| ${r.op} | ${r.impl} | ${fmt(r.mbps)} | ${fmt(r.bestMbps)} | ${r.vsHashWasm === undefined ? '' : `${r.vsHashWasm.toFixed(2)}x`} |`);
  }
  return out.join('\n');
}
