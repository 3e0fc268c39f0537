// SPLIT: one stream → typed streams that an entropy coder models better apart.
//
// 32 json — a lexical split, invertible on any bytes (also a record cut in the middle of a JSON document):
//   outputs [structure, keys, strings, numbers]. Scanning the input left to right outside strings:
//   - `"` opens a string: its content runs to the first `"` not escaped (a `\` skips the next byte) or to the end.
//     The structure stream gets the opening `"`; the content and its closing `"` (when present) go to the keys
//     stream when the byte right after the closing quote is `:`, else to the strings stream.
//   - `-` or a digit opens a number: it runs over [0-9.eE+-]; the structure stream gets the marker `0`, the numbers
//     stream gets the number's bytes and a `,` terminator (omitted when the number ends the input).
//   - every other byte goes to the structure stream as is (so structure never holds a literal digit or `-`).
//   The decoder reverses it by reading the structure stream: on `"` it peeks at the structure byte after it (`:` →
//   keys) and copies one string (same escape rule) from that stream; on `0` it copies one number.
//   Inner params: none.
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { inverseAt, stageResult } from './select.js';

export const SPLIT_JSON = 32;

const Q = 0x22; // "
const BS = 0x5c; // backslash
const COLON = 0x3a;
const NUM_MARK = 0x30; // '0'
const NUM_END = 0x2c; // ','

const isNumStart = new Uint8Array(256);
const isNumChar = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) isNumStart[c] = isNumChar[c] = 1;
isNumStart[0x2d] = 1;
for (const c of '.eE+-') isNumChar[c.charCodeAt(0)] = 1;

export function splitJsonForward(streams: readonly Uint8Array[], sel: number): StageResult {
  const s = streams[sel]!;
  const n = s.length;
  const st = new Uint8Array(n);
  const ks = new Uint8Array(n);
  const vs = new Uint8Array(n);
  const ns = new Uint8Array(n + 1);
  let a = 0,
    k = 0,
    v = 0,
    m = 0;
  let i = 0;
  while (i < n) {
    const b = s[i]!;
    if (b === Q) {
      st[a++] = Q;
      let j = i + 1;
      while (j < n) {
        const c = s[j]!;
        if (c === BS) j += 2;
        else if (c === Q) break;
        else j++;
      }
      if (j >= n) {
        // unterminated: the rest is a value string without its closing quote
        vs.set(s.subarray(i + 1, n), v);
        v += n - i - 1;
        i = n;
      } else if (j + 1 < n && s[j + 1] === COLON) {
        ks.set(s.subarray(i + 1, j + 1), k);
        k += j - i;
        i = j + 1;
      } else {
        vs.set(s.subarray(i + 1, j + 1), v);
        v += j - i;
        i = j + 1;
      }
    } else if (isNumStart[b]) {
      st[a++] = NUM_MARK;
      let j = i + 1;
      while (j < n && isNumChar[s[j]!]) j++;
      ns.set(s.subarray(i, j), m);
      m += j - i;
      if (j < n) ns[m++] = NUM_END;
      i = j;
    } else {
      st[a++] = b;
      i++;
    }
  }
  return stageResult(SPLIT_JSON, streams, sel, new Uint8Array(0), [st.slice(0, a), ks.slice(0, k), vs.slice(0, v), ns.slice(0, m)]);
}

function splitJsonInverse(parts: Uint8Array[], ctx: DecodeContext): Uint8Array {
  const [st, ks, vs, ns] = parts as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const bound = st.length + ks.length + vs.length + ns.length;
  if (bound > 2 * ctx.maxBytes) planFail(ctx, 'json split: streams too large');
  const out = new Uint8Array(bound);
  let o = 0,
    k = 0,
    v = 0,
    m = 0;
  const sn = st.length;
  for (let a = 0; a < sn; a++) {
    const b = st[a]!;
    if (b === Q) {
      out[o++] = Q;
      const key = a + 1 < sn && st[a + 1] === COLON;
      const src = key ? ks : vs;
      let p = key ? k : v;
      const start = p;
      const end = src.length;
      while (p < end) {
        const c = src[p]!;
        if (c === BS) p += 2;
        else if (c === Q) {
          p++;
          break;
        } else p++;
      }
      if (p > end) p = end;
      out.set(src.subarray(start, p), o);
      o += p - start;
      if (key) k = p;
      else v = p;
    } else if (b === NUM_MARK) {
      let p = m;
      while (p < ns.length && isNumChar[ns[p]!]) p++;
      if (p === m) planFail(ctx, 'json split: empty number');
      out.set(ns.subarray(m, p), o);
      o += p - m;
      if (p < ns.length) {
        if (ns[p] !== NUM_END) planFail(ctx, 'json split: bad number terminator');
        p++;
      }
      m = p;
    } else out[o++] = b;
  }
  if (k !== ks.length || v !== vs.length || m !== ns.length) planFail(ctx, 'json split: streams not fully used');
  if (o > ctx.maxBytes) planFail(ctx, `json split: output of ${o} bytes exceeds the limit ${ctx.maxBytes}`);
  return out.subarray(0, o);
}

export const SPLIT_STAGES: StageKind[] = [
  {
    id: SPLIT_JSON,
    name: 'json',
    dhatu: 'SPLIT',
    inverse: (params, streams, ctx) => inverseAt('json', params, streams, ctx, () => ({ k: 4, run: (p) => splitJsonInverse(p, ctx) })),
  },
];
