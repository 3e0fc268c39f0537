// JSON, NDJSON and source maps: cuts before the members/elements of containers, shallowest first (top-level
// records, then their members, ...), then inside long strings (after an escaped or raw newline; in a source map also
// after the ';' that ends a generated line in "mappings"), then by size. Also the validator detection uses.
import type { Grammar, Sink } from '../types.js';

const isWs = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * Offers, for every ',' outside strings whose container is at depth ≤ maxDepth (top-level containers have depth 1),
 * the offset of the next element's first byte, with the container's depth as tag. `depth` is the depth at `a`.
 * `lineReset`: a '\n' outside strings resets the depth to 0 (NDJSON: a broken record does not spill into the next).
 */
export function offerJsonMembers(
  data: Uint8Array,
  a: number,
  b: number,
  maxDepth: number,
  depth: number,
  sink: Sink,
  lineReset = false,
): void {
  const v = data.subarray(0, b); // bounded searches
  let i = a;
  while (i < b) {
    const c = data[i]!;
    if (c === 34) {
      // string: find the closing quote that is not escaped
      i++;
      for (;;) {
        const q = v.indexOf(34, i);
        if (q < 0) return; // unterminated within the span: nothing more to offer
        let k = q - 1;
        while (k >= i && data[k] === 92) k--;
        i = q + 1;
        if (((q - 1 - k) & 1) === 0) break; // even number of backslashes: real end
      }
      continue;
    }
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (depth > 0) depth--;
    } else if (c === 44) {
      if (depth <= maxDepth) {
        let j = i + 1;
        while (j < b && isWs(data[j]!)) j++;
        if (j < b) sink.offer(j, depth);
        i = j;
        continue;
      }
    } else if (c === 10 && lineReset) depth = 0;
    i++;
  }
}

/** Offers positions after a raw '\n', after an escaped "\n" and, when `semicolons`, after ';' (string interiors). */
export function offerStringBreaks(data: Uint8Array, a: number, b: number, semicolons: boolean, sink: Sink): void {
  for (let i = a; i < b - 1; i++) {
    const c = data[i]!;
    if (c === 10 || (semicolons && c === 59)) sink.offer(i + 1, 0);
    else if (c === 92) {
      if (data[i + 1] === 110 && i + 2 < b) sink.offer(i + 2, 0);
      i++; // skip the escaped character (an escaped backslash is not the start of another escape)
    }
  }
}

const JSON_DEPTHS = [1, 2, 3, 4, 6, 8, 12];

export function jsonGrammar(data: Uint8Array): Grammar {
  const nd = JSON_DEPTHS.length;
  return {
    levels: nd + 1,
    scan(a, b, level, tag, sink) {
      if (level < nd) offerJsonMembers(data, a, b, JSON_DEPTHS[level]!, tag, sink);
      else offerStringBreaks(data, a, b, false, sink);
    },
  };
}

export function ndjsonGrammar(data: Uint8Array): Grammar {
  return {
    levels: 5,
    scan(a, b, level, tag, sink) {
      if (level === 0) {
        const v = data.subarray(a, b);
        let i = 0;
        for (;;) {
          const j = v.indexOf(10, i);
          if (j < 0 || a + j + 1 >= b) return;
          sink.offer(a + j + 1, 0);
          i = j + 1;
        }
      } else if (level <= 3) offerJsonMembers(data, a, b, level, tag, sink, true);
      else offerStringBreaks(data, a, b, false, sink);
    },
  };
}

/** Source map: top-level members ("mappings" apart from "sourcesContent"), then each source, then lines. */
export function sourcemapGrammar(data: Uint8Array): Grammar {
  return {
    levels: 3,
    scan(a, b, level, tag, sink) {
      if (level < 2) offerJsonMembers(data, a, b, level + 1, tag, sink);
      else offerStringBreaks(data, a, b, true, sink);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation (detection): a non-recursive JSON checker over a head that may be cut anywhere.

export interface JsonCheck {
  /** 'complete': the value ended at `end`; 'truncated': the input ended inside a valid prefix; 'invalid' at `end` */
  status: 'complete' | 'truncated' | 'invalid';
  end: number;
  /** keys of the top-level object seen (at most 64, each at most 64 bytes, as latin1) */
  topKeys: string[];
}

const enum St {
  Value,
  AfterValue,
  Key,
  Colon,
}

/** Checks one JSON value starting at data[start] (after optional whitespace). */
export function checkJsonValue(data: Uint8Array, start: number, end = data.length): JsonCheck {
  const stack = new Uint8Array(1024); // 1 = object, 2 = array
  let sp = 0;
  let st = St.Value;
  let afterComma = false;
  let i = start;
  const topKeys: string[] = [];
  const bad = (at: number): JsonCheck => ({ status: 'invalid', end: at, topKeys });
  const more = (): JsonCheck => ({ status: 'truncated', end, topKeys });
  for (;;) {
    while (i < end && isWs(data[i]!)) i++;
    if (i >= end) return more();
    const c = data[i]!;
    if (st === St.Value || st === St.Key) {
      if (st === St.Key) {
        if (c === 125 && !afterComma) {
          // empty object "{}" (a '}' right after ',' is invalid)
          sp--;
          i++;
          st = St.AfterValue;
          if (sp === 0) return { status: 'complete', end: i, topKeys };
          continue;
        }
        if (c !== 34) return bad(i);
      }
      if (c === 34) {
        const s = i + 1;
        i++;
        for (;;) {
          if (i >= end) return more();
          const d = data[i]!;
          if (d === 34) break;
          if (d < 32) return bad(i);
          if (d === 92) {
            if (i + 1 >= end) return more();
            const e = data[i + 1]!;
            if (e === 117) {
              for (let k = 2; k < 6; k++) {
                if (i + k >= end) return more();
                const h = data[i + k]! | 32;
                if (!((h >= 48 && h <= 57) || (h >= 97 && h <= 102))) return bad(i + k);
              }
              i += 6;
              continue;
            }
            if (!(e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116)) return bad(i + 1);
            i += 2;
            continue;
          }
          i++;
        }
        if (st === St.Key) {
          if (sp === 1 && topKeys.length < 64) {
            let k = '';
            for (let x = s; x < i && x < s + 64; x++) k += String.fromCharCode(data[x]!);
            topKeys.push(k);
          }
          i++;
          st = St.Colon;
          continue;
        }
        i++;
      } else if (c === 123 || c === 91) {
        if (sp >= stack.length) return bad(i);
        stack[sp++] = c === 123 ? 1 : 2;
        i++;
        afterComma = false;
        if (c === 123) {
          st = St.Key;
          continue;
        }
        // "[]": an immediate ']' closes the array
        let j = i;
        while (j < end && isWs(data[j]!)) j++;
        if (j < end && data[j] === 93) {
          i = j + 1;
          sp--;
          st = St.AfterValue;
          if (sp === 0) return { status: 'complete', end: i, topKeys };
        }
        continue;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        // number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
        let j = i;
        if (data[j] === 45) j++;
        if (j >= end) return more();
        if (data[j] === 48) j++;
        else if (data[j]! >= 49 && data[j]! <= 57) while (j < end && data[j]! >= 48 && data[j]! <= 57) j++;
        else return bad(j);
        if (j < end && data[j] === 46) {
          j++;
          const d0 = j;
          while (j < end && data[j]! >= 48 && data[j]! <= 57) j++;
          if (j === d0 && j < end) return bad(j);
        }
        if (j < end && (data[j] === 101 || data[j] === 69)) {
          j++;
          if (j < end && (data[j] === 43 || data[j] === 45)) j++;
          const d0 = j;
          while (j < end && data[j]! >= 48 && data[j]! <= 57) j++;
          if (j === d0 && j < end) return bad(j);
        }
        if (j >= end) return more();
        i = j;
      } else if (c === 116 || c === 102 || c === 110) {
        const word = c === 116 ? 'true' : c === 102 ? 'false' : 'null';
        for (let k = 0; k < word.length; k++) {
          if (i + k >= end) return more();
          if (data[i + k] !== word.charCodeAt(k)) return bad(i + k);
        }
        i += word.length;
      } else return bad(i);
      st = St.AfterValue;
      if (sp === 0) return { status: 'complete', end: i, topKeys };
      continue;
    }
    if (st === St.Colon) {
      if (c !== 58) return bad(i);
      i++;
      st = St.Value;
      continue;
    }
    // AfterValue inside a container
    const top = stack[sp - 1]!;
    if (c === 44) {
      i++;
      afterComma = true;
      st = top === 1 ? St.Key : St.Value;
      continue;
    }
    if ((c === 125 && top === 1) || (c === 93 && top === 2)) {
      i++;
      sp--;
      if (sp === 0) return { status: 'complete', end: i, topKeys };
      continue;
    }
    return bad(i);
  }
}
