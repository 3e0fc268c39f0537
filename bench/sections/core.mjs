// Section "core": SHA-256 / CRC32 / CDC throughput of the panini-fs WebAssembly core next to node:crypto,
// hash-wasm and zlib.crc32.
// The measurement is runCoreBench() of bench/core-lib.mjs (the library behind `npm run bench:core`), so both
// commands measure the same thing (random data, interleaved runs, medians); its rows are mapped onto the harness's
// row fields. Should that file be missing, a small built-in measurement runs instead.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { makeRow, PANINI } from '../lib/rows.mjs';
import { errorMessage, exists, median } from '../lib/util.mjs';

const CORE_LIB = new URL('../core-lib.mjs', import.meta.url);

/** Deterministic test data: xorshift32 bytes with runs of text mixed in (CDC behaves as on real data). */
export function coreData(size) {
  const out = new Uint8Array(size);
  let x = 0x9e3779b9;
  const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog; ');
  for (let i = 0; i < size; ) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if ((x & 7) === 0) {
      const n = Math.min(size - i, 16 + (x >>> 24));
      for (let j = 0; j < n; j++) out[i + j] = text[(j + (x >>> 8)) % text.length];
      i += n;
    } else {
      out[i++] = x & 0xff;
    }
  }
  return out;
}

async function loadCoreLib() {
  if (!(await exists(CORE_LIB.pathname))) return null;
  const m = await import(CORE_LIB.href);
  return typeof m.runCoreBench === 'function' ? m.runCoreBench : null;
}

/** Maps a row of runCoreBench() ({ op, impl, mbps, medianMs, runsMs, vsHashWasm }) onto the harness's fields. */
function normalise(r, sizeMiB) {
  const impl = String(r.impl ?? '?');
  const m = /^(\S+)\s*(.*)$/.exec(impl);
  const tool = impl.startsWith('panini-fs') ? PANINI : (m?.[1] ?? impl);
  const detail = (m?.[2] ?? '').replace(/^\((.*)\)$/, '$1');
  const times = Array.isArray(r.runsMs) ? r.runsMs.map((ms) => ms / 1000) : null;
  return makeRow({
    section: 'core',
    item: String(r.op ?? '?'),
    itemKind: 'core',
    tool,
    variant: `${sizeMiB} MiB${detail ? `, ${detail}` : ''}`,
    originalBytes: sizeMiB * 1048576,
    compressTimes: times,
    throughputMBps: r.mbps ?? null,
    vsHashWasm: r.vsHashWasm ?? null,
    bestMBps: r.bestMbps ?? null,
  });
}

async function builtIn(ctx) {
  const size = ctx.quick ? 4 << 20 : 64 << 20;
  const data = coreData(size);
  const variant = `${size >> 20} MiB`;
  const cases = [];
  let panini = null;
  try {
    panini = await import(process.env.PANINI_BENCH_DIST ? pathToFileURL(process.env.PANINI_BENCH_DIST).href : new URL('../../dist/node.js', import.meta.url).href);
    await panini.init?.();
  } catch (e) {
    ctx.note(`core: cannot load dist/node.js (${errorMessage(e)}); panini-fs core rows left out`);
  }
  let hw = null;
  try {
    hw = await import('hash-wasm');
  } catch {
    ctx.note('core: hash-wasm is not installed; its rows are left out');
  }
  if (panini?.sha256) cases.push({ item: 'sha256', tool: PANINI, fn: () => panini.sha256(data) });
  cases.push({ item: 'sha256', tool: 'node:crypto', fn: () => createHash('sha256').update(data).digest() });
  if (hw) {
    const h = await hw.createSHA256();
    cases.push({ item: 'sha256', tool: 'hash-wasm', fn: () => h.init().update(data).digest('binary') });
  }
  if (panini?.crc32) cases.push({ item: 'crc32', tool: PANINI, fn: () => panini.crc32(data) });
  if (typeof zlib.crc32 === 'function') cases.push({ item: 'crc32', tool: 'zlib.crc32', fn: () => zlib.crc32(data) });
  if (hw) {
    const h = await hw.createCRC32();
    cases.push({ item: 'crc32', tool: 'hash-wasm', fn: () => h.init().update(data).digest('binary') });
  }
  if (panini?.chunk) {
    cases.push({ item: 'cdc', tool: PANINI, variant: `${variant}, FastCDC avg 64 KiB`, fn: () => panini.chunk(data, { strategy: 'cdc' }) });
  }
  const rows = [];
  for (const c of cases) {
    const v = c.variant ?? variant;
    if (!ctx.want(`core/${c.item}/${c.tool}/${v}`)) continue;
    try {
      c.fn(); // warm-up (JIT, lazy init), not timed
      const times = [];
      let total = 0;
      for (let i = 0; i < Math.max(ctx.quick ? 1 : 5, ctx.runs); i++) {
        const t0 = performance.now();
        c.fn();
        const s = (performance.now() - t0) / 1000;
        times.push(s);
        total += s;
        if (total >= ctx.budgetS) break;
      }
      const s = median(times);
      rows.push(
        makeRow({
          section: 'core',
          item: c.item,
          itemKind: 'core',
          tool: c.tool,
          variant: v,
          originalBytes: size,
          compressTimes: times,
          throughputMBps: size / 1e6 / s,
        }),
      );
    } catch (e) {
      rows.push(makeRow({ section: 'core', item: c.item, itemKind: 'core', tool: c.tool, variant: v, error: errorMessage(e) }));
    }
    ctx.report(rows[rows.length - 1]);
  }
  return rows;
}

export default {
  name: 'core',
  title: 'Core: hashing and chunking throughput',
  async run(ctx) {
    let lib = null;
    try {
      lib = await loadCoreLib();
    } catch (e) {
      ctx.note(`core: bench/core-lib.mjs failed to load (${errorMessage(e)}); the built-in measurement ran instead`);
    }
    if (lib) {
      const sizeMiB = ctx.quick ? 4 : 64;
      // --filter: skip the whole run when no key it could produce matches
      const ops = ['sha256', 'crc32', 'chunk cdc (avg 64 KiB)', 'chunk fixed (64 KiB)'];
      const impls = [PANINI, 'hash-wasm', 'node:crypto', 'node:zlib'];
      if (!ops.some((o) => impls.some((t) => ctx.want(`core/${o}/${t}/${sizeMiB} MiB`)))) return [];
      const { rows: got } = await lib({ sizeMiB, runs: ctx.runs, log: (l) => ctx.log(`  core: ${l}`) });
      const rows = got.map((r) => normalise(r, sizeMiB)).filter((r) => ctx.want(r.key));
      for (const r of rows) ctx.report(r);
      return rows;
    }
    return builtIn(ctx);
  },
};
