/**
 * Jobs as users submit them (the job server's POST /api/jobs, `panini-fs chunk --queue`): options validated before
 * anything is queued, inputs confined to the allowed roots, compress inputs chunked into the store and one task queued
 * per distinct chunk; results and files read back for GET /api/jobs/:id/result.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { PaniniError } from '../errors.js';
import { DEFAULT_DHATU_LEVEL } from '../container/options.js';
import { locationScheme, openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { assertBool, assertInt, assertOneOf, optionError } from '../validate.js';
import { chunkInput, DEFAULT_BLOCK, isStoreInput } from './chunker.js';
import { newRecipeId, type Recipe, STRATEGIES } from './recipe.js';
import { JOB_TYPES, type JobQueue, type JobStatus, type JobType, type Json, type TaskSpec } from './types.js';
import { readRecipe } from './validate.js';
import { assembleTaskOf, followUpAll } from './followup.js';

export interface Pipeline {
  queue: JobQueue;
  /** data directory: holds the default queue file, the default store and uploads */
  data: string;
  /** absolute directories that job inputs and outputs must be under */
  roots: string[];
  /** default results store location */
  store: string;
}

export interface JobRequest {
  type: JobType;
  /** paths on the server's machine, under the roots (an assemble job has none) */
  input?: string[];
  options?: { [key: string]: Json };
  label?: string;
}

/** The options each job type reads (anything else is refused with OPTION). */
export const JOB_OPTION_KEYS: Record<JobType, readonly string[]> = {
  compress: ['strategy', 'blockSize', 'level', 'output'],
  analyze: ['level'],
  benchmark: ['sections', 'quick'],
  validate: ['job', 'recipe', 'store'],
  assemble: ['job', 'recipe', 'store', 'output'],
};

const SECTIONS = ['single', 'trees', 'core'] as const;

function isStoreUrl(s: string): boolean {
  return locationScheme(s) !== undefined || s.startsWith('memory:');
}

/**
 * A store location given as a job input: it must lie under a root that is itself a store location (`--root
 * s3://bucket/corpus`), segment by segment, with no `.`, `..` or empty segments. Throws PATH otherwise.
 */
export function confineStoreInput(p: Pipeline, url: string, what: string): string {
  const clean = url.replace(/\/+$/, '');
  const rest = clean.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  if (rest === '' || rest.split('/').some((s) => s === '' || s === '.' || s === '..') || /[?#\\\0]/.test(rest)) throw new PaniniError('PATH', `${what} ${url} is not a plain store location (no query, empty, . or .. segments)`, { option: what });
  const inside = p.roots.some((r) => {
    if (!isStoreInput(r)) return false;
    const root = r.replace(/\/+$/, '');
    return clean === root || clean.startsWith(`${root}/`);
  });
  if (!inside) throw new PaniniError('PATH', `${what} ${url} is outside the allowed roots (${p.roots.join(', ')}): give the server a store root (--root s3://…)`, { option: what });
  return clean;
}

/** Resolves `path` and checks it lies under one of the roots (after following links). Throws PATH otherwise. */
export function confine(p: Pipeline, path: string, what: string, mustExist = true): string {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) throw new PaniniError('OPTION', `${what} must be a non-empty path`, { option: what });
  const abs = resolve(path);
  let real = abs;
  try {
    real = realpathSync(abs);
  } catch (e) {
    if (mustExist) throw new PaniniError('NOT_FOUND', `${what} ${abs} does not exist`, { path: abs, option: what });
    // a new output: its nearest existing parent decides
    let parent = abs;
    for (;;) {
      const up = resolve(parent, '..');
      if (up === parent) break;
      parent = up;
      try {
        real = resolve(realpathSync(parent), abs.slice(parent.length + 1));
        break;
      } catch {
        /* keep going up */
      }
    }
  }
  const inside = p.roots.some((r) => {
    if (isStoreInput(r)) return false;
    let root = resolve(r);
    try {
      root = realpathSync(root);
    } catch {
      /* a root that does not exist confines nothing but itself */
    }
    return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
  });
  if (!inside) throw new PaniniError('PATH', `${what} ${abs} is outside the allowed roots (${p.roots.join(', ')})`, { path: abs, option: what });
  return real;
}

interface Checked {
  type: JobType;
  input: string[];
  options: { [key: string]: Json };
  store: string;
  label?: string;
}

/** Validates a job request completely; nothing is created. */
export function checkJobRequest(p: Pipeline, req: unknown): Checked {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new PaniniError('OPTION', 'a job request must be an object {type, input, options, label}', { option: 'request' });
  const r = req as Partial<JobRequest> & { [k: string]: unknown };
  for (const k of Object.keys(r)) if (!['type', 'input', 'options', 'label'].includes(k)) throw new PaniniError('OPTION', `unknown job field "${k}" (expected type, input, options, label)`, { option: k });
  const type = assertOneOf('type', r.type, JOB_TYPES);
  if (type === 'assemble') {
    if (r.input !== undefined && !(Array.isArray(r.input) && r.input.length === 0)) throw new PaniniError('OPTION', 'an assemble job has no input: it reads the stored results of options.job or options.recipe', { option: 'input' });
  } else if (!Array.isArray(r.input) || r.input.length === 0 || r.input.length > 10_000) throw new PaniniError('OPTION', 'input must be a list of 1 to 10 000 paths', { option: 'input' });
  const o = r.options ?? {};
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new PaniniError('OPTION', 'options must be an object', { option: 'options' });
  const allowed = JOB_OPTION_KEYS[type];
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new PaniniError('OPTION', `unknown option "${k}" for a ${type} job (it reads ${allowed.join(', ')})`, { option: k });
  if (r.label !== undefined && (typeof r.label !== 'string' || r.label.length > 200)) throw new PaniniError('OPTION', 'label must be a string of at most 200 characters', { option: 'label' });
  const options: { [key: string]: Json } = {};
  let store = p.store;
  // a compress job may read from a store (s3://…, azure://…) under a store root; every other input is a path here
  const input = (r.input ?? []).map((x, i) => (type === 'compress' && typeof x === 'string' && isStoreInput(x) ? confineStoreInput(p, x, `input[${i}]`) : confine(p, x as string, `input[${i}]`)));
  switch (type) {
    case 'compress': {
      options.strategy = o.strategy === undefined ? 'adaptive' : assertOneOf('strategy', o.strategy, STRATEGIES);
      options.blockSize = o.blockSize === undefined ? DEFAULT_BLOCK : assertInt('blockSize', o.blockSize, 1 << 20, 64 << 20);
      options.level = o.level === undefined ? DEFAULT_DHATU_LEVEL : assertInt('level', o.level, 0, 9);
      if (o.output !== undefined) {
        if (typeof o.output !== 'string' || o.output === '') throw optionError('output', 'must be a store location (a directory under the roots, s3://…, azure://…) or a container path ending in .pnz');
        if (!isStoreUrl(o.output) && o.output.endsWith('.pnz')) {
          // a container: the chunks and results go to the server's store, and one assemble task writes the .pnz
          if (input.length !== 1) throw new PaniniError('OPTION', 'a compress job with a container output has one input', { option: 'input' });
          options.container = confine(p, o.output, 'output', false);
          if (existsSync(options.container)) throw new PaniniError('EXISTS', `${options.container} exists`, { path: options.container, option: 'output' });
        } else store = isStoreUrl(o.output) ? o.output : confine(p, o.output, 'output', false);
      }
      break;
    }
    case 'analyze':
      options.level = o.level === undefined ? DEFAULT_DHATU_LEVEL : assertInt('level', o.level, 0, 9);
      break;
    case 'benchmark': {
      const s = o.sections === undefined ? 'single' : o.sections;
      if (typeof s !== 'string' || s.split(',').some((x) => !(SECTIONS as readonly string[]).includes(x))) throw optionError('sections', `must be a comma list of ${SECTIONS.join(', ')}`);
      options.sections = s;
      options.quick = o.quick === undefined ? true : assertBool('quick', o.quick);
      break;
    }
    case 'validate':
    case 'assemble': {
      if (type === 'validate' && input.length !== 1) throw new PaniniError('OPTION', 'a validate job has one input: the original file or tree', { option: 'input' });
      if ((o.job === undefined) === (o.recipe === undefined)) throw new PaniniError('OPTION', `a ${type} job names the compress job (options.job) or the recipe (options.recipe) to ${type === 'validate' ? 'check' : 'assemble'}`, { option: 'job' });
      if (type === 'assemble') {
        if (typeof o.output !== 'string' || !o.output.endsWith('.pnz')) throw optionError('output', 'must be the path of the container to write, ending in .pnz, under the roots');
        options.output = confine(p, o.output, 'output', false);
        if (existsSync(options.output)) throw new PaniniError('EXISTS', `${options.output} exists`, { path: options.output, option: 'output' });
      }
      if (o.job !== undefined) {
        if (typeof o.job !== 'string') throw optionError('job', 'must be a job id');
        options.job = o.job;
      } else {
        if (typeof o.recipe !== 'string') throw optionError('recipe', 'must be a recipe id');
        options.recipe = o.recipe;
      }
      if (o.store !== undefined) {
        if (typeof o.store !== 'string' || o.store === '') throw optionError('store', 'must be a store location');
        store = isStoreUrl(o.store) ? o.store : confine(p, o.store, 'store');
      }
      break;
    }
  }
  return { type, input, options, store, ...(r.label !== undefined ? { label: r.label } : {}) };
}

/** One task per distinct chunk of the recipes (a chunk that appears again needs no second coding). */
export function chunkTasks(recipes: readonly Recipe[]): TaskSpec[] {
  const seen = new Set<string>();
  const tasks: TaskSpec[] = [];
  for (const r of recipes) {
    for (const c of r.chunks) {
      if (seen.has(c.sha256)) continue;
      seen.add(c.sha256);
      tasks.push({ key: c.sha256, kind: 'compress-chunk', size: c.size, payload: { recipe: r.id, index: c.index, sha256: c.sha256, size: c.size, crc32: c.crc32 } });
    }
  }
  return tasks;
}

/** Creates a compress job for recipes already in `store` (`panini-fs chunk --queue`, `panini-fs enqueue`) and queues it. */
export async function enqueueRecipes(queue: JobQueue, store: string, recipes: readonly Recipe[], label?: string): Promise<string> {
  const first = recipes[0]!;
  const id = await queue.createJob(
    {
      type: 'compress',
      input: recipes.map((r) => r.source),
      options: { strategy: first.strategy, blockSize: first.blockSize, level: first.codec.level, recipes: recipes.map((r) => r.id) },
      store,
      ...(label !== undefined ? { label } : {}),
    },
    chunkTasks(recipes),
  );
  await queue.enqueue(id);
  return id;
}

async function prepareCompress(p: Pipeline, jobId: string, spec: { input: string[]; options: { [key: string]: Json }; store: string }): Promise<void> {
  const store = await openStore(spec.store);
  try {
    const ids = spec.options.recipes as string[];
    const recipes: Recipe[] = [];
    for (const [i, input] of spec.input.entries()) {
      // a recipe is written last, so one that exists names only stored chunks: a restart picks up from it
      const existing = await readRecipe(store, ids[i]!).catch((e) => {
        if (e instanceof PaniniError && e.code === 'NOT_FOUND') return undefined;
        throw e;
      });
      recipes.push(
        existing ??
          (await chunkInput(input, store, {
            id: ids[i]!,
            strategy: spec.options.strategy as Recipe['strategy'],
            blockSize: spec.options.blockSize as number,
            level: spec.options.level as number,
          })),
      );
    }
    const tasks = chunkTasks(recipes);
    // an empty input has no chunk to verify first: its container is assembled at once
    const assemble = tasks.length === 0 ? assembleTaskOf({ type: 'compress', options: spec.options, store: spec.store }) : undefined;
    await p.queue.addTasks(jobId, assemble ? [assemble] : tasks);
    await p.queue.enqueue(jobId);
  } finally {
    await store.close();
  }
}

/**
 * Validates the request (nothing is queued when it is refused), creates the job and returns its id at once; `ready`
 * settles when its tasks are queued (a compress job's inputs are chunked first). A preparation that fails marks the
 * job failed with the error; `ready` then rejects with it.
 */
export async function submitJob(p: Pipeline, req: JobRequest): Promise<{ id: string; ready: Promise<void> }> {
  const c = checkJobRequest(p, req);
  if (c.type === 'compress') {
    const recipes = c.input.map(() => newRecipeId());
    const spec = { type: c.type, input: c.input, options: { ...c.options, recipes }, store: c.store, ...(c.label !== undefined ? { label: c.label } : {}) };
    const id = await p.queue.createJob(spec, []);
    const ready = prepareCompress(p, id, spec).catch(async (e: unknown) => {
      const err = e instanceof PaniniError ? e : new PaniniError('IO', e instanceof Error ? e.message : String(e));
      await p.queue.failJob(id, { code: err.code, message: `preparing the job: ${err.message}` }).catch(() => {});
      throw err;
    });
    ready.catch(() => {}); // observed by the caller when it wants to; the job records the failure
    return { id, ready };
  }
  let tasks: TaskSpec[];
  if (c.type === 'analyze') tasks = c.input.map((path, i) => ({ key: `input-${i}`, kind: 'analyze', size: 0, payload: { path } }));
  else if (c.type === 'benchmark') tasks = [{ key: 'benchmark', kind: 'benchmark', size: 0, payload: { inputs: c.input } }];
  else {
    let recipeIds: string[];
    if (typeof c.options.job === 'string') {
      const job = await p.queue.job(c.options.job);
      if (!job) throw new PaniniError('NOT_FOUND', `no job ${c.options.job}`, { option: 'job' });
      if (job.type !== 'compress' || !Array.isArray(job.options.recipes)) throw new PaniniError('OPTION', `job ${c.options.job} is a ${job.type} job, not a compress job`, { option: 'job' });
      if (c.type === 'assemble' && job.state !== 'verified') throw new PaniniError('STATE', `job ${c.options.job} is ${job.state}: a container is assembled once every chunk is verified`, { option: 'job' });
      recipeIds = job.options.recipes as string[];
      c.store = job.store;
    } else recipeIds = [c.options.recipe as string];
    if (recipeIds.length !== 1) throw new PaniniError('OPTION', `job ${c.options.job} has ${recipeIds.length} inputs: ${c.type === 'validate' ? 'validate' : 'assemble'} each by its recipe (options.recipe)`, { option: 'job' });
    tasks =
      c.type === 'validate'
        ? [{ key: 'validate', kind: 'validate', size: 0, payload: { original: c.input[0]!, recipe: recipeIds[0]!, store: c.store } }]
        : [{ key: 'assemble', kind: 'assemble', size: 0, payload: { output: c.options.output!, recipe: recipeIds[0]!, store: c.store } }];
  }
  const id = await p.queue.createJob({ type: c.type, input: c.input, options: c.options, store: c.store, ...(c.label !== undefined ? { label: c.label } : {}) }, tasks);
  await p.queue.enqueue(id);
  return { id, ready: Promise.resolve() };
}

/**
 * Jobs a crash left before their tasks were queued: prepared again (chunking is idempotent; finished recipes are reused);
 * and verified compress jobs whose container assembly a crash kept from being queued.
 */
export async function resumePending(p: Pipeline): Promise<string[]> {
  const resumed: string[] = [];
  for (const job of await p.queue.jobs({ limit: 10_000 })) {
    if (job.state !== 'pending') continue;
    if (job.type === 'compress' && job.total === 0 && Array.isArray(job.options.recipes)) {
      await prepareCompress(p, job.id, job).catch(async (e: unknown) => {
        const err = e instanceof PaniniError ? e : new PaniniError('IO', String(e));
        await p.queue.failJob(job.id, { code: err.code, message: `preparing the job: ${err.message}` });
      });
    } else await p.queue.enqueue(job.id);
    resumed.push(job.id);
  }
  resumed.push(...(await followUpAll(p.queue)));
  return resumed;
}

export interface JobFile {
  name: string;
  key: string;
  type: string;
}

export async function jobResult(p: Pipeline, id: string): Promise<{ status: JobStatus; summary?: Json; files: JobFile[] }> {
  const status = await p.queue.job(id);
  if (!status) throw new PaniniError('NOT_FOUND', `no job ${id}`, { job: id });
  const tasks = status.type === 'compress' ? [] : await p.queue.tasks(id, { state: 'verified', limit: 10_000 });
  const files: JobFile[] = [];
  let summary: Json | undefined;
  if (status.type === 'compress') {
    const recipes: Json[] = [];
    if (Array.isArray(status.options.recipes)) {
      const store = await openStore(status.store);
      try {
        for (const rid of status.options.recipes as string[]) {
          const r = await readRecipe(store, rid).catch(() => undefined);
          recipes.push(r ? { id: r.id, source: r.source, kind: r.kind, files: r.entries.filter((e) => e.type === 'file').length, bytes: r.size, sha256: r.sha256, chunks: r.chunks.length } : { id: rid, pending: true });
        }
      } finally {
        await store.close();
      }
    }
    summary = { store: status.store, recipes, bytesIn: status.bytesIn, bytesOut: status.bytesOut, ratio: status.ratio, dhatu: status.dhatu };
    if (typeof status.options.container === 'string') {
      const size = statSync(status.options.container, { throwIfNoEntry: false })?.size;
      summary.container = size === undefined ? { path: status.options.container, written: false } : { path: status.options.container, written: true, bytes: size };
    }
  } else if (status.type === 'analyze') {
    summary = { inputs: tasks.map((t) => t.result?.data ?? null) };
  } else if (status.type === 'benchmark') {
    const data = tasks[0]?.result?.data as { files?: JobFile[] } | undefined;
    for (const f of data?.files ?? []) files.push(f);
    summary = (tasks[0]?.result?.data as Json) ?? null;
  } else {
    summary = (tasks[0]?.result?.data as Json) ?? null;
  }
  return { status, ...(summary !== undefined ? { summary } : {}), files };
}

export async function readJobFile(p: Pipeline, id: string, name: string): Promise<Uint8Array> {
  const r = await jobResult(p, id);
  const f = r.files.find((x) => x.name === name);
  if (!f) throw new PaniniError('NOT_FOUND', `job ${id} has no file ${JSON.stringify(name)}`, { job: id, name });
  const store: Store = await openStore(r.status.store);
  try {
    return await store.get(f.key);
  } finally {
    await store.close();
  }
}

