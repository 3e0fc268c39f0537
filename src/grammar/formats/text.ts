// Plain text: paragraphs (a line after one or more blank lines), then lines, then words, then size.
import { offerLines, offerWords } from '../cut.js';
import type { Grammar, Sink } from '../types.js';

/** True when data[s, e) holds only spaces, tabs and CR (a blank line's content). */
export function isBlank(data: Uint8Array, s: number, e: number): boolean {
  for (let k = s; k < e; k++) {
    const c = data[k]!;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/**
 * Offers the start of every paragraph in (a, b): a non-blank line that follows a blank line. `blankBefore` says
 * whether the line before offset a was blank.
 */
export function offerParagraphs(data: Uint8Array, a: number, b: number, sink: Sink, blankBefore = false): void {
  const v = data.subarray(a, b);
  let i = 0;
  let prevBlank = blankBefore;
  const n = v.length;
  while (i < n) {
    let j = v.indexOf(10, i);
    if (j < 0) j = n;
    const blank = isBlank(v, i, j);
    if (!blank && prevBlank && i > 0) sink.offer(a + i, 0);
    prevBlank = blank;
    i = j + 1;
  }
}

export function textGrammar(data: Uint8Array): Grammar {
  return {
    levels: 3,
    scan(a, b, level, _tag, sink) {
      if (level === 0) offerParagraphs(data, a, b, sink);
      else if (level === 1) offerLines(data, a, b, sink);
      else offerWords(data, a, b, sink);
    },
  };
}
