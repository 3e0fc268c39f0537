// Measures the plan selector against the exhaustive planner on records it never saw: per record, the exhaustive
// trials (timed), the selector's choice (features and model, timed) and, when it keeps two, the trial between them
// (timed). Sizes come from the exhaustive trial table, so the three choices are judged on the same codings.
import { planProbe, planTrials } from '../dhatu/planner.js';
import { SELECTOR_MARGIN, rankCandidates, selectorFeatures, selectorLayers, selectorLogits } from '../dhatu/selector.js';
import type { DenseLayer } from '../dhatu/mlp.js';
import { forEachRecord, rowOf, type SelectorRow } from './selector-train.js';

export interface SelectorCase {
  source: string;
  level: number;
  format: string;
  bytes: number;
  /** trial sizes: the plain coding, the exhaustive planner's choice, the selector's choice */
  plain: number;
  exhaustive: number;
  selected: number;
  exhaustiveName: string;
  selectedNames: string[];
  /** milliseconds: the exhaustive trials; the selector (features + model + a trial between two) */
  trialMs: number;
  selectorMs: number;
}

export interface SelectorSummary {
  cases: number;
  bytes: number;
  plain: number;
  exhaustive: number;
  selected: number;
  /** (plain − selected) / (plain − exhaustive): the share of the exhaustive planner's gain the selector keeps */
  gainShare: number;
  /** cases where the selector's (first) choice is the exhaustive planner's */
  agree: number;
  /** cases where it kept two candidates */
  two: number;
  trialMs: number;
  selectorMs: number;
}

const best = (tried: { name: string; size: number }[]): { name: string; size: number } =>
  tried.reduce((a, b) => (b.size < a.size ? b : a));

/** A labelled row judged with the candidates a selector kept (null when the record had no choice). */
export function caseOf(r: SelectorRow, names: string[], selectorMs: number): SelectorCase | null {
  if (r.tried.filter((t) => Number.isFinite(t.size)).length < 2) return null;
  const sizes = new Map(r.tried.map((t) => [t.name, t.size]));
  const picked = names.map((n) => ({ name: n, size: sizes.get(n)! })).filter((t) => Number.isFinite(t.size));
  const plain = sizes.get('plain')!;
  const ex = best(r.tried.filter((t) => Number.isFinite(t.size)));
  return {
    source: r.source,
    level: r.level,
    format: r.format,
    bytes: r.bytes,
    plain,
    exhaustive: ex.size,
    // a chosen chain that does not apply falls back to plain, as in the planner
    selected: picked.length ? best(picked).size : plain,
    exhaustiveName: ex.name,
    selectedNames: names,
    trialMs: r.ms,
    selectorMs,
  };
}

/** The cases of a byte stream cut into the level's records (as compress cuts and analyses them), with the selector timed. */
export function selectorCases(source: string, parts: Iterable<Uint8Array>, level: number, layers: DenseLayer[] = selectorLayers(), margin = SELECTOR_MARGIN): SelectorCase[] {
  const out: SelectorCase[] = [];
  forEachRecord(parts, level, (residue, hint, offset) => {
    const r = rowOf(`${source}@${offset}`, residue, hint, level);
    if (r.tried.length < 2) return;
    const t0 = performance.now();
    const p = planProbe(residue, { level, hint: r.format });
    const f = selectorFeatures(residue, r.format, level, p.names, p.sizes);
    const pick = rankCandidates(selectorLogits(layers, f), r.tried.map((t) => t.name), margin);
    if (pick.names.length > 1) planTrials(residue, { level, hint: r.format, names: pick.names });
    const c = caseOf(r, pick.names, performance.now() - t0);
    if (c) out.push(c);
  });
  return out;
}

export function summarize(cases: SelectorCase[]): SelectorSummary {
  const s: SelectorSummary = { cases: cases.length, bytes: 0, plain: 0, exhaustive: 0, selected: 0, gainShare: 1, agree: 0, two: 0, trialMs: 0, selectorMs: 0 };
  for (const c of cases) {
    s.bytes += c.bytes;
    s.plain += c.plain;
    s.exhaustive += c.exhaustive;
    s.selected += c.selected;
    if (c.selectedNames[0] === c.exhaustiveName) s.agree++;
    if (c.selectedNames.length > 1) s.two++;
    s.trialMs += c.trialMs;
    s.selectorMs += c.selectorMs;
  }
  s.gainShare = s.plain === s.exhaustive ? 1 : (s.plain - s.selected) / (s.plain - s.exhaustive);
  return s;
}
