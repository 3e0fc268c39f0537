/**
 * The pipeline's data layout in a store (docs/PIPELINE.md "Store layout"): pending chunks, their compressed results
 * and the reconstruction recipe that says how the chunks make the original files again.
 *
 *   chunks/<h2>/<sha256>                     a pending chunk's bytes (content-addressed: identical chunks stored once)
 *   results/<h2>/<sha256>.<codec tag>.pnz    the chunk compressed as a .pnz container (one per chunk and codec setting)
 *   recipes/<id>.json                        the recipe: chunks in stream order, the files they make, whole-input hashes
 *
 * Everything is keyed by content or by a fresh id, so every write is idempotent: a task done twice writes the same
 * bytes under the same key.
 */
import { PaniniError } from '../errors.js';
import { checkPath } from '../container/manifest.js';

export const RECIPE_FORMAT = 'panini-fs/pipeline-recipe';
export const RECIPE_VERSION = 1;

export const STRATEGIES = ['semantic', 'cdc', 'fixed', 'adaptive'] as const;
export type PipelineStrategy = (typeof STRATEGIES)[number];

/**
 * What a chunk looks like before coding (src/pipeline/chunker.ts patternOf): `duplicate` (an earlier chunk has the same
 * bytes), `runs` (order-0 entropy under 2 bits/byte), `text` (≥ 95 % printable ASCII / UTF-8 bytes),
 * `high-entropy` (over 7.5 bits/byte: compressed or encrypted), else `binary`.
 */
export const PATTERNS = ['duplicate', 'runs', 'text', 'high-entropy', 'binary'] as const;
export type Pattern = (typeof PATTERNS)[number];

export interface RecipeChunk {
  index: number;
  /** offset of the chunk in the input stream (the files' bytes one after the other, in entry order) */
  offset: number;
  size: number;
  /** lower-case hex */
  sha256: string;
  crc32: number;
  /** the grammar's format of the file the chunk starts in */
  format: string;
  pattern: Pattern;
  /** chunks whose stored result this chunk's reconstruction uses (a duplicate names the first chunk with its bytes) */
  dependencies: number[];
}

export interface RecipeEntry {
  /** '/'-separated, relative; a single-file input has one entry, its base name */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtime: number;
  size: number;
  /** files: offset of the file's first byte in the input stream */
  offset?: number;
  /** files: SHA-256 of the file, hex */
  sha256?: string;
  /** symlinks */
  target?: string;
}

export interface Recipe {
  format: typeof RECIPE_FORMAT;
  version: typeof RECIPE_VERSION;
  id: string;
  createdAt: number;
  /** the input as it was given (an absolute path) */
  source: string;
  kind: 'file' | 'tree';
  strategy: PipelineStrategy;
  blockSize: number;
  /** how the results are coded: the dhātu codec at this level */
  codec: { codec: 'dhatu'; level: number };
  /** the input stream's size and hashes */
  size: number;
  sha256: string;
  crc32: number;
  chunks: RecipeChunk[];
  entries: RecipeEntry[];
  /** inputs skipped while walking a tree, with the reason */
  skipped: string[];
}

const hex2 = (sha: string) => sha.slice(0, 2);
export const chunkKey = (sha256: string): string => `chunks/${hex2(sha256)}/${sha256}`;
export const codecTag = (level: number): string => `dhatu-${level}`;
export const resultKey = (sha256: string, level: number): string => `results/${hex2(sha256)}/${sha256}.${codecTag(level)}.pnz`;
export const recipeKey = (id: string): string => `recipes/${id}.json`;
/** files a job produced (a benchmark's results.json and report.html) */
export const jobFileKey = (jobId: string, name: string): string => `jobs/${jobId}/${name}`;

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
export function assertRecipeId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new PaniniError('OPTION', `recipe id ${JSON.stringify(id)} must be 1–64 characters of a-z 0-9 and '-'`, { option: 'recipe' });
  }
}

/** A fresh recipe id: time in base 36 and 48 random bits, so ids sort by creation. */
export function newRecipeId(now = Date.now()): string {
  const r = new Uint8Array(6);
  crypto.getRandomValues(r);
  return `${now.toString(36)}-${[...r].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function encodeRecipe(r: Recipe): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r));
}

const SHA = /^[0-9a-f]{64}$/;

/** Parses and checks a recipe: every field typed, chunks contiguous from 0 to size, files inside the stream, paths safe. */
export function parseRecipe(bytes: Uint8Array, where: string): Recipe {
  const bad = (what: string): never => {
    throw new PaniniError('FORMAT', `${where}: not a valid pipeline recipe: ${what}`, { path: where });
  };
  let r: unknown;
  try {
    r = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    bad(`not UTF-8 JSON (${(e as Error).message})`);
  }
  const o = r as Partial<Recipe>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) bad('not an object');
  if (o.format !== RECIPE_FORMAT) bad(`format is ${JSON.stringify(o.format)}, expected "${RECIPE_FORMAT}"`);
  if (o.version !== RECIPE_VERSION) {
    throw new PaniniError('UNSUPPORTED', `${where}: recipe version ${JSON.stringify(o.version)} (this reader knows ${RECIPE_VERSION})`, { path: where });
  }
  const nat = (v: unknown, name: string): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(`${name} is not a non-negative integer`));
  if (typeof o.id !== 'string' || !ID.test(o.id)) bad('id');
  nat(o.createdAt, 'createdAt');
  if (typeof o.source !== 'string') bad('source');
  if (o.kind !== 'file' && o.kind !== 'tree') bad('kind');
  if (!STRATEGIES.includes(o.strategy as PipelineStrategy)) bad('strategy');
  nat(o.blockSize, 'blockSize');
  if (typeof o.codec !== 'object' || o.codec === null || o.codec.codec !== 'dhatu' || !Number.isInteger(o.codec.level) || o.codec.level < 0 || o.codec.level > 9) bad('codec');
  const size = nat(o.size, 'size');
  if (typeof o.sha256 !== 'string' || !SHA.test(o.sha256)) bad('sha256');
  if (nat(o.crc32, 'crc32') > 0xffffffff) bad('crc32');
  if (!Array.isArray(o.chunks) || !Array.isArray(o.entries) || !Array.isArray(o.skipped)) bad('chunks, entries or skipped is not a list');
  let pos = 0;
  o.chunks!.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) bad(`chunk ${i}`);
    if (c.index !== i) bad(`chunk ${i} has index ${c.index}`);
    if (nat(c.offset, `chunk ${i} offset`) !== pos) bad(`chunk ${i} starts at ${c.offset}, the previous one ends at ${pos}`);
    if (nat(c.size, `chunk ${i} size`) === 0) bad(`chunk ${i} is empty`);
    pos += c.size;
    if (typeof c.sha256 !== 'string' || !SHA.test(c.sha256)) bad(`chunk ${i} sha256`);
    if (nat(c.crc32, `chunk ${i} crc32`) > 0xffffffff) bad(`chunk ${i} crc32`);
    if (typeof c.format !== 'string') bad(`chunk ${i} format`);
    if (!PATTERNS.includes(c.pattern)) bad(`chunk ${i} pattern`);
    if (!Array.isArray(c.dependencies) || c.dependencies.some((d) => !Number.isSafeInteger(d) || d < 0 || d >= i)) bad(`chunk ${i} dependencies must name earlier chunks`);
  });
  if (pos !== size) bad(`chunks cover ${pos} bytes, the input has ${size}`);
  let filePos = 0;
  const seen = new Set<string>();
  for (const e of o.entries!) {
    if (typeof e !== 'object' || e === null) bad('entry');
    checkPath(e.path, 'recipe path');
    if (seen.has(e.path)) bad(`entry ${e.path} appears twice`);
    seen.add(e.path);
    nat(e.mode, `${e.path} mode`);
    nat(e.mtime, `${e.path} mtime`);
    if (e.type === 'file') {
      if (nat(e.offset, `${e.path} offset`) !== filePos) bad(`file ${e.path} starts at ${e.offset}, the file before it ends at ${filePos}`);
      filePos = e.offset! + nat(e.size, `${e.path} size`);
      if (filePos > size) bad(`file ${e.path} reaches past the input stream`);
      if (typeof e.sha256 !== 'string' || !SHA.test(e.sha256)) bad(`${e.path} sha256`);
    } else if (e.type === 'dir') {
      if (e.size !== 0) bad(`directory ${e.path} has a size`);
    } else if (e.type === 'symlink') {
      if (typeof e.target !== 'string' || e.target === '') bad(`symlink ${e.path} target`);
    } else bad(`entry ${e.path} type`);
  }
  if (filePos !== size) bad(`the files hold ${filePos} bytes, the input stream has ${size}`);
  if (o.kind === 'file' && (o.entries!.length !== 1 || o.entries![0]!.type !== 'file')) bad('a file recipe has exactly one file entry');
  return o as Recipe;
}

/** Inspection.dhatu (bytes per primitive) as a map, the form job totals sum. */
export function dhatuBytes(d: { primitive: string; bytes: number }[]): { [p: string]: number } {
  const out: { [p: string]: number } = {};
  for (const x of d) out[x.primitive] = (out[x.primitive] ?? 0) + x.bytes;
  return out;
}
