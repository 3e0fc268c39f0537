// The pipeline's commands: chunk --output, enqueue, worker, jobs, reconstruct, and validate-reconstruction of a
// pipeline store (docs/PIPELINE.md).
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { PaniniError } from '../errors.js';
import { locationScheme, openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { chunkInput } from '../pipeline/chunker.js';
import { enqueueRecipes } from '../pipeline/jobs.js';
import { openQueue } from '../pipeline/queue.js';
import type { Recipe } from '../pipeline/recipe.js';
import type { JobStatus } from '../pipeline/types.js';
import { listRecipes, readRecipe, reconstruct, validatePipeline, type PipelineValidation } from '../pipeline/validate.js';
import { assembleContainer } from '../pipeline/assemble.js';
import { startWorker, type WorkerDevice } from '../pipeline/worker.js';
import { human, numberFlag, type Parsed } from './args.js';

/** The data directory: $PANINI_DATA, else ~/.local/share/panini-fs. */
export function defaultDataDir(): string {
  return process.env.PANINI_DATA ? resolve(process.env.PANINI_DATA) : join(homedir(), '.local', 'share', 'panini-fs');
}

/** --queue, else $PANINI_QUEUE, else the embedded SQLite queue in the data directory. */
export function queueLocation(p: Parsed): string {
  const q = (p.values.queue as string | undefined) ?? process.env.PANINI_QUEUE;
  return q ?? `sqlite:${join(defaultDataDir(), 'queue.sqlite')}`;
}

/** The queue of --queue, with --attempts (each task's attempts in all, default 3) as its retry policy. */
function openCliQueue(p: Parsed) {
  const attempts = numberFlag(p, 'attempts', { min: 1, max: 1000 });
  return openQueue(queueLocation(p), attempts === undefined ? {} : { retry: { maxAttempts: attempts } });
}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);


/** The dhātu distribution as the CLI prints it: one line per primitive, share of the output and a bar. */
export function dhatuTable(d: { [p: string]: number }, total: number): string {
  const rows = Object.entries(d).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return '  (no dhātu records)\n';
  return rows
    .map(([k, v]) => {
      const share = total ? v / total : 0;
      return `  ${k.padEnd(8)} ${human(v).padStart(11)}  ${(share * 100).toFixed(1).padStart(5)} %  ${'█'.repeat(Math.max(share > 0 ? 1 : 0, Math.round(share * 30)))}\n`;
    })
    .join('');
}

function onePath(p: Parsed, command: string, what = 'PATH'): string {
  if (p.positionals.length !== 1) throw new PaniniError('OPTION', `${command} takes exactly one ${what}, got ${p.positionals.length}`, { option: what });
  return p.positionals[0]!;
}

/** `panini-fs chunk PATH --output DIR|STORE [--strategy …] [--block-size N] [--level N] [--queue Q]` */
export async function runChunkTo(p: Parsed): Promise<number> {
  const path = onePath(p, 'chunk');
  const location = p.values.output as string;
  const json = p.values.json === true;
  const store = await openStore(location);
  let recipe: Recipe;
  try {
    const t0 = performance.now();
    let last = 0;
    recipe = await chunkInput(path, store, {
      ...(p.values.strategy !== undefined ? { strategy: p.values.strategy as Recipe['strategy'] } : {}),
      ...(p.values['block-size'] !== undefined ? { blockSize: numberFlag(p, 'block-size', { sizes: true })! } : {}),
      ...(p.values.level !== undefined ? { level: numberFlag(p, 'level', { min: 0, max: 9 })! } : {}),
      onProgress: (x) => {
        if (json || !process.stderr.isTTY || performance.now() - last < 500) return;
        last = performance.now();
        err(`\r  chunking: ${human(x.bytes)} of ${human(x.total)}, ${x.chunks} chunks`);
      },
    });
    if (!json && process.stderr.isTTY) err('\n');
    const ms = performance.now() - t0;
    const unique = new Set(recipe.chunks.map((c) => c.sha256)).size;
    let job: string | undefined;
    if (p.values.queue !== undefined) {
      const queue = await openCliQueue(p);
      try {
        job = await enqueueRecipes(queue, store.location, [recipe], p.values.label as string | undefined);
      } finally {
        await queue.close();
      }
    }
    const patterns: { [k: string]: number } = {};
    for (const c of recipe.chunks) patterns[c.pattern] = (patterns[c.pattern] ?? 0) + 1;
    const report = { recipe: recipe.id, store: store.location, files: recipe.entries.filter((e) => e.type === 'file').length, bytes: recipe.size, chunks: recipe.chunks.length, unique, patterns, sha256: recipe.sha256, ms: Math.round(ms), ...(job ? { job } : {}) };
    if (json) out(`${JSON.stringify(report, null, 2)}\n`);
    else {
      out(`recipe ${recipe.id} in ${store.location}\n  ${report.files} files, ${human(recipe.size)}, ${recipe.chunks.length} chunks (${unique} distinct) in ${(ms / 1000).toFixed(1)} s\n`);
      out(`  patterns: ${Object.entries(patterns).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
      out(job ? `  queued as job ${job}\n` : `  pending: queue it with  panini-fs enqueue ${location} --recipe ${recipe.id}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

/** `panini-fs enqueue STORE [--recipe ID]… [--queue Q] [--label L]`: a compress job for recipes already chunked. */
export async function runEnqueue(p: Parsed): Promise<number> {
  const location = onePath(p, 'enqueue', 'STORE');
  const store = await openStore(location);
  try {
    const ids = p.values.recipe !== undefined ? [p.values.recipe as string] : (await listRecipes(store)).slice(-1);
    if (ids.length === 0) throw new PaniniError('NOT_FOUND', `${store.location} holds no recipe (run panini-fs chunk PATH --output ${location} first)`, { store: store.location });
    const recipes = [];
    for (const id of ids) recipes.push(await readRecipe(store, id));
    const queue = await openCliQueue(p);
    try {
      const job = await enqueueRecipes(queue, store.location, recipes, p.values.label as string | undefined);
      if (p.values.json === true) out(`${JSON.stringify({ job, recipes: ids, queue: queue.location })}\n`);
      else out(`job ${job}: ${recipes.reduce((s, r) => s + r.chunks.length, 0)} chunks queued in ${queue.location}\n`);
    } finally {
      await queue.close();
    }
  } finally {
    await store.close();
  }
  return 0;
}

/** `panini-fs worker [--queue Q] [--concurrency N] [--device auto|cpu|gpu] [--lease SECONDS] [--exit-when-idle]` */
export async function runWorker(p: Parsed): Promise<number> {
  const device = (p.values.device as string | undefined) ?? 'auto';
  if (!['auto', 'cpu', 'gpu'].includes(device)) throw new PaniniError('OPTION', `--device must be auto, cpu or gpu, got "${device}"`, { option: 'device' });
  const queue = await openCliQueue(p);
  const verbose = p.values.verbose === true;
  const w = await startWorker({
    queue,
    concurrency: numberFlag(p, 'concurrency', { min: 1, max: 256 }) ?? 1,
    device: device as WorkerDevice,
    leaseMs: (numberFlag(p, 'lease', { min: 1, max: 86_400 }) ?? 60) * 1000,
    exitWhenIdle: p.values['exit-when-idle'] === true,
    log: (l) => {
      if (verbose) err(`panini-fs worker: ${l}\n`);
    },
  });
  err(`panini-fs worker ${w.id} on ${queue.location} (device ${w.device})\n`);
  const stop = () => {
    err(`panini-fs worker: stopping after the running tasks\n`);
    void w.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await w.done;
  await queue.close();
  err(`panini-fs worker: ${w.stats.verified} verified, ${w.stats.failed} failed, ${w.stats.lost} lost claims\n`);
  return 0;
}

function jobLine(j: JobStatus): string {
  const done = j.counts.verified;
  return `${j.id}  ${j.type.padEnd(9)} ${j.state.padEnd(9)} ${String(done).padStart(7)}/${String(j.total).padEnd(7)} ${human(j.bytesIn).padStart(11)} → ${human(j.bytesOut).padStart(11)}  ratio ${j.ratio.toFixed(4)}${j.label ? `  ${j.label}` : ''}\n`;
}

/** `panini-fs jobs [ID] [--queue Q] [--json]` */
export async function runJobs(p: Parsed): Promise<number> {
  const queue = await openCliQueue(p);
  try {
    if (p.positionals.length > 1) throw new PaniniError('OPTION', 'jobs takes at most one job id', { option: 'ID' });
    if (p.positionals.length === 1) {
      const j = await queue.job(p.positionals[0]!);
      if (!j) throw new PaniniError('NOT_FOUND', `no job ${p.positionals[0]} in ${queue.location}`, { job: p.positionals[0] });
      if (p.values.json === true) out(`${JSON.stringify(j, null, 2)}\n`);
      else {
        out(jobLine(j));
        out(`  ${Object.entries(j.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
        out(dhatuTable(j.dhatu, Object.values(j.dhatu).reduce((s, v) => s + v, 0)));
        for (const e of j.errors) out(`  failed ${e.taskKey}: ${e.code} ${e.message}\n`);
      }
    } else {
      const list = await queue.jobs({ limit: 100 });
      if (p.values.json === true) out(`${JSON.stringify(list, null, 2)}\n`);
      else for (const j of list) out(jobLine(j));
    }
  } finally {
    await queue.close();
  }
  return 0;
}

async function pickRecipe(store: Store, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const ids = await listRecipes(store);
  if (ids.length === 0) throw new PaniniError('NOT_FOUND', `${store.location} holds no recipe`, { store: store.location });
  if (ids.length > 1) throw new PaniniError('OPTION', `${store.location} holds ${ids.length} recipes (${ids.slice(-3).join(', ')} …): name one with --recipe`, { option: 'recipe' });
  return ids[0]!;
}

/** What `--compressed` names: a repository (a store with a config object and no recipes), a pipeline store, or a container file. */
export async function compressedKind(location: string): Promise<'repository' | 'pipeline' | 'container'> {
  const scheme = locationScheme(location);
  if (scheme === undefined || scheme === 'file') {
    const dir = scheme === 'file' ? fileURLToPath(location) : location;
    try {
      if (!statSync(dir).isDirectory()) return 'container';
    } catch {
      return 'container'; // the container path's own error says what is wrong
    }
    if (existsSync(join(dir, 'recipes'))) return 'pipeline';
    return existsSync(join(dir, 'config')) ? 'repository' : 'pipeline';
  }
  const store = await openStore(location);
  try {
    if ((await listRecipes(store)).length > 0) return 'pipeline';
    return (await store.stat('config')) ? 'repository' : 'pipeline';
  } finally {
    await store.close();
  }
}

export async function runPipelineValidate(p: Parsed): Promise<number> {
  const original = p.values.original as string;
  const location = p.values.compressed as string;
  const json = p.values.json === true;
  const store = await openStore(location);
  let r: PipelineValidation;
  try {
    r = await validatePipeline(store, await pickRecipe(store, p.values.recipe as string | undefined), original);
  } finally {
    await store.close();
  }
  if (json) out(`${JSON.stringify(r, null, 2)}\n`);
  else {
    const total = Object.values(r.dhatu).reduce((s, v) => s + v, 0);
    out(
      `${r.ok ? 'BIT-PERFECT' : 'NOT bit-perfect'}: ${r.original} vs ${location} (recipe ${r.recipe})\n` +
        `  files    ${r.files}, ${human(r.bytes)}, sha256 ${r.sha256}\n` +
        `  chunks   ${r.chunks} (${r.uniqueChunks} distinct), stored ${human(r.storedBytes)}, ratio ${r.ratio.toFixed(4)}\n` +
        `  dhātu distribution over the job:\n${dhatuTable(r.dhatu, total)}` +
        r.problems.map((x) => `  problem: ${x}\n`).join(''),
    );
  }
  return r.ok ? 0 : 1;
}

/** `panini-fs reconstruct STORE [--recipe ID] -o OUT` */
export async function runReconstruct(p: Parsed): Promise<number> {
  const location = onePath(p, 'reconstruct', 'STORE');
  const target = p.values.output as string | undefined;
  if (!target) throw new PaniniError('OPTION', 'reconstruct needs -o OUT (a directory for a tree, a file name for a file)', { option: 'output' });
  if (existsSync(target) && !(statSync(target).isDirectory() && p.values.force === true)) throw new PaniniError('EXISTS', `${target} exists (use --force to write into an existing directory)`, { path: target });
  const store = await openStore(location);
  try {
    const id = await pickRecipe(store, p.values.recipe as string | undefined);
    const r = await reconstruct(store, id, target);
    if (p.values.json === true) out(`${JSON.stringify({ recipe: id, ...r, output: resolve(target) })}\n`);
    else out(`reconstructed ${r.files} files, ${human(r.bytes)} into ${resolve(target)} (every chunk and file checked)\n`);
  } finally {
    await store.close();
  }
  return 0;
}


/** `panini-fs assemble STORE [--recipe ID] -o OUT.pnz [--force] [--no-verify]`: one container from the stored results */
export async function runAssemble(p: Parsed): Promise<number> {
  const location = onePath(p, 'assemble', 'STORE');
  const target = p.values.output as string | undefined;
  if (!target) throw new PaniniError('OPTION', 'assemble needs -o OUT.pnz (the container to write)', { option: 'output' });
  const store = await openStore(location);
  try {
    const id = await pickRecipe(store, p.values.recipe as string | undefined);
    const r = await assembleContainer(store, id, target, { force: p.values.force === true, verify: p.values['no-verify'] !== true });
    if (p.values.json === true) out(`${JSON.stringify(r)}\n`);
    else
      out(
        `assembled ${r.output}: ${r.files} files, ${human(r.bytes)} in ${human(r.containerBytes)} (ratio ${(r.bytes ? r.containerBytes / r.bytes : 0).toFixed(4)}), ` +
          `${r.chunks} chunks (${r.refChunks} as references to an earlier copy), ${r.records} records${r.verified ? ', verified' : ', not verified (--no-verify)'}\n`,
      );
  } finally {
    await store.close();
  }
  return 0;
}
