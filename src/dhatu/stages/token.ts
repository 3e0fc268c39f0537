// TOKEN: a word dictionary. Stage 28 `words` replaces frequent words (a run of [A-Za-z0-9_$], optionally with one
// leading byte from " ./") by short codes made of byte values that never occur in the stream: nS single-byte codes
// and nP prefix bytes, each prefix followed by any byte (256 words per prefix). Outputs [text, dictionary]; the
// dictionary is a stream (so the coder compresses it): the words in code order, each ended by 0x0A.
// Inner params: varint nS · varint nP · nS code bytes · nP prefix bytes (all distinct).
// Word index of a code: single code c_j → j; prefix p_j followed by byte x → nS + 256·j + x.
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { tokenExpand } from '../../codec/pfz.js';
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

/** Open-addressing table of byte strings (slices of one buffer), no string allocation per lookup. */
class WordTable {
  size = 0;
  mask: number;
  slot: Int32Array; // entry index + 1, 0 = empty
  start: Int32Array;
  len: Int32Array;
  count: Int32Array;
  hash: Int32Array;
  constructor(private readonly s: Uint8Array) {
    this.mask = (1 << 16) - 1;
    this.slot = new Int32Array(1 << 16);
    this.start = new Int32Array(1 << 15);
    this.len = new Int32Array(1 << 15);
    this.count = new Int32Array(1 << 15);
    this.hash = new Int32Array(1 << 15);
  }
  /** FNV-1a: the offset basis and prime (the counting pass in tokenForward hashes with them as it scans) */
  static readonly FNV_BASIS = 0x811c9dc5 | 0;
  static readonly FNV_PRIME = 0x01000193;
  static hashOf(s: Uint8Array, a: number, b: number): number {
    let h = WordTable.FNV_BASIS;
    for (let i = a; i < b; i++) h = Math.imul(h ^ s[i]!, WordTable.FNV_PRIME);
    return h;
  }
  private same(e: number, a: number, n: number): boolean {
    if (this.len[e] !== n) return false;
    const s = this.s;
    const b = this.start[e]!;
    for (let i = 0; i < n; i++) if (s[b + i] !== s[a + i]) return false;
    return true;
  }
  /** entry index of s[a, a+n), or −1 */
  find(a: number, n: number, h: number): number {
    let i = h & this.mask;
    for (;;) {
      const v = this.slot[i]!;
      if (v === 0) return -1;
      if (this.hash[v - 1] === h && this.same(v - 1, a, n)) return v - 1;
      i = (i + 1) & this.mask;
    }
  }
  /** counts s[a, a+n) (a new entry with count 1 when absent); returns its entry index */
  add(a: number, n: number, h: number): number {
    let i = h & this.mask;
    for (;;) {
      const v = this.slot[i]!;
      if (v === 0) break;
      if (this.hash[v - 1] === h && this.same(v - 1, a, n)) {
        this.count[v - 1]!++;
        return v - 1;
      }
      i = (i + 1) & this.mask;
    }
    const e = this.size++;
    if (e === this.start.length) {
      const grow = (x: Int32Array): Int32Array => {
        const y = new Int32Array(x.length * 2);
        y.set(x);
        return y;
      };
      this.start = grow(this.start);
      this.len = grow(this.len);
      this.count = grow(this.count);
      this.hash = grow(this.hash);
    }
    this.start[e] = a;
    this.len[e] = n;
    this.count[e] = 1;
    this.hash[e] = h;
    this.slot[i] = e + 1;
    if (this.size * 2 > this.mask) this.rehash();
    return e;
  }
  private rehash(): void {
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.slot = new Int32Array(cap);
    for (let e = 0; e < this.size; e++) {
      let i = this.hash[e]! & this.mask;
      while (this.slot[i] !== 0) i = (i + 1) & this.mask;
      this.slot[i] = e + 1;
    }
  }
}

function compareBytes(s: Uint8Array, a: number, an: number, b: number, bn: number): number {
  const n = Math.min(an, bn);
  for (let i = 0; i < n; i++) {
    const d = s[a + i]! - s[b + i]!;
    if (d) return d;
  }
  return an - bn;
}

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
  // count words (with their lead byte when there is one); each counted occurrence is kept (its start, lead included,
  // and its entry) so that the encoding pass below needs no second scan or lookup
  const table = new WordTable(s);
  let occStart = new Int32Array(1 << 12);
  let occEntry = new Int32Array(1 << 12);
  let occ = 0;
  let i = 0;
  while (i < n) {
    if (!isWord[s[i]!]) {
      i++;
      continue;
    }
    // the word's FNV-1a hash (WordTable.hashOf of the entry, lead included) as it is scanned
    const a = i > 0 && isLead[s[i - 1]!] ? i - 1 : i;
    let h = WordTable.FNV_BASIS;
    if (a < i) h = Math.imul(h ^ s[a]!, WordTable.FNV_PRIME);
    let j = i;
    for (; j < n && isWord[s[j]!]; j++) h = Math.imul(h ^ s[j]!, WordTable.FNV_PRIME);
    if (j - a >= minLength) {
      if (occ === occStart.length) {
        const ns = new Int32Array(occ * 2);
        ns.set(occStart);
        occStart = ns;
        const ne = new Int32Array(occ * 2);
        ne.set(occEntry);
        occEntry = ne;
      }
      occStart[occ] = a;
      occEntry[occ++] = table.add(a, j - a, h);
    }
    i = j;
  }
  const minCount = opts.minCount ?? 4;
  const cand: { e: number; c: number; l: number; g: number }[] = [];
  for (let e = 0; e < table.size; e++) {
    const c = table.count[e]!;
    const l = table.len[e]!;
    if (c >= minCount) cand.push({ e, c, l, g: c * (l - 1) - l - 1 });
  }
  const byBytes = (x: { e: number }, y: { e: number }): number => compareBytes(s, table.start[x.e]!, table.len[x.e]!, table.start[y.e]!, table.len[y.e]!);
  cand.sort((x, y) => y.g - x.g || byBytes(x, y));
  const nP = Math.min(opts.maxPrefixes ?? 64, Math.floor(free.length / 2));
  const nS = free.length - nP;
  const single = cand.slice(0, nS).filter((x) => x.g > 0);
  const twoCand = cand.slice(single.length, single.length + 256 * nP).filter((x) => x.c * (x.l - 2) - x.l - 1 > 0);
  if (single.length === 0) return null;
  const usedP = Math.ceil(twoCand.length / 256);
  const singleCodes = free.slice(0, single.length);
  const prefixCodes = free.slice(free.length - usedP);
  // code order: by bytes within each group (the dictionary compresses better)
  single.sort(byBytes);
  twoCand.sort(byBytes);
  const code = new Int32Array(table.size).fill(-1); // single: code byte; two-byte: 0x10000 | prefix << 8 | x
  single.forEach((x, j) => (code[x.e] = singleCodes[j]!));
  twoCand.forEach((x, j) => (code[x.e] = 0x10000 | (prefixCodes[j >> 8]! << 8) | (j & 255)));
  // encode: at each word, the longest of (lead + word, word) that has a code. A counted occurrence's entry is the
  // longest form; the bare word's code (when the lead form has none) is looked up once per entry, not per occurrence.
  // Words shorter than minLength (with their lead) were not counted and have no code.
  const bare = new Int32Array(table.size).fill(-2); // −2: not looked up yet
  const out = new Uint8Array(n);
  let o = 0;
  let last = 0;
  for (let k = 0; k < occ; k++) {
    const e = occEntry[k]!;
    let a = occStart[k]!;
    const j = a + table.len[e]!;
    let cd = code[e]!;
    if (cd < 0 && !isWord[s[a]!]) {
      // a lead form without a code: the word itself
      let b = bare[e]!;
      if (b === -2) {
        const w = a + 1;
        const f = j - w >= minLength ? table.find(w, j - w, WordTable.hashOf(s, w, j)) : -1;
        b = bare[e] = f >= 0 ? code[f]! : -1;
      }
      cd = b;
      a++;
    }
    if (cd >= 0) {
      for (let q = last; q < a; q++) out[o++] = s[q]!;
      if (cd >= 0x10000) {
        out[o++] = (cd >> 8) & 255;
        out[o++] = cd & 255;
      } else out[o++] = cd;
      last = j;
    }
  }
  out.set(s.subarray(last, n), o);
  o += n - last;
  const dict = new ByteWriter(1 << 16);
  for (const x of [...single, ...twoCand]) {
    dict.bytes(s.subarray(table.start[x.e]!, table.start[x.e]! + x.l));
    dict.u8(SEP);
  }
  const p = new ByteWriter(8 + single.length + usedP);
  p.varint(single.length);
  p.varint(usedP);
  for (const c of singleCodes) p.u8(c);
  for (const c of prefixCodes) p.u8(c);
  return stageResult(TOKEN_WORDS, streams, sel, p.finish(), [out.slice(0, o), dict.finish()]);
}

function growBuffer(buf: Uint8Array, used: number, need: number, max: number, ctx: DecodeContext): Uint8Array {
  if (need > max) planFail(ctx, `words: output exceeds the limit ${max}`);
  let c = buf.length * 2;
  while (c < need) c *= 2;
  const nb = new Uint8Array(Math.min(max, c));
  nb.set(buf.subarray(0, used));
  return nb;
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
      // the wasm loop (4-6x faster); on invalid input it declines and the loop below says what is wrong
      const fast = tokenExpand(t, d, role, nS, nP, SEP, ctx.maxBytes);
      if (fast) return fast;
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
      // one pass: expand into a buffer that grows (by doubling, never past maxBytes); no closure over the hot
      // variables (V8 would keep them in a context object)
      const tn = t.length;
      const max = ctx.maxBytes;
      let out: Uint8Array = new Uint8Array(Math.min(max, Math.max(1024, tn * 3)));
      let cap = out.length;
      let o = 0;
      for (let q = 0; q < tn; q++) {
        const b = t[q]!;
        const ro = role[b]!;
        if (ro === -1) {
          if (o >= cap) {
            out = growBuffer(out, o, o + 1, max, ctx);
            cap = out.length;
          }
          out[o++] = b;
          continue;
        }
        let w = ro;
        if (ro < -1) {
          if (++q >= tn) planFail(ctx, 'words: code prefix at the end of the text');
          w = nS + 256 * (-2 - ro) + t[q]!;
        }
        if (w >= nw) planFail(ctx, `words: code for word ${w}, the dictionary has ${nw}`);
        let a = starts[w]!;
        const e = a + wl[w]!;
        if (o + (e - a) > cap) {
          out = growBuffer(out, o, o + (e - a), max, ctx);
          cap = out.length;
        }
        while (a < e) out[o++] = d[a++]!;
      }
      return out.subarray(0, o);
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
