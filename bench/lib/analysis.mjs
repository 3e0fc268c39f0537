// What the reports derive from the rows: items, best-of per tool, the Pareto front, panini-fs vs the anchors.
// Only countable rows (measured, and bit-perfect where checked) take part in any "best".
import { countable, PANINI } from './rows.mjs';

/** Items in order of first appearance: [{ section, item, itemKind, originalBytes, rows }] */
export function items(rows, section) {
  const map = new Map();
  for (const r of rows) {
    if (section && r.section !== section) continue;
    const k = `${r.section}\0${r.item}`;
    if (!map.has(k)) map.set(k, { section: r.section, item: r.item, itemKind: r.itemKind, originalBytes: r.originalBytes, rows: [] });
    map.get(k).rows.push(r);
  }
  return [...map.values()];
}

export function bestRatio(rows) {
  let best = null;
  for (const r of rows) if (countable(r) && (!best || r.ratio > best.ratio)) best = r;
  return best;
}

/** Best-ratio row of each tool, in order of first appearance. */
export function bestPerTool(rows) {
  const m = new Map();
  for (const r of rows) {
    if (!countable(r)) continue;
    const b = m.get(r.tool);
    if (!b || r.ratio > b.ratio) m.set(r.tool, r);
  }
  return [...m.values()];
}

/** Points not beaten on both compression speed and ratio, sorted by speed (fast first). */
export function paretoFront(rows) {
  const pts = rows.filter((r) => countable(r) && r.compressMBps > 0).sort((a, b) => b.compressMBps - a.compressMBps || b.ratio - a.ratio);
  const front = [];
  let bestSoFar = -Infinity;
  for (const r of pts) {
    if (r.ratio > bestSoFar) {
      front.push(r);
      bestSoFar = r.ratio;
    }
  }
  return front;
}

/**
 * Per item: the best panini-fs row (by ratio), the best anchor row (by ratio), and the best anchor at least as
 * fast (compression) as that panini-fs row. quotient = panini ratio / anchor ratio (> 1: panini-fs is smaller).
 */
export function headline(rows) {
  const out = [];
  for (const it of items(rows)) {
    if (it.itemKind === 'core') continue;
    const panini = bestRatio(it.rows.filter((r) => r.tool === PANINI));
    const anchors = it.rows.filter((r) => r.tool !== PANINI);
    const anchor = bestRatio(anchors);
    const asFast = panini ? bestRatio(anchors.filter((r) => r.compressMBps != null && r.compressMBps >= panini.compressMBps)) : null;
    const failedPanini = it.rows.filter((r) => r.tool === PANINI && !countable(r)).length;
    out.push({
      ...it,
      panini,
      anchor,
      asFast,
      failedPanini,
      quotient: panini && anchor ? panini.ratio / anchor.ratio : null,
      quotientAsFast: panini && asFast ? panini.ratio / asFast.ratio : null,
    });
  }
  return out;
}
