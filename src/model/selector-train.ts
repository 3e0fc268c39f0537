// The plan selector's training recipe (src/dhatu/selector.ts runs the model). Data: records the planner would see —
// generated chunks of every content class (src/model/generate.ts), the corpus's single files (each its own input)
// and its two trees (the 5000-mail tree and the version series, files in path order), cut into blocks of compress's
// default record size and put through the same COMM/REFLATE analysis (deflate containers get no record of their own) —
// each labelled with the exhaustive planner's trial sizes at a fast level (2: two candidates, pfz) and a middle one
// (6: every candidate, plz). The target of a row is a distribution over the candidates that tried, exp(−T·(size /
// smallest − 1)), so a candidate 1 % larger than the best keeps e^−1 of its weight: the model learns the ranking, not
// only the winner. No other file is read: the held-back set (models/eval-selector.mjs) is Debian's and the
// dependencies' files. Same corpus and recipe → same .onnx bytes and the same embedded weights module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PaniniError } from '../errors.js';
import { planProbe, planTrials, sniffFormat } from '../dhatu/planner.js';
import { CANDIDATE_NAMES, SELECTOR_WIDTH, selectorFeatures } from '../dhatu/selector.js';
import { RecordAnalyzer } from '../dhatu/adapter/analyze.js';
import { defaultBlockSize } from '../container/options.js';
import { CLASSES } from './features.js';
import { generateChunk, seeded } from './generate.js';
import { trainMlp } from './train.js';
import { filesUnder } from './heldout.js';
import { writeMlp, type DenseLayer } from './onnx.js';
import { sha256Hex } from './registry.js';

export const SELECTOR_NAME = 'plan-selector';

export interface SelectorRecipe {
  seed: number;
  /** generated chunks per content class and level */
  perClass: number;
  minSize: number;
  maxSize: number;
  /** corpus folders read as trees (files in path order), relative to the corpus directory */
  trees: string[];
  /** corpus folders whose files are read one by one, each its own input */
  files: string[];
  /** levels whose trials label the rows */
  levels: number[];
  /** the target's sharpness T */
  temperature: number;
  hidden: number[];
  epochs: number;
  /** L2 weight decay (train.ts's default when absent) */
  decay?: number;
  /** weigh each row by what is at stake in it (else every row alike) */
  stakeWeights?: boolean;
}

export const SELECTOR_RECIPES: Record<string, SelectorRecipe> = {
  '1.0.0': { seed: 20261207, perClass: 24, minSize: 32 << 10, maxSize: 2 << 20, trees: ['tree', 'versions'], files: ['single'], levels: [2, 6], temperature: 100, hidden: [32], epochs: 30, decay: 0.001, stakeWeights: true },
};

/** One labelled record: its features, the candidates the level tried and their trial sizes (Infinity: not applicable). */
export interface SelectorRow {
  source: string;
  level: number;
  format: string;
  features: Float32Array;
  tried: { name: string; size: number }[];
  /** milliseconds the trials took (measurement only: training never reads it) */
  ms: number;
  /** the record's size */
  bytes: number;
}

/** The training target of a row over CANDIDATE_NAMES (zero where the candidate was not tried or does not apply). */
export function selectorTarget(tried: { name: string; size: number }[], temperature: number, out: Float32Array = new Float32Array(CANDIDATE_NAMES.length), at = 0): Float32Array {
  const finite = tried.filter((t) => Number.isFinite(t.size));
  const min = Math.min(...finite.map((t) => t.size));
  let sum = 0;
  const w = finite.map((t) => Math.exp(-temperature * (t.size / min - 1)));
  for (const x of w) sum += x;
  for (let k = 0; k < CANDIDATE_NAMES.length; k++) out[at + k] = 0;
  finite.forEach((t, i) => (out[at + (CANDIDATE_NAMES as readonly string[]).indexOf(t.name)] = w[i]! / sum));
  return out;
}

/**
 * Cuts a byte stream into the level's blocks and analyses each (COMM, REFLATE) as compress does; `each` gets the
 * residue the planner would code, the format hint and the record's output offset.
 */
export function forEachRecord(parts: Iterable<Uint8Array>, level: number, each: (residue: Uint8Array, hint: string | undefined, offset: number) => void): void {
  const analyzer = new RecordAnalyzer({ level, matchHistory: 64 << 20 });
  const block = defaultBlockSize(level);
  let buf = new Uint8Array(block);
  let fill = 0;
  let offset = 0;
  const flush = (): void => {
    if (!fill) return;
    const rec = buf.subarray(0, fill);
    const a = analyzer.analyze(rec, offset);
    if (a.residue.length) each(a.residue, a.hint, offset);
    offset += fill;
    fill = 0;
    // the analyzer keeps the record in its history: the next block gets a new buffer
    buf = new Uint8Array(block);
  };
  for (const p of parts) {
    for (let i = 0; i < p.length; ) {
      const n = Math.min(block - fill, p.length - i);
      buf.set(p.subarray(i, i + n), fill);
      fill += n;
      i += n;
      if (fill === block) flush();
    }
  }
  flush();
}

/** Rows of a byte stream cut into the level's records. */
export function streamRows(source: string, parts: Iterable<Uint8Array>, level: number): SelectorRow[] {
  const rows: SelectorRow[] = [];
  forEachRecord(parts, level, (residue, hint, offset) => rows.push(rowOf(`${source}@${offset}`, residue, hint, level)));
  return rows;
}

/** A record's row: its exhaustive trials (timed) and features. */
export function rowOf(source: string, data: Uint8Array, hint: string | undefined, level: number): SelectorRow {
  const t0 = performance.now();
  const t = planTrials(data, { level, ...(hint ? { hint } : {}) });
  const ms = performance.now() - t0;
  const p = planProbe(data, { level, hint: t.format });
  return { source, level, format: t.format, features: selectorFeatures(data, t.format, level, p.names, p.sizes), tried: t.tried, ms, bytes: data.length };
}

/** The recipe's rows: generated chunks, the corpus's single files, then its trees, at each level. */
export function selectorRows(R: SelectorRecipe, corpus: string, onRow?: (r: SelectorRow) => void): SelectorRow[] {
  const rows: SelectorRow[] = [];
  const push = (r: SelectorRow): void => {
    rows.push(r);
    onRow?.(r);
  };
  for (const level of R.levels) {
    const r = seeded(R.seed + level);
    for (let k = 0; k < R.perClass; k++) {
      for (const cls of CLASSES) {
        const size = Math.round(R.minSize * (R.maxSize / R.minSize) ** r());
        const chunk = generateChunk(cls, seeded(Math.floor(r() * 2 ** 32)), size, r() < 0.5);
        push(rowOf(`generated:${cls}:${k}`, chunk, sniffFormat(chunk), level));
      }
    }
    const filesOf = (t: string): string[] => {
      const files = filesUnder(join(corpus, t));
      if (!files.length) throw new PaniniError('NOT_FOUND', `${join(corpus, t)}: no files (build the corpus: ../shared/corpus/build-corpus.sh)`, { path: join(corpus, t) });
      return files;
    };
    for (const t of R.files) for (const f of filesOf(t)) for (const row of streamRows(`corpus:${f.slice(corpus.length + 1)}`, [readFileSync(f)], level)) push(row);
    for (const t of R.trees) {
      const files = filesOf(t);
      for (const row of streamRows(`corpus:${t}`, (function* () { for (const f of files) yield readFileSync(f); })(), level)) push(row);
    }
  }
  return rows;
}

/** Trains the MLP on labelled rows. */
export function trainSelectorLayers(R: SelectorRecipe, all: SelectorRow[]): DenseLayer[] {
  const k = CANDIDATE_NAMES.length;
  // a record with one candidate (packed formats at every level) teaches nothing: there was no choice
  const rows = all.filter((r) => r.tried.filter((t) => Number.isFinite(t.size)).length >= 2);
  const x = new Float32Array(rows.length * SELECTOR_WIDTH);
  const y = new Float32Array(rows.length * k);
  // a row weighs what is at stake in it: the share of its plain size between its best and worst candidate (so
  // records where the choice is worth 5 % count five times those where it is worth 1 %), normalised to mean 1
  const stake = rows.map((r) => {
    const f = r.tried.filter((t) => Number.isFinite(t.size)).map((t) => t.size);
    return (Math.max(...f) - Math.min(...f)) / Math.max(...f);
  });
  const mean = stake.reduce((a, b) => a + b, 0) / Math.max(1, stake.length) || 1;
  const w = Float32Array.from(stake, (s) => (R.stakeWeights ? s / mean : 1));
  rows.forEach((r, i) => {
    x.set(r.features, i * SELECTOR_WIDTH);
    selectorTarget(r.tried, R.temperature, y, i * k);
  });
  return trainMlp(x, y, SELECTOR_WIDTH, k, { hidden: [...R.hidden], epochs: R.epochs, seed: R.seed, rowWeights: w, ...(R.decay !== undefined ? { decay: R.decay } : {}) });
}

/** The layers' float32 bytes, little-endian, layer by layer (weights in × out, then bias): the embedded form. */
export function packLayers(layers: DenseLayer[]): Uint8Array {
  const n = layers.reduce((a, l) => a + l.weights.length + l.bias.length, 0);
  const out = new Uint8Array(n * 4);
  const v = new DataView(out.buffer);
  let at = 0;
  for (const l of layers) {
    for (const w of l.weights) (v.setFloat32(at, w, true), (at += 4));
    for (const b of l.bias) (v.setFloat32(at, b, true), (at += 4));
  }
  return out;
}

/** The TypeScript module that embeds a version's weights (src/dhatu/selector-model.ts). */
export function selectorModule(version: string, layers: DenseLayer[], onnxSha256: string): string {
  const b64 = Buffer.from(packLayers(layers)).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 116) lines.push(`    '${b64.slice(i, i + 116)}'`);
  return `// Written by \`panini-fs models train\` (src/model/selector-train.ts): the plan selector's weights, float32 little-endian,
// layer by layer (weights in × out, then bias), base64. The same weights as models/${SELECTOR_NAME}-${version}.onnx.
export const SELECTOR_MODEL: { version: string; onnxSha256: string; shape: [number, number][]; weights: string } = {
  version: '${version}',
  onnxSha256: '${onnxSha256}',
  shape: [${layers.map((l) => `[${l.in}, ${l.out}]`).join(', ')}],
  weights:
${lines.join(' +\n')},
};
`;
}

/** The .onnx file of a selector version with these layers (what training writes; the embedded weights give it back). */
export function selectorOnnx(version: string, layers: DenseLayer[]): Uint8Array {
  const R = SELECTOR_RECIPES[version];
  if (!R) throw new PaniniError('MODEL', `${SELECTOR_NAME} has no recipe for version ${version}`, { option: 'version' });
  return writeMlp({
    name: SELECTOR_NAME,
    layers,
    doc: 'panini-fs plan selector: record features (src/dhatu/selector.ts) to candidate chain probabilities',
    metadata: { candidates: CANDIDATE_NAMES.join(','), features: String(SELECTOR_WIDTH), version, recipe: JSON.stringify(R) },
  });
}

/** The selector's .onnx bytes, its layers and the embedded module's text, from the corpus at `corpus`. */
export function trainSelector(version: string, corpus: string, onRow?: (r: SelectorRow) => void): { onnx: Uint8Array; layers: DenseLayer[]; module: string; rows: SelectorRow[] } {
  const R = SELECTOR_RECIPES[version];
  if (!R) throw new PaniniError('MODEL', `${SELECTOR_NAME} has no recipe for version ${version} (recipes: ${Object.keys(SELECTOR_RECIPES).join(', ')})`, { option: 'version' });
  const rows = selectorRows(R, corpus, onRow);
  const layers = trainSelectorLayers(R, rows);
  const onnx = selectorOnnx(version, layers);
  return { onnx, layers, module: selectorModule(version, layers, sha256Hex(onnx)), rows };
}
