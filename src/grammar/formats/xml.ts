// XML / HTML: cuts before tags (start tags, comments, processing instructions, doctype) whose nesting depth is small,
// shallowest first (the root's children, then theirs, ...), then at line starts, then by size. HTML: void elements
// do not nest, <script>/<style>/<textarea>/<title> contents are skipped as raw text. Depth is approximate for HTML
// whose end tags are implied (<p>, <li>): it only drifts deeper, which makes cuts rarer, never wrong.
import { offerLines } from '../cut.js';
import type { Grammar, Sink } from '../types.js';

/** Packs a lowercase ASCII tag name of ≤ 8 letters into a number (0 when it does not fit). */
function nameKey(data: Uint8Array, s: number, e: number): number {
  if (e - s > 8 || e <= s) return 0;
  let k = 0;
  for (let i = s; i < e; i++) {
    const c = data[i]! | 32;
    if (c < 97 || c > 122) return 0;
    k = k * 32 + (c - 96);
  }
  return k;
}
function keyOf(name: string): number {
  let k = 0;
  for (let i = 0; i < name.length; i++) k = k * 32 + (name.charCodeAt(i) - 96);
  return k;
}
const VOID = new Set(
  ['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'keygen'].map(keyOf),
);
const RAW = new Set(['script', 'style', 'textarea', 'title', 'xmp'].map(keyOf));

/** Index of `seq` in data[from, end), or -1. */
export function indexOfSeq(data: Uint8Array, seq: readonly number[], from: number, end: number): number {
  const v = data.subarray(0, end);
  const c0 = seq[0]!;
  let i = from;
  for (;;) {
    const j = v.indexOf(c0, i);
    if (j < 0 || j + seq.length > end) return -1;
    let k = 1;
    while (k < seq.length && data[j + k] === seq[k]) k++;
    if (k === seq.length) return j;
    i = j + 1;
  }
}

const COMMENT_END = [45, 45, 62]; // -->
const CDATA_END = [93, 93, 62]; // ]]>
const PI_END = [63, 62]; // ?>

const isNameChar = (c: number): boolean => !(c === 32 || c === 9 || c === 10 || c === 13 || c === 47 || c === 62 || c === 60);

/** End (offset after '>') of a tag whose attributes start at i, honouring quoted values; -1 if none before end. */
function tagEnd(data: Uint8Array, i: number, end: number): number {
  let q = 0;
  for (; i < end; i++) {
    const c = data[i]!;
    if (q !== 0) {
      if (c === q) q = 0;
    } else if (c === 34 || c === 39) q = c;
    else if (c === 62) return i + 1;
  }
  return -1;
}

/** Offset of "</name" (name compared case-insensitively) at or after i, or -1. */
function rawTextEnd(data: Uint8Array, i: number, end: number, ns: number, ne: number): number {
  const v = data.subarray(0, end);
  const len = ne - ns;
  for (;;) {
    const j = v.indexOf(60, i);
    if (j < 0 || j + 2 + len > end) return -1;
    if (data[j + 1] === 47) {
      let k = 0;
      while (k < len && (data[j + 2 + k]! | 32) === (data[ns + k]! | 32)) k++;
      if (k === len && !isNameChar(data[j + 2 + len] ?? 62)) return j;
    }
    i = j + 1;
  }
}

/** Offers markup starts at depth ≤ maxDepth in (a, b); `depth` is the number of open elements at a. */
export function offerMarkup(data: Uint8Array, a: number, b: number, maxDepth: number, depth: number, html: boolean, sink: Sink): void {
  const v = data.subarray(0, b);
  let i = a;
  while (i < b) {
    const lt = v.indexOf(60, i);
    if (lt < 0 || lt + 1 >= b) return;
    const n = data[lt + 1]!;
    if (n === 33) {
      // <!-- comment -->, <![CDATA[ ]]>, <!DOCTYPE ...>
      if (data[lt + 2] === 45 && data[lt + 3] === 45) {
        if (depth <= maxDepth) sink.offer(lt, depth);
        const e = indexOfSeq(data, COMMENT_END, lt + 4, b);
        if (e < 0) return;
        i = e + 3;
      } else if (data[lt + 2] === 91) {
        const e = indexOfSeq(data, CDATA_END, lt + 3, b);
        if (e < 0) return;
        i = e + 3;
      } else {
        if (depth <= maxDepth) sink.offer(lt, depth);
        // declaration: '>' outside quotes and outside an internal subset [...]
        let br = 0;
        let q = 0;
        let k = lt + 2;
        for (; k < b; k++) {
          const c = data[k]!;
          if (q !== 0) {
            if (c === q) q = 0;
          } else if (c === 34 || c === 39) q = c;
          else if (c === 91) br++;
          else if (c === 93) br--;
          else if (c === 62 && br <= 0) break;
        }
        if (k >= b) return;
        i = k + 1;
      }
    } else if (n === 63) {
      if (depth <= maxDepth) sink.offer(lt, depth);
      const e = indexOfSeq(data, PI_END, lt + 2, b);
      if (e < 0) return;
      i = e + 2;
    } else if (n === 47) {
      const e = tagEnd(data, lt + 2, b);
      if (e < 0) return;
      if (depth > 0) depth--;
      i = e;
    } else if ((n | 32) >= 97 && (n | 32) <= 122) {
      if (depth <= maxDepth) sink.offer(lt, depth);
      let ne = lt + 1;
      while (ne < b && isNameChar(data[ne]!)) ne++;
      const e = tagEnd(data, ne, b);
      if (e < 0) return;
      const selfClosing = data[e - 2] === 47;
      i = e;
      if (html) {
        const key = nameKey(data, lt + 1, ne);
        if (VOID.has(key)) continue;
        if (!selfClosing && RAW.has(key)) {
          const r = rawTextEnd(data, e, b, lt + 1, ne);
          if (r < 0) return;
          depth++;
          i = r;
          continue;
        }
        if (selfClosing) continue; // <br/>, <x/> in XHTML
        depth++;
      } else if (!selfClosing) depth++;
    } else i = lt + 1; // a bare '<' in text
  }
}

const MARKUP_DEPTHS = [1, 2, 3, 4, 6, 8];

function markupGrammar(data: Uint8Array, html: boolean): Grammar {
  const nd = MARKUP_DEPTHS.length;
  return {
    levels: nd + 1,
    scan(a, b, level, tag, sink) {
      if (level < nd) offerMarkup(data, a, b, MARKUP_DEPTHS[level]!, tag, html, sink);
      else offerLines(data, a, b, sink);
    },
  };
}

export const xmlGrammar = (data: Uint8Array): Grammar => markupGrammar(data, false);
export const htmlGrammar = (data: Uint8Array): Grammar => markupGrammar(data, true);
