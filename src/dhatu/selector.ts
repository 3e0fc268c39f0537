// The plan selector: a small MLP that ranks the planner's candidate chains for a record from its byte features, its
// format group and its level, so the planner codes one chain instead of trying several. Trained by
// src/model/selector-train.ts on the exhaustive planner's trial sizes (`panini-fs models train`), shipped as
// models/plan-selector-*.onnx, and embedded here (src/dhatu/selector-model.ts, written by the same training run) so
// the choice needs no runtime, no file and no device: it is computed in float64 from the float32 weights and decided
// on logits alone (no exp), the same on every machine and in Node and Chromium, so the same input and options give
// the same container bytes there. (The byte features use Math.log2, which ECMAScript lets an engine approximate: an
// engine whose log2 differs in the last bit could flip a choice that sits exactly on a tie.)
// Encode side only: the plan written is an ordinary plan, decoded like any other.
import { PaniniError } from '../errors.js';
import { FEATURE_WIDTH, chunkFeatures } from '../grammar/features.js';
import { SELECTOR_MODEL } from './selector-model.js';
import { mlpLogits, type DenseLayer } from './mlp.js';
import { decodeBase64 } from '../wasm/base64.js';

/** The selector's logits for one row of features (src/dhatu/mlp.ts). */
export const selectorLogits = mlpLogits;

/** The planner's candidate chains (src/dhatu/planner.ts), in the order of the selector's output columns. */
export const CANDIDATE_NAMES = ['plain', 'runs', 'words', 'words-bare', 'columns', 'columns+words', 'wasm', 'json', 'json+words'] as const;

/**
 * The candidate groups of formats (formats with the same candidate list share one): the selector's format input and
 * the planner's candidate lists. Order fixed: a group is a column of the selector's features.
 */
export const FORMAT_GROUPS = ['json', 'js', 'text', 'table', 'wasm', 'binary', 'packed', 'generic'] as const;
export function formatGroup(format: string): number {
  switch (format) {
    case 'json': case 'ndjson': case 'sourcemap': return 0;
    case 'js': return 1;
    case 'text': case 'xml': case 'html': case 'mail': return 2;
    case 'csv': case 'tsv': return 3;
    case 'wasm': return 4;
    case 'elf': case 'tar': case 'pdf': return 5;
    case 'png': case 'jpeg': case 'zip': case 'gzip': return 6;
    default: return 7;
  }
}

/** Word statistics of the sample (what decides whether TOKEN pays, and with which leads): see wordFeatures. */
const WORD_FEATURES = 12;
/** Bytes of a record the word statistics read: its head and evenly spaced windows. */
const WORD_SAMPLE = 64 << 10;

/**
 * Features after the byte features: word statistics, the format group (one-hot), whether the level is fast (1–3),
 * and the probe: per candidate (CANDIDATE_NAMES order) its size on the 64 KiB probe as a share of the plain coding's,
 * and whether it applies there (1) or not (0; its share then 0).
 */
export const SELECTOR_WIDTH = FEATURE_WIDTH + WORD_FEATURES + FORMAT_GROUPS.length + 1 + 2 * CANDIDATE_NAMES.length;

const isWordByte = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c >= 0x80;

/**
 * Word statistics of up to WORD_SAMPLE bytes of `d` (8 windows of 8 KiB): share of bytes in words of ≥ 3 word bytes,
 * distinct and repeated shares of those words (by a 16-bit hash), mean word length, the byte before each word
 * (space, newline or tab, punctuation, another class), and the densities of quotes, braces and brackets, commas and
 * colons, and line ends.
 */
function wordFeatures(d: Uint8Array, out: Float32Array, at: number): void {
  const seen = new Uint8Array(8192);
  let bytes = 0;
  let wordBytes = 0;
  let words = 0;
  let repeated = 0;
  let distinct = 0;
  let space = 0;
  let line = 0;
  let punct = 0;
  let quotes = 0;
  let braces = 0;
  let commas = 0;
  let lines = 0;
  const win = WORD_SAMPLE / 8;
  const n = Math.min(8, Math.max(1, Math.ceil(d.length / win)));
  for (let w = 0; w < n; w++) {
    const a = n === 1 ? 0 : Math.floor(((d.length - Math.min(win, d.length)) * w) / (n - 1));
    const b = Math.min(d.length, a + win);
    let i = a;
    while (i < b) {
      const c = d[i]!;
      if (!isWordByte(c)) {
        if (c === 0x22 || c === 0x27 || c === 0x60) quotes++;
        else if (c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d || c === 0x28 || c === 0x29) braces++;
        else if (c === 0x2c || c === 0x3a || c === 0x3b) commas++;
        else if (c === 0x0a) lines++;
        i++;
        continue;
      }
      let j = i;
      let h = 2166136261;
      while (j < b && isWordByte(d[j]!)) h = Math.imul(h ^ d[j++]!, 16777619);
      const len = j - i;
      if (len >= 3) {
        words++;
        wordBytes += len;
        const k = (h ^ (h >>> 16)) & 0xffff;
        if (seen[k >> 3]! & (1 << (k & 7))) repeated++;
        else {
          seen[k >> 3]! |= 1 << (k & 7);
          distinct++;
        }
        const p = i > 0 ? d[i - 1]! : 0x0a;
        if (p === 0x20) space++;
        else if (p === 0x0a || p === 0x0d || p === 0x09) line++;
        else if (p < 0x80) punct++;
      }
      i = j;
    }
    bytes += b - a;
  }
  const nb = Math.max(1, bytes);
  const nw = Math.max(1, words);
  const v = [wordBytes / nb, distinct / nw, repeated / nw, Math.min(1, wordBytes / nw / 16), space / nw, line / nw, punct / nw, 1 - (space + line + punct) / nw, Math.min(1, (quotes * 8) / nb), Math.min(1, (braces * 8) / nb), Math.min(1, (commas * 8) / nb), Math.min(1, (lines * 16) / nb)];
  for (let k = 0; k < WORD_FEATURES; k++) out[at + k] = v[k]!;
}

/**
 * When the second-best allowed candidate's probability is at least this share of the best's, both are tried (the
 * planner's trial decides between them); otherwise the best is coded alone.
 */
export const SELECTOR_MARGIN = 0.5;
/** ln SELECTOR_MARGIN, written out (the planner's decision uses no library function an engine may approximate). */
const LN_SELECTOR_MARGIN = -0.6931471805599453;

export interface Selection {
  /** the candidates to code, best first: one, or two when the selector is unsure */
  names: string[];
  /** the first's probability among the allowed candidates */
  confidence: number;
  /** the embedded model's version */
  model: string;
}

/**
 * The selector's input row for a record (the residue the planner codes), its format and level, and the probe sizes
 * of the candidates `names` (src/dhatu/planner.ts planProbe: shares of the plain coding, Infinity: not applicable).
 */
export function selectorFeatures(input: Uint8Array, format: string, level: number, names: readonly string[], probe: readonly number[], out: Float32Array = new Float32Array(SELECTOR_WIDTH), at = 0): Float32Array {
  chunkFeatures(input, out, at);
  wordFeatures(input, out, at + FEATURE_WIDTH);
  const g = at + FEATURE_WIDTH + WORD_FEATURES;
  for (let i = 0; i < FORMAT_GROUPS.length; i++) out[g + i] = 0;
  out[g + formatGroup(format)] = 1;
  out[g + FORMAT_GROUPS.length] = level <= 3 ? 1 : 0;
  const q = g + FORMAT_GROUPS.length + 1;
  for (let k = 0; k < 2 * CANDIDATE_NAMES.length; k++) out[q + k] = 0;
  names.forEach((n, i) => {
    const k = (CANDIDATE_NAMES as readonly string[]).indexOf(n);
    const v = probe[i]!;
    if (k < 0 || !Number.isFinite(v)) return;
    out[q + k] = Math.min(2, v);
    out[q + CANDIDATE_NAMES.length + k] = 1;
  });
  return out;
}

/**
 * Ranks `allowed` (candidate names, trial order) by the model's probabilities renormalised over them, and keeps the
 * best, or the best two when the second is within SELECTOR_MARGIN. Ties go to the earlier candidate in trial order.
 */
export function rankCandidates(logits: Float64Array, allowed: readonly string[], margin = SELECTOR_MARGIN): { names: string[]; confidence: number } {
  const idx = allowed.map((n) => {
    const i = (CANDIDATE_NAMES as readonly string[]).indexOf(n);
    if (i < 0) throw new PaniniError('STATE', `the plan selector knows no candidate "${n}"`);
    return i;
  });
  // the decision compares logits only (p2 ≥ margin · p1 ⟺ z2 − z1 ≥ ln margin): no exp in it, so no engine's
  // approximation of Math.exp can change a choice; the confidence is reported, never decided on
  const z = idx.map((i) => logits[i]!);
  const order = allowed.map((_, j) => j).sort((x, y) => z[y]! - z[x]! || x - y);
  const first = order[0]!;
  const names = [allowed[first]!];
  const second = order[1];
  const lnMargin = margin === SELECTOR_MARGIN ? LN_SELECTOR_MARGIN : Math.log(margin);
  if (second !== undefined && z[second]! - z[first]! >= lnMargin) names.push(allowed[second]!);
  let sum = 0;
  for (const v of z) sum += Math.exp(v - z[first]!);
  return { names, confidence: 1 / sum };
}

let layers: DenseLayer[] | undefined;

/** The embedded model's layers (decoded once). */
export function selectorLayers(): DenseLayer[] {
  if (layers) return layers;
  const raw = decodeBase64(SELECTOR_MODEL.weights);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let at = 0;
  const f32 = (n: number): Float32Array => {
    const o = new Float32Array(n);
    for (let i = 0; i < n; i++, at += 4) o[i] = view.getFloat32(at, true);
    return o;
  };
  const out: DenseLayer[] = [];
  for (const [i, o] of SELECTOR_MODEL.shape) out.push({ in: i!, out: o!, weights: f32(i! * o!), bias: f32(o!) });
  if (at !== raw.length || out[0]!.in !== SELECTOR_WIDTH || out[out.length - 1]!.out !== CANDIDATE_NAMES.length) {
    throw new PaniniError('STATE', `the embedded plan selector ${SELECTOR_MODEL.version} does not fit these features (${SELECTOR_WIDTH} in, ${CANDIDATE_NAMES.length} out)`);
  }
  return (layers = out);
}

/** The planner's question: which of `allowed` to code for this record. */
export function selectCandidates(input: Uint8Array, format: string, level: number, allowed: readonly string[], probe: readonly number[]): Selection {
  const L = selectorLayers();
  const r = rankCandidates(selectorLogits(L, selectorFeatures(input, format, level, allowed, probe)), allowed);
  return { ...r, model: SELECTOR_MODEL.version };
}
