// The loop every in-process measurement runs in, inside its own child node process (so that its peak RSS is its
// own). A worker script calls runWorker(codec); the job comes as JSON in argv[2] and one line of JSON goes to stdout.
//
// Ops:
//   probe                                     -> { ok, available, info }
//   compress   {input, output, options, runs, budgetS}        -> { ok, bytesIn, bytesOut, times[], peakRssBytes }
//   decompress {input, original, options, runs, budgetS}      -> { ok, bytesOut, times[], peakRssBytes, verified, sha256 }
//   compressTree {input: dir, output: file, options, runs, budgetS}   -> { ok, bytesOut, times[], peakRssBytes }
//   extractTree  {input: file, output: dir, original: dir, options, runs, budgetS} -> { ..., verified }
// The peak RSS is read (getrusage high-water mark) right after the timed runs, before anything is verified, so
// holding the original for the comparison does not count. Timings are performance.now() around one call.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage, repeat, rmrf, sameTree, sha256Hex } from './util.mjs';

const peakRss = () => process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function handle(job, codec) {
  const { op, options = {}, runs = 1, budgetS = 10 } = job;
  if (op === 'probe') {
    const info = await codec.probe();
    return { ok: true, ...info };
  }
  await codec.init?.();
  if (op === 'compress') {
    const input = new Uint8Array(await readFile(job.input));
    let out = null;
    const times = await repeat(runs, budgetS, () =>
      timed(async () => {
        out = null;
        out = await codec.compress(input, options);
      }),
    );
    const peakRssBytes = peakRss();
    await writeFile(job.output, out);
    return { ok: true, bytesIn: input.length, bytesOut: out.length, times, peakRssBytes };
  }
  if (op === 'decompress') {
    const packed = new Uint8Array(await readFile(job.input));
    let out = null;
    const times = await repeat(runs, budgetS, () =>
      timed(async () => {
        out = null;
        out = await codec.decompress(packed, options);
      }),
    );
    const peakRssBytes = peakRss();
    // bit-perfect check: same length, same bytes, same SHA-256
    const original = await readFile(job.original);
    const got = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    const sha256 = sha256Hex(got);
    const sameBytes = got.length === original.length && got.equals(original);
    const verified = sameBytes && sha256 === sha256Hex(original);
    return { ok: true, bytesOut: out.length, times, peakRssBytes, verified, sha256 };
  }
  if (op === 'compressTree') {
    const times = await repeat(runs, budgetS, async () => {
      await rmrf(job.output);
      return timed(() => codec.compressTree(job.input, job.output, options));
    });
    const peakRssBytes = peakRss();
    const { size } = await stat(job.output);
    return { ok: true, bytesOut: size, times, peakRssBytes };
  }
  if (op === 'extractTree') {
    const times = await repeat(runs, budgetS, async () => {
      await rmrf(job.output);
      return timed(() => codec.extractTree(job.input, job.output, options));
    });
    const peakRssBytes = peakRss();
    // extractTree may recreate the tree's own folder inside the target: compare with that folder then
    let root = job.output;
    const ents = await readdir(root, { withFileTypes: true });
    if (ents.length === 1 && ents[0].isDirectory() && ents[0].name === basename(job.original)) {
      root = join(root, ents[0].name);
    }
    const verified = await sameTree(job.original, root);
    return { ok: true, times, peakRssBytes, verified };
  }
  throw new Error(`unknown op ${op}`);
}

export async function runWorker(codec) {
  let result;
  try {
    const job = JSON.parse(process.argv[2] ?? '{}');
    result = await handle(job, codec);
  } catch (e) {
    result = { ok: false, error: errorMessage(e) };
  }
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}
