// The planner: chooses a chain of stages for a record by trial (code each candidate, keep the smallest) and writes
// the plan. Candidates depend on the format (a hint from the grammar layer, or its detector on the head); the level sets how
// much is tried: 1–3 the first two candidates, judged on a 1 MiB sample; 4–6 every candidate on a 2 MiB sample
// (coded at plz level 1 for 4–5); 7–8 on a 4 MiB sample; 9 every candidate on the whole record. Always deterministic (no
// clocks, no randomness). With `planner: 'model'` the plan selector (src/dhatu/selector.ts) ranks the candidates from
// the record's features first and only its choice is coded, or its two best when it is unsure.
import { PaniniError } from '../errors.js';
import { detect, type FormatId } from '../grammar/index.js';
import { formatGroup, selectCandidates, type Selection } from './selector.js';
import { writePlan } from './plan.js';
import { hasStage, stageKind } from './registry.js';
import type { Dhatu, StageResult } from './stage.js';
import { DHATUS } from './stage.js';
import { CODER_PFZ, CODER_PLZ, coderForward } from './stages/coder.js';
import { iterRunsForward } from './stages/iter.js';
import { sniffColumns, splitColumnsForward, splitJsonForward } from './stages/split.js';
import { tokenForward } from './stages/token.js';
import { splitWasmForward } from './stages/wasm-split.js';

/** A record's format: the grammar layer's format ids (one vocabulary from detection to the planner). */
export type FormatHint = FormatId;

export interface PlanOptions {
  /** 1–9 */
  level: number;
  /** format id from the grammar layer; sniffed when absent */
  hint?: FormatHint | string;
  /** stages the caller already applied (COMM, REFLATE): written first; the last one's single stream is coded */
  pre?: StageResult[];
  /** coder id for the final streams (default plz) */
  coder?: number;
  /**
   * called after each trial coding with the share of the planner's work done so far (0 < share < 1; trials on a
   * sample weigh their sample's length), so a progress display moves while one record is coded
   */
  onStep?: (share: number) => void;
  /**
   * how the chain is chosen: 'trial' (default) codes the level's candidates and keeps the smallest; 'model' lets the
   * plan selector pick from the same candidates (one trial-free coding, or a trial between its two best when unsure)
   */
  planner?: 'trial' | 'model';
}

export interface PlanStageInfo {
  id: number;
  name: string;
  dhatu: Dhatu;
  handled: number;
}

export interface PlanStats {
  /** the format the candidates were chosen for */
  format: string;
  /** the chosen candidate's name */
  chosen: string;
  /** every candidate tried and its trial size (sample or whole, and the trial's coder level: see the level) */
  tried: { name: string; size: number }[];
  stages: PlanStageInfo[];
  /** bytes of the record each dhātu handled */
  byDhatu: Record<Dhatu, number>;
  /** with planner 'model': the candidates the selector kept, best first, and its confidence in the first */
  selected?: Selection;
  /** payload bytes */
  size: number;
}

/** The share a transform must save over coding the record as is (its inverse costs decode time). */
const MIN_GAIN = 0.005;
/**
 * The highest level whose candidates are ranked by a level-1 trial (see encodePlan). Not 6: on the version series
 * the level-1 ranking chose worse chains for COMM residues (+0.74 % at level 6), see docs/DHATU.md "Planner".
 */
const PROXY_TRIAL_MAX_LEVEL = 5;

type Candidate = { name: string; build(data: Uint8Array): StageResult[] | null };

const CANDIDATES = {
  plain: { name: 'plain', build: () => [] } as Candidate,
  runs: { name: 'runs', build: (d: Uint8Array) => [iterRunsForward([d], 0, 32)] } as Candidate,
  words: {
    name: 'words',
    build: (d: Uint8Array) => {
      const t = tokenForward([d], 0);
      return t ? [t] : null;
    },
  } as Candidate,
  wordsBare: {
    name: 'words-bare',
    build: (d: Uint8Array) => {
      const t = tokenForward([d], 0, { leads: '' });
      return t ? [t] : null;
    },
  } as Candidate,
  columns: {
    name: 'columns',
    build: (d: Uint8Array) => {
      const c = sniffColumns(d);
      return c ? [splitColumnsForward([d], 0, c.delimiter, c.columns)] : null;
    },
  } as Candidate,
  columnsWords: {
    name: 'columns+words',
    build: (d: Uint8Array) => {
      const c = sniffColumns(d);
      if (!c) return null;
      const s = splitColumnsForward([d], 0, c.delimiter, c.columns);
      // words first (one dictionary for all columns), then the columns of the coded text
      const t = tokenForward([d], 0, { leads: '' });
      if (!t) return [s];
      const c2 = sniffColumns(t.streams[0]!);
      return c2 && c2.delimiter === c.delimiter ? [t, splitColumnsForward(t.streams, 0, c.delimiter, c.columns)] : [t];
    },
  } as Candidate,
  wasm: {
    name: 'wasm',
    build: (d: Uint8Array) => {
      const w = splitWasmForward([d], 0);
      return w ? [w] : null;
    },
  } as Candidate,
  json: { name: 'json', build: (d: Uint8Array) => [splitJsonForward([d], 0)] } as Candidate,
  jsonWords: {
    name: 'json+words',
    build: (d: Uint8Array) => {
      const s = splitJsonForward([d], 0);
      const t = tokenForward(s.streams, 2);
      return t ? [s, t] : null;
    },
  } as Candidate,
};

/** Bytes of a record's head its format is detected from (the adapter's hint, and the planner's own fallback). */
export const SNIFF_BYTES = 64 << 10;
/** Levels up to this one code with pfz (decodes several times faster than plz; larger output), above with plz. */
export const PFZ_MAX_LEVEL = 3;
/** The coder a level's records are coded with (the container adapter's choice, and the trials' by default). */
export const levelCoder = (level: number): number => (level <= PFZ_MAX_LEVEL ? CODER_PFZ : CODER_PLZ);

/** The format of a record for the planner when the caller gives no hint: the grammar's detector on its head. */
export function sniffFormat(d: Uint8Array): FormatHint {
  return detect(d.subarray(0, SNIFF_BYTES), d.length).format;
}

/** The names of the candidates a level tries for a format, in trial order. */
export function planCandidates(format: string, level: number): string[] {
  return levelCandidates(format, level).map((x) => x.name);
}

/** The candidates a level tries for a format: the first two at levels 1–3, all of them above. */
function levelCandidates(format: string, level: number): Candidate[] {
  const c = candidatesFor(format);
  return level <= 3 ? c.slice(0, 2) : c;
}

/** The candidates of each format group (FORMAT_GROUPS order), in trial order: the first is the fast levels' guess. */
const GROUP_CANDIDATES: Candidate[][] = (() => {
  const C = CANDIDATES;
  return [
    [C.words, C.plain, C.wordsBare, C.jsonWords, C.json], // json, ndjson, sourcemap
    [C.wordsBare, C.plain, C.words], // js
    [C.words, C.plain, C.wordsBare], // text, xml, html, mail
    [C.columns, C.plain, C.columnsWords, C.words], // csv, tsv
    [C.plain, C.wasm, C.runs], // wasm
    [C.plain, C.runs], // elf, tar, pdf
    [C.plain], // png, jpeg, zip, gzip
    [C.plain, C.words, C.runs, C.wordsBare], // anything else
  ];
})();

function candidatesFor(format: string): Candidate[] {
  return GROUP_CANDIDATES[formatGroup(format)]!;
}

function checkLevel(level: unknown): number {
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 1 || level > 9) {
    throw new PaniniError('OPTION', `plan level must be an integer from 1 to 9, got ${String(level)}`, { option: 'level' });
  }
  return level;
}

interface Trial {
  chain: StageResult[];
  coded: StageResult;
  /** coded stream bytes + params + framing estimate */
  size: number;
}

/** Builds and codes candidate `c` on `d`; null when it does not apply. */
function trial(c: Candidate, d: Uint8Array, level: number, coder: number): Trial | null {
  const chain = c.build(d);
  if (!chain) return null;
  const last = chain.length ? chain[chain.length - 1]!.streams : [d];
  const coded = coderForward(last, { level, coder });
  let size = coded.params.length;
  for (const s of coded.streams) size += s.length + 3;
  for (const s of chain) size += s.params.length + 6;
  return { chain, coded, size };
}

/** A deterministic sample: the whole record when small, else `max` bytes from its middle (its head for formats
 *  whose transforms need the header). */
function sample(d: Uint8Array, max: number, head: boolean): Uint8Array {
  if (d.length <= max) return d;
  if (head) return d.subarray(0, max);
  const a = Math.floor((d.length - max) / 2);
  return d.subarray(a, a + max);
}

/** Chooses and applies a chain for `data` (or for the last `pre` stage's stream) and returns the plan payload. */
export function encodePlan(data: Uint8Array, opts: PlanOptions): { payload: Uint8Array; stats: PlanStats } {
  const level = checkLevel(opts.level);
  const coder = opts.coder ?? CODER_PLZ;
  const pre = opts.pre ?? [];
  let input = data;
  if (pre.length) {
    const lastPre = pre[pre.length - 1]!;
    if (lastPre.streams.length !== 1) throw new PaniniError('OPTION', `the last pre stage must leave one stream, it leaves ${lastPre.streams.length}`, { option: 'pre' });
    input = lastPre.streams[0]!;
  }
  const format = opts.hint ?? sniffFormat(input);
  let cands = levelCandidates(format, level);
  let selected: Selection | undefined;
  if (opts.planner === 'model' && cands.length > 1) {
    selected = selectCandidates(input, format, level, cands.map((c) => c.name), probeSizes(cands, input, format, coder));
    const keep = selected.names;
    cands = keep.map((n) => cands.find((c) => c.name === n)!);
  }
  const t = runTrials(cands, input, format, level, coder, opts.onStep);
  const tried = t.tried;
  let best = t.best;
  let bestTrial = t.bestTrial;
  bestTrial ??= trial(best, input, level, coder);
  if (!bestTrial) {
    best = CANDIDATES.plain;
    bestTrial = trial(best, input, level, coder)!;
  }
  const { chain, coded } = bestTrial;
  const all = [...pre, ...chain, coded];
  const payload = writePlan(all);
  const byDhatu = Object.fromEntries(DHATUS.map((d) => [d, 0])) as Record<Dhatu, number>;
  const stages: PlanStageInfo[] = all.map((s) => {
    const k = hasStage(s.id) ? stageKind(s.id) : undefined;
    const dhatu: Dhatu = k?.dhatu ?? 'CODER';
    byDhatu[dhatu] += s.handled;
    return { id: s.id, name: k?.name ?? `stage-${s.id}`, dhatu, handled: s.handled };
  });
  return { payload, stats: { format, chosen: best.name, tried, stages, byDhatu, size: payload.length, ...(selected ? { selected } : {}) } };
}

/**
 * The trials of `cands` on `input` as encodePlan runs them: each candidate's trial size (Infinity where it does not
 * apply) and the winner; `bestTrial` is kept only when it was coded on the whole input at the level itself.
 */
function runTrials(cands: Candidate[], input: Uint8Array, format: string, level: number, coder: number, onStep?: (share: number) => void): { tried: { name: string; size: number }[]; best: Candidate; bestTrial: Trial | null } {
  const tried: { name: string; size: number }[] = [];
  let best = cands[0]!;
  let bestTrial: Trial | null = null;
  if (cands.length > 1) {
    const probe = sample(input, level <= 3 ? 1 << 20 : level <= 6 ? 2 << 20 : level <= 8 ? 4 << 20 : Infinity, format === 'wasm');
    // levels 4–5 rank the candidates with the coder's fastest level (docs/DHATU.md "Planner"); the others judge at
    // the level itself
    const tl = coder === CODER_PLZ && level >= 4 && level <= PROXY_TRIAL_MAX_LEVEL ? 1 : level;
    // the work: every trial on the probe, then (unless the probe is the input, judged at the level) the final coding
    const finalAgain = probe !== input || tl < level;
    const work = cands.length * probe.length + (finalAgain ? input.length : 0);
    let done = 0;
    for (const c of cands) {
      const t = trial(c, probe, tl, coder);
      done += probe.length;
      if (onStep && work > 0 && done < work) onStep(done / work);
      tried.push({ name: c.name, size: t ? t.size : Infinity });
      // a transform costs decode time: it must beat the plain coding by MIN_GAIN to be chosen
      if (t && c !== CANDIDATES.plain) t.size = Math.ceil(t.size * (1 + MIN_GAIN));
      if (t && (!bestTrial || t.size < bestTrial.size)) {
        bestTrial = t;
        best = c;
      }
    }
    if (finalAgain) bestTrial = null;
  }
  return { tried, best, bestTrial };
}

/** Bytes of the record the selector's probe trials code (each candidate at the coder's fastest level). */
const SELECTOR_PROBE = 64 << 10;

/**
 * The selector's probe: each candidate coded on SELECTOR_PROBE bytes of the record at the coder's level 1, as a share
 * of the plain coding's size (Infinity where the candidate does not apply). A fraction of the trials' cost (64 KiB
 * at level 1 against 1–4 MiB at the level), too small to rank by itself: the model learns how it scales.
 */
function probeSizes(cands: Candidate[], input: Uint8Array, format: string, coder: number, bytes = SELECTOR_PROBE, level = 1): number[] {
  const probe = sample(input, bytes, format === 'wasm');
  const sizes = cands.map((c) => trial(c, probe, level, coder)?.size ?? Infinity);
  const plain = cands.indexOf(CANDIDATES.plain);
  const base = plain >= 0 && Number.isFinite(sizes[plain]!) ? sizes[plain]! : Math.min(...sizes.filter(Number.isFinite), Infinity);
  return sizes.map((s) => (Number.isFinite(s) && base > 0 ? s / base : Infinity));
}

/** The selector's probe of a record (the training rows' input, as encodePlan computes it). */
export function planProbe(data: Uint8Array, opts: { level: number; hint?: string; coder?: number; bytes?: number; probeLevel?: number }): { format: string; names: string[]; sizes: number[] } {
  const level = checkLevel(opts.level);
  const format = opts.hint ?? sniffFormat(data);
  const cands = levelCandidates(format, level);
  return { format, names: cands.map((c) => c.name), sizes: probeSizes(cands, data, format, opts.coder ?? levelCoder(level), opts.bytes, opts.probeLevel) };
}

/**
 * The exhaustive planner's trials of a record without the final coding (the plan selector's training labels): each
 * candidate the level tries, with its trial size as the planner compares it (transforms charged MIN_GAIN), Infinity
 * where it does not apply.
 */
export function planTrials(data: Uint8Array, opts: { level: number; hint?: string; coder?: number; names?: readonly string[] }): { format: string; tried: { name: string; size: number }[] } {
  const level = checkLevel(opts.level);
  const format = opts.hint ?? sniffFormat(data);
  let cands = levelCandidates(format, level);
  // `names`: only these of the level's candidates (the selector's two best)
  if (opts.names) cands = cands.filter((c) => opts.names!.includes(c.name));
  if (cands.length < 2) return { format, tried: [] };
  const { tried } = runTrials(cands, data, format, level, opts.coder ?? levelCoder(level));
  return { format, tried: tried.map((t) => ({ name: t.name, size: t.name === 'plain' || !Number.isFinite(t.size) ? t.size : Math.ceil(t.size * (1 + MIN_GAIN)) })) };
}
