// Section "single": every file of corpus/single/ through panini-fs and the anchors, in the same run.
// Every measurement runs in its own child process (node workers for in-process codecs, the CLI itself for CLI
// tools), so each one's peak RSS is its own. Every round trip is checked before a row counts.
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runNodeWorker } from '../lib/child.mjs';
import { makeRow, PANINI } from '../lib/rows.mjs';
import { runChecked } from '../lib/tools.mjs';
import { errorMessage, repeat, sha256File } from '../lib/util.mjs';

const BENCH = new URL('..', import.meta.url).pathname;
export const PANINI_WORKER = join(BENCH, 'worker-panini.mjs');
const JS_WORKER = join(BENCH, 'lib', 'worker-js.mjs');

/**
 * panini-fs settings: levels 1/6/9 with the default strategy (cdc), fixed and adaptive at the default level, all with
 * the library's default codec (no `codec` option passed); and, where the build has the codec option with "plz",
 * levels 1/6/9 cdc with codec plz (variant names end in " plz"), and likewise with codec dhatu (" dhatu").
 */
export function paniniVariants(threads, codecs = [], frontier = false) {
  const v = (level, strategy, quick = false, codec = null) => ({
    variant: `L${level} ${strategy}${codec ? ` ${codec}` : ''}`,
    options: { level, strategy, workers: threads, ...(codec ? { codec } : {}) },
    quick,
  });
  const out = [v(1, 'cdc', true), v(6, 'cdc'), v(9, 'cdc'), v(6, 'fixed'), v(6, 'adaptive')];
  if (codecs.includes('plz')) out.push(v(1, 'cdc', false, 'plz'), v(6, 'cdc', false, 'plz'), v(9, 'cdc', false, 'plz'));
  if (codecs.includes('dhatu')) out.push(v(1, 'cdc', true, 'dhatu'), v(6, 'cdc', false, 'dhatu'), v(9, 'cdc', false, 'dhatu'));
  if (frontier && codecs.includes('dhatu')) out.push(...[2, 3, 4, 5].map((l) => v(l, 'cdc', false, 'dhatu')));
  return out;
}

const JS_ANCHORS = [
  { tool: 'fflate', codec: 'fflate-gzip', levels: [1, 6, 9], prefix: '-' },
  { tool: 'zlib-gzip', codec: 'zlib-gzip', levels: [1, 6, 9], prefix: '-' },
  { tool: 'zlib-brotli', codec: 'zlib-brotli', levels: [5, 11], prefix: 'q' },
];

/** CLI anchors: variant label, compression args (before the file), decompression args. `frontier` adds the levels
 *  in between (--frontier). */
export function cliAnchors(threads, frontier = false) {
  const T = `-T${threads}`;
  const more = (list) => (frontier ? list : []);
  return [
    {
      tool: 'zstd',
      variants: [
        { variant: '-3', args: ['-3', T], quick: true },
        ...more([9, 12, 15, 16, 17, 18].map((l) => ({ variant: `-${l}`, args: [`-${l}`, T] }))),
        { variant: '-19', args: ['-19', T] },
        { variant: '-22 --ultra --long=27', args: ['--ultra', '-22', '--long=27', T] },
      ],
      compress: (args, file) => ['-q', '-c', ...args, file],
      decompress: (file) => ['-d', '-q', '-c', '--memory=2048MB', file],
      threads: true,
    },
    {
      tool: 'xz',
      variants: [
        ...more([1, 2, 3, 4, 6].map((l) => ({ variant: `-${l}`, args: [`-${l}`, T] }))),
        { variant: '-9e', args: ['-9e', T], quick: true },
      ],
      compress: (args, file) => ['-c', '-k', ...args, file],
      decompress: (file) => ['-d', '-c', file],
      threads: true,
    },
    {
      tool: 'brotli',
      variants: [
        ...more([5, 9].map((q) => ({ variant: `-q ${q}`, args: ['-q', String(q)] }))),
        { variant: '-q 11', args: ['-q', '11'], quick: true },
      ],
      compress: (args, file) => ['-c', ...args, file],
      decompress: (file) => ['-d', '-c', file],
      threads: false,
    },
  ];
}

async function measureWorker(ctx, script, base, file, options, dOptions = options) {
  const packed = join(ctx.tmp, `${base.tool}.packed`);
  const common = { options, runs: ctx.runs, budgetS: ctx.budgetS };
  try {
    const c = await runNodeWorker(script, { op: 'compress', input: file.path, output: packed, ...common });
    if (!c.ok) throw new Error(`compress: ${c.error}`);
    const d = await runNodeWorker(script, {
      op: 'decompress',
      input: packed,
      original: file.path,
      ...common,
      options: dOptions,
    });
    if (!d.ok) throw new Error(`decompress: ${d.error}`);
    return makeRow({
      ...base,
      compressedBytes: c.bytesOut,
      compressTimes: c.times,
      decompressTimes: d.times,
      compressPeakRssBytes: c.peakRssBytes,
      decompressPeakRssBytes: d.peakRssBytes,
      verified: d.verified === true && d.sha256 === file.sha256,
    });
  } catch (e) {
    return makeRow({ ...base, error: errorMessage(e) });
  } finally {
    await rm(packed, { force: true });
  }
}

async function measureCli(ctx, anchor, v, base, file) {
  const cmd = ctx.tools[anchor.tool];
  const packed = join(ctx.tmp, `${anchor.tool}.packed`);
  const unpacked = join(ctx.tmp, `${anchor.tool}.unpacked`);
  const cArgs = anchor.compress(v.args, file.path);
  const dArgs = anchor.decompress(packed);
  let cRss = null;
  let dRss = null;
  const maxRss = (a, b) => (b == null ? a : Math.max(a ?? 0, b));
  try {
    const cTimes = await repeat(ctx.runs, ctx.budgetS, async () => {
      const r = await runChecked(cmd, cArgs, { stdout: packed });
      cRss = maxRss(cRss, r.peakRssBytes);
      return r.seconds;
    });
    const { size } = await stat(packed);
    const dTimes = await repeat(ctx.runs, ctx.budgetS, async () => {
      const r = await runChecked(cmd, dArgs, { stdout: unpacked });
      dRss = maxRss(dRss, r.peakRssBytes);
      return r.seconds;
    });
    const back = await sha256File(unpacked);
    return makeRow({
      ...base,
      compressedBytes: size,
      compressTimes: cTimes,
      decompressTimes: dTimes,
      compressPeakRssBytes: cRss,
      decompressPeakRssBytes: dRss,
      verified: back.sha256 === file.sha256 && back.size === file.size,
      command: [anchor.tool, ...cArgs.slice(0, -1), 'FILE'].join(' '),
    });
  } catch (e) {
    return makeRow({ ...base, command: [anchor.tool, ...cArgs].join(' '), error: errorMessage(e) });
  } finally {
    await rm(packed, { force: true });
    await rm(unpacked, { force: true });
  }
}

export default {
  name: 'single',
  title: 'Single files',
  async run(ctx) {
    const rows = [];
    const files = ctx.corpus.single;
    if (files.length === 0) ctx.note('single: the corpus has no single/ files');
    const panini = await ctx.panini();
    for (const file of files) {
      const base = {
        section: 'single',
        item: file.name,
        itemKind: 'file',
        originalBytes: file.size,
        verifiedScope: 'file',
      };
      const jobs = [];
      if (panini.single) {
        for (const v of paniniVariants(ctx.threads, panini.codecs, ctx.frontier)) {
          if (ctx.quick && !v.quick) continue;
          jobs.push({
            base: { ...base, tool: PANINI, variant: v.variant, threads: ctx.threads },
            run: (b) => measureWorker(ctx, PANINI_WORKER, b, file, v.options, { maxOutputSize: file.size, workers: ctx.threads }),
          });
        }
      }
      for (const a of JS_ANCHORS) {
        a.levels.forEach((level, i) => {
          if (ctx.quick && i > 0) return;
          jobs.push({
            base: { ...base, tool: a.tool, variant: `${a.prefix}${level}` },
            run: (b) => measureWorker(ctx, JS_WORKER, b, file, { codec: a.codec, level }),
          });
        });
      }
      for (const a of cliAnchors(ctx.threads, ctx.frontier)) {
        if (!ctx.tools[a.tool]) continue;
        for (const v of a.variants) {
          if (ctx.quick && !v.quick) continue;
          jobs.push({
            base: { ...base, tool: a.tool, variant: v.variant, threads: a.threads ? ctx.threads : null },
            run: (b) => measureCli(ctx, a, v, b, file),
          });
        }
      }
      for (const job of jobs) {
        const key = `single/${file.name}/${job.base.tool}/${job.base.variant}`;
        if (!ctx.want(key)) continue;
        const row = await job.run(job.base);
        ctx.report(row);
        rows.push(row);
      }
    }
    return rows;
  },
};
