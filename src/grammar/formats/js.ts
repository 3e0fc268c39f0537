// JavaScript / TypeScript source: cuts at line starts outside strings, comments, regex and template literals, at
// nesting depth ≤ d (d = 0: top-level statements and functions; braces, brackets and parentheses all count), for
// growing d; in minified code also after a ';' at that depth. Then raw line starts, then size. The tokenizer is
// approximate (regex vs division is guessed from the previous token), errors stay local: a regex or string never
// extends past its line.
import { offerLines } from '../cut.js';
import type { Grammar, Sink } from '../types.js';

// character classes
const C_OTHER = 0;
const C_IDENT = 1;
const C_SPACE = 2;
const CLS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  CLS[c] =
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128
      ? C_IDENT
      : c === 32 || c === 9 || c === 13 || c === 11 || c === 12
        ? C_SPACE
        : C_OTHER;
}

function keyOf(name: string): number {
  let k = 0;
  for (let i = 0; i < name.length; i++) k = k * 32 + (name.charCodeAt(i) - 96);
  return k;
}
/** keywords after which a '/' starts a regular expression */
const REGEX_AFTER = new Set(
  ['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await'].map(keyOf),
);
function wordAllowsRegex(data: Uint8Array, s: number, e: number): boolean {
  if (e - s > 10 || e - s < 2) return false;
  let k = 0;
  for (let i = s; i < e; i++) {
    const c = data[i]!;
    if (c < 97 || c > 122) return false;
    k = k * 32 + (c - 96);
  }
  return REGEX_AFTER.has(k);
}

const MAX_TEMPLATE_NESTING = 64;

/**
 * Offers line starts (and, when `semicolons`, offsets after ';' not followed by a line break) at depth ≤ maxDepth
 * in (a, b). `a` is 0 or such a boundary, with depth `depth0`, outside any literal or comment.
 */
export function offerJs(data: Uint8Array, a: number, b: number, maxDepth: number, depth0: number, semicolons: boolean, sink: Sink): void {
  const v = data.subarray(0, b);
  const stack = new Int32Array(MAX_TEMPLATE_NESTING);
  let sp = 0;
  let depth = depth0;
  let inTemplate = false;
  let regexOk = true;
  let i = a;
  if (a === 0 && data[0] === 35 && data[1] === 33) {
    // #! line
    const j = v.indexOf(10);
    if (j < 0) return;
    i = j;
  }
  while (i < b) {
    const c = data[i]!;
    if (inTemplate) {
      if (c === 92) i += 2;
      else if (c === 96) {
        inTemplate = false;
        regexOk = false;
        i++;
      } else if (c === 36 && data[i + 1] === 123) {
        if (sp >= MAX_TEMPLATE_NESTING) return;
        stack[sp++] = depth;
        depth++;
        inTemplate = false;
        regexOk = true;
        i += 2;
      } else i++;
      continue;
    }
    const k = CLS[c]!;
    if (k === C_IDENT) {
      const s = i;
      i++;
      while (i < b && CLS[data[i]!] === C_IDENT) i++;
      regexOk = wordAllowsRegex(data, s, i);
      continue;
    }
    if (k === C_SPACE) {
      i++;
      continue;
    }
    switch (c) {
      case 10:
        if (sp === 0 && depth <= maxDepth && i + 1 < b) sink.offer(i + 1, depth);
        i++;
        break;
      case 47: {
        const n = data[i + 1];
        if (n === 47) {
          const j = v.indexOf(10, i + 2);
          if (j < 0) return;
          i = j; // the newline is handled next
        } else if (n === 42) {
          let j = i + 2;
          for (;;) {
            j = v.indexOf(42, j);
            if (j < 0) return;
            if (data[j + 1] === 47) break;
            j++;
          }
          i = j + 2;
        } else if (regexOk) {
          let j = i + 1;
          let inClass = false;
          for (; j < b; j++) {
            const d = data[j]!;
            if (d === 92) j++;
            else if (d === 10) break;
            else if (d === 91) inClass = true;
            else if (d === 93) inClass = false;
            else if (d === 47 && !inClass) break;
          }
          if (j < b && data[j] === 47) {
            i = j + 1;
            while (i < b && CLS[data[i]!] === C_IDENT) i++; // flags
            regexOk = false;
          } else {
            i++; // not a regex after all: a division
            regexOk = true;
          }
        } else {
          i++;
          regexOk = true;
        }
        break;
      }
      case 34:
      case 39: {
        let j = i + 1;
        for (; j < b; j++) {
          const d = data[j]!;
          if (d === 92) {
            j++;
            if (data[j] === 13 && data[j + 1] === 10) j++;
          } else if (d === c || d === 10) break;
        }
        // an unterminated string stops at its line end (the newline is handled next)
        i = j < b && data[j] === c ? j + 1 : j;
        regexOk = false;
        break;
      }
      case 96:
        inTemplate = true;
        i++;
        break;
      case 40:
      case 91:
      case 123:
        depth++;
        regexOk = true;
        i++;
        break;
      case 41:
      case 93:
        if (depth > 0) depth--;
        regexOk = false;
        i++;
        break;
      case 125:
        if (sp > 0 && depth - 1 === stack[sp - 1]) {
          sp--;
          depth--;
          inTemplate = true;
        } else {
          if (depth > 0) depth--;
          regexOk = true;
        }
        i++;
        break;
      case 59:
        i++;
        if (semicolons && sp === 0 && depth <= maxDepth && i < b) {
          const n = data[i]!;
          if (n !== 10 && n !== 13 && n !== 32 && n !== 9 && n !== 47) sink.offer(i, depth);
        }
        regexOk = true;
        break;
      default:
        regexOk = true;
        i++;
    }
  }
}

const JS_DEPTHS = [0, 1, 2, 3, 4, 6, 8];

export function jsGrammar(data: Uint8Array): Grammar {
  const nd = JS_DEPTHS.length;
  return {
    levels: nd + 1,
    scan(a, b, level, tag, sink) {
      if (level < nd) offerJs(data, a, b, JS_DEPTHS[level]!, tag, true, sink);
      else offerLines(data, a, b, sink);
    },
  };
}
