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
//
// 33 columns — delimiter-separated values (CSV, TSV) by column: outputs [shape, column 0, …, column c−1].
//   The input is cut into lines at 0x0A (the last line may lack it), each line into fields at the delimiter byte
//   (quotes are not interpreted: the split stays invertible on any bytes). A line with f fields uses columns
//   0 … min(f, c) − 1: each gets its field followed by 0x0A, the last one used gets the rest of the line (delimiters
//   included). The shape stream has one byte per line: the number of columns it used (1 … c).
//   Inner params: u8 delimiter · varint c (1–255) · u8 flags (bit 0: the input ends with 0x0A; the empty input
//   is one empty line without it).
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { inverseAt, stageResult } from './select.js';

export const SPLIT_JSON = 32;
export const SPLIT_COLUMNS = 33;
const NL = 0x0a;

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

/** The delimiter (`,` `\t` `;` `|`) and column count that the first lines agree on most; null when none. */
export function sniffColumns(s: Uint8Array, maxLines = 200): { delimiter: number; columns: number } | null {
  let best: { delimiter: number; columns: number; score: number } | null = null;
  for (const delim of [0x2c, 0x09, 0x3b, 0x7c]) {
    const counts = new Map<number, number>();
    let lines = 0;
    let f = 1;
    for (let i = 0; i < s.length && lines < maxLines; i++) {
      const b = s[i]!;
      if (b === delim) f++;
      else if (b === NL) {
        counts.set(f, (counts.get(f) ?? 0) + 1);
        lines++;
        f = 1;
      }
    }
    let mode = 1;
    let mc = 0;
    for (const [k, v] of counts) if (v > mc || (v === mc && k > mode)) [mode, mc] = [k, v];
    const score = mode > 1 ? mc * 1000 + mode : 0;
    if (score > 0 && lines >= 2 && mc * 2 >= lines && (!best || score > best.score)) best = { delimiter: delim, columns: Math.min(mode, 255), score };
  }
  return best ? { delimiter: best.delimiter, columns: best.columns } : null;
}

export function splitColumnsForward(streams: readonly Uint8Array[], sel: number, delimiter: number, columns: number): StageResult {
  const s = streams[sel]!;
  const n = s.length;
  const c = Math.max(1, Math.min(255, columns));
  // sizes first, so every column is one allocation
  const sizes = new Int32Array(c);
  let lines = 0;
  {
    let col = 0;
    for (let i = 0; i < n; i++) {
      const b = s[i]!;
      if (b === NL) {
        sizes[col]!++;
        lines++;
        col = 0;
      } else if (b === delimiter && col < c - 1) {
        sizes[col]!++;
        col++;
      } else sizes[col]!++;
    }
    if (n === 0 || s[n - 1] !== NL) {
      sizes[col]!++;
      lines++;
    }
  }
  const cols = Array.from(sizes, (z) => new Uint8Array(z));
  const pos = new Int32Array(c);
  const shape = new Uint8Array(lines);
  let ln = 0;
  let col = 0;
  for (let i = 0; i < n; i++) {
    const b = s[i]!;
    if (b === NL || (b === delimiter && col < c - 1)) {
      cols[col]![pos[col]!++] = NL;
      if (b === NL) {
        shape[ln++] = col + 1;
        col = 0;
      } else col++;
    } else cols[col]![pos[col]!++] = b;
  }
  const endsNl = n > 0 && s[n - 1] === NL;
  if (!endsNl) {
    cols[col]![pos[col]!++] = NL;
    shape[ln++] = col + 1;
  }
  const params = Uint8Array.of(delimiter, ...varintBytes(c), endsNl ? 1 : 0);
  return stageResult(SPLIT_COLUMNS, streams, sel, params, [shape, ...cols]);
}

function varintBytes(v: number): number[] {
  const o: number[] = [];
  while (v >= 0x80) {
    o.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  o.push(v);
  return o;
}

function splitColumnsInverse(parts: Uint8Array[], delimiter: number, endsNl: boolean, ctx: DecodeContext): Uint8Array {
  const shape = parts[0]!;
  const cols = parts.slice(1);
  const c = cols.length;
  let total = 0;
  for (const col of cols) total += col.length;
  if (total > ctx.maxBytes + 1) planFail(ctx, `columns: output of ${total} bytes exceeds the limit ${ctx.maxBytes}`);
  const out = new Uint8Array(total);
  const pos = new Int32Array(c);
  let o = 0;
  for (let ln = 0; ln < shape.length; ln++) {
    const f = shape[ln]!;
    if (f < 1 || f > c) planFail(ctx, `columns: line ${ln} uses ${f} columns of ${c}`);
    for (let k = 0; k < f; k++) {
      const col = cols[k]!;
      let p = pos[k]!;
      const e = col.length;
      while (p < e && col[p] !== NL) out[o++] = col[p++]!;
      if (p >= e) planFail(ctx, `columns: column ${k} ends inside line ${ln}`);
      pos[k] = p + 1;
      if (k < f - 1) out[o++] = delimiter;
    }
    if (ln < shape.length - 1 || endsNl) out[o++] = NL;
  }
  for (let k = 0; k < c; k++) if (pos[k] !== cols[k]!.length) planFail(ctx, `columns: column ${k} not fully used`);
  return out.subarray(0, o);
}

export const SPLIT_STAGES: StageKind[] = [
  {
    id: SPLIT_JSON,
    name: 'json',
    dhatu: 'SPLIT',
    inverse: (params, streams, ctx) => inverseAt('json', params, streams, ctx, () => ({ k: 4, run: (p) => splitJsonInverse(p, ctx) })),
  },
  {
    id: SPLIT_COLUMNS,
    name: 'columns',
    dhatu: 'SPLIT',
    inverse: (params, streams, ctx) =>
      inverseAt('columns', params, streams, ctx, (r) => {
        const delimiter = r.u8();
        const c = r.varint(255);
        if (c < 1) r.fail('0 columns');
        const flags = r.u8();
        if (flags > 1) r.fail(`flags ${flags}`);
        return { k: c + 1, run: (p) => splitColumnsInverse(p, delimiter, flags === 1, ctx) };
      }),
  },
];
