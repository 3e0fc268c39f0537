// TOKEN: a word dictionary. Stage 28 `words` replaces frequent words (a run of [A-Za-z0-9_$], optionally with one
// leading byte from " ./") by short codes made of byte values that never occur in the stream: nS single-byte codes
// and nP prefix bytes, each prefix followed by any byte (256 words per prefix). Outputs [text, dictionary]; the
// dictionary is a stream (so the coder compresses it): the words in code order, each ended by 0x0A.
// Inner params: varint nS · varint nP · nS code bytes · nP prefix bytes (all distinct).
// Word index of a code: single code c_j → j; prefix p_j followed by byte x → nS + 256·j + x.
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { inverseAt, stageResult } from './select.js';

export const TOKEN_WORDS = 28;
const SEP = 0x0a;

const isWord = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9_$]/.test(ch)) isWord[c] = 1;
}
const DEFAULT_LEADS = ' ./';

export interface TokenOptions {
  /** most two-byte code prefixes (each gives 256 words); default: half the free byte values, at most 64 */
  maxPrefixes?: number;
  /** smallest count for a word to be considered (default 4) */
  minCount?: number;
  /** bytes that may lead a word into its dictionary entry (default " ./") */
  leads?: string;
  /** shortest entry, lead included (default 3) */
  minLength?: number;
}

const latin1 = (s: Uint8Array, a: number, b: number): string => {
  let r = '';
  for (let i = a; i < b; i++) r += String.fromCharCode(s[i]!);
  return r;
};

/** Forward; null when the stream has no free byte value or no word pays. */
export function tokenForward(streams: readonly Uint8Array[], sel: number, opts: TokenOptions = {}): StageResult | null {
  const s = streams[sel]!;
  const n = s.length;
  const isLead = new Uint8Array(256);
  for (const ch of opts.leads ?? DEFAULT_LEADS) isLead[ch.charCodeAt(0) & 255] = 1;
  const minLength = opts.minLength ?? 3;
  const hist = new Uint32Array(256);
  for (let i = 0; i < n; i++) hist[s[i]!]!++;
  const free: number[] = [];
  for (let c = 0; c < 256; c++) if (hist[c] === 0 && c !== SEP) free.push(c);
  if (free.length === 0) return null;
  // count words (with their lead byte when there is one)
  const counts = new Map<string, number>();
  let i = 0;
  while (i < n) {
    if (!isWord[s[i]!]) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isWord[s[j]!]) j++;
    const a = i > 0 && isLead[s[i - 1]!] ? i - 1 : i;
    if (j - a >= minLength) {
      const w = latin1(s, a, j);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    i = j;
  }
  const minCount = opts.minCount ?? 4;
  const cand: { w: string; c: number; g: number }[] = [];
  for (const [w, c] of counts) if (c >= minCount) cand.push({ w, c, g: c * (w.length - 1) - w.length - 1 });
  cand.sort((x, y) => y.g - x.g || (x.w < y.w ? -1 : 1));
  const nP = Math.min(opts.maxPrefixes ?? 64, Math.floor(free.length / 2));
  const nS = free.length - nP;
  const single = cand.slice(0, nS).filter((x) => x.g > 0);
  const twoCand = cand.slice(single.length, single.length + 256 * nP).filter((x) => x.c * (x.w.length - 2) - x.w.length - 1 > 0);
  if (single.length === 0) return null;
  const usedP = Math.ceil(twoCand.length / 256);
  const singleCodes = free.slice(0, single.length);
  const prefixCodes = free.slice(free.length - usedP);
  // code order: alphabetical within each group (the dictionary compresses better)
  const sw = single.map((x) => x.w).sort();
  const tw = twoCand.map((x) => x.w).sort();
  const code = new Map<string, number>(); // single: code byte; two-byte: 0x10000 | prefix << 8 | x
  sw.forEach((w, j) => code.set(w, singleCodes[j]!));
  tw.forEach((w, j) => code.set(w, 0x10000 | (prefixCodes[j >> 8]! << 8) | (j & 255)));
  // encode: at each word, the longest of (lead + word, word) that has a code
  const out = new Uint8Array(n);
  let o = 0;
  let last = 0;
  i = 0;
  while (i < n) {
    if (!isWord[s[i]!]) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isWord[s[j]!]) j++;
    let a = i;
    let cd: number | undefined;
    if (i > 0 && isLead[s[i - 1]!] && i - 1 >= last) {
      cd = code.get(latin1(s, i - 1, j));
      if (cd !== undefined) a = i - 1;
    }
    if (cd === undefined) cd = code.get(latin1(s, i, j));
    if (cd !== undefined) {
      out.set(s.subarray(last, a), o);
      o += a - last;
      if (cd >= 0x10000) {
        out[o++] = (cd >> 8) & 255;
        out[o++] = cd & 255;
      } else out[o++] = cd;
      last = j;
    }
    i = j;
  }
  out.set(s.subarray(last, n), o);
  o += n - last;
  const dict = new ByteWriter(1 << 16);
  for (const w of [...sw, ...tw]) {
    for (let q = 0; q < w.length; q++) dict.u8(w.charCodeAt(q));
    dict.u8(SEP);
  }
  const p = new ByteWriter(8 + single.length + usedP);
  p.varint(single.length);
  p.varint(usedP);
  for (const c of singleCodes) p.u8(c);
  for (const c of prefixCodes) p.u8(c);
  return stageResult(TOKEN_WORDS, streams, sel, p.finish(), [out.slice(0, o), dict.finish()]);
}

function tokenInverse(r: ByteReader, ctx: DecodeContext) {
  const nS = r.varint(255);
  const nP = r.varint(255);
  if (nS + nP > 255) r.fail('more than 255 code bytes');
  const role = new Int32Array(256).fill(-1); // ≥ 0: single word index; ≤ -2: prefix −2 − j
  for (let j = 0; j < nS; j++) {
    const c = r.u8();
    if (role[c] !== -1) r.fail(`code byte ${c} used twice`);
    role[c] = j;
  }
  for (let j = 0; j < nP; j++) {
    const c = r.u8();
    if (role[c] !== -1) r.fail(`code byte ${c} used twice`);
    role[c] = -2 - j;
  }
  return {
    k: 2,
    run([text, dict]: Uint8Array[]): Uint8Array {
      const t = text!;
      const d = dict!;
      const maxWords = nS + 256 * nP;
      const starts = new Int32Array(maxWords + 1);
      let nw = 0;
      let st = 0;
      for (let q = 0; q < d.length; q++) {
        if (d[q] === SEP) {
          if (nw >= maxWords) planFail(ctx, `words: dictionary has more than ${maxWords} words`);
          starts[nw++] = st;
          st = q + 1;
        }
      }
      if (st !== d.length) planFail(ctx, 'words: dictionary does not end with a separator');
      starts[nw] = st;
      const wl = new Int32Array(nw);
      for (let w = 0; w < nw; w++) wl[w] = starts[w + 1]! - starts[w]! - 1;
      // pass 1: validate every code and size the output
      const tn = t.length;
      let total = 0;
      for (let q = 0; q < tn; q++) {
        const ro = role[t[q]!]!;
        if (ro === -1) {
          total++;
          continue;
        }
        let w = ro;
        if (ro < -1) {
          if (++q >= tn) planFail(ctx, 'words: code prefix at the end of the text');
          w = nS + 256 * (-2 - ro) + t[q]!;
        }
        if (w >= nw) planFail(ctx, `words: code for word ${w}, the dictionary has ${nw}`);
        total += wl[w]!;
      }
      if (total > ctx.maxBytes) planFail(ctx, `words: output of ${total} bytes exceeds the limit ${ctx.maxBytes}`);
      // pass 2: expand (codes were checked above)
      const out = new Uint8Array(total);
      let o = 0;
      for (let q = 0; q < tn; q++) {
        const b = t[q]!;
        const ro = role[b]!;
        if (ro === -1) {
          out[o++] = b;
          continue;
        }
        const w = ro >= 0 ? ro : nS + 256 * (-2 - ro) + t[++q]!;
        let a = starts[w]!;
        const e = a + wl[w]!;
        while (a < e) out[o++] = d[a++]!;
      }
      return out;
    },
  };
}

export const TOKEN_STAGES: StageKind[] = [
  {
    id: TOKEN_WORDS,
    name: 'words',
    dhatu: 'TOKEN',
    inverse: (params, streams, ctx) => inverseAt('words', params, streams, ctx, (r) => tokenInverse(r, ctx)),
  },
];
