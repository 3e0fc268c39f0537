// COMM (stage 48): long-range copies. The encoder (createLongMatcher) replaces long repeats of a record by copies
// from earlier output — earlier records or earlier in the same record — rzip / zstd --long style, so that the coder
// after it only sees the literal residue. The hot matcher is WebAssembly (assembly/match/, embedded by
// scripts/build-match-wasm.mjs); the inverse is plain TypeScript. docs/DHATU-COMM.md specifies the ops bit-exactly.
//
//   params  = the copy ops (varints, below)          streams = [literal residue]
//   inverse: record = residue and copies interleaved; copy sources before the record come from ctx.readOutput
//
// Ops (params), three sections of LEB128 varints (1–5 bytes, canonical: no final 0x00 byte after the first):
//   varint(n) · n × varint(lit) · n × varint(code) · varint(dist − 1) for each op whose code is even
// Op k: `lit` residue bytes, then a copy of len = ⌊code / 2⌋ + 1 bytes from `dist` bytes back in the output (dist ≥ 1:
// current output position − source position; an odd code repeats the previous copy's distance in this record). The
// residue left after the last op ends the record. Splitting the fields keeps each section uniform for the coder.
import { concatBytes } from '../bytes.js';
import { PaniniError } from '../errors.js';
import { newMatchInstance } from '../wasm/match.js';
import { decode as plzDecode } from '../codec/plz.js';
import { planFail, type DecodeContext, type StageKind, type StageResult } from './stage.js';

export const COMM_STAGE_ID = 48;
/** Largest record (output bytes) the matcher takes: the container's record limit. */
export const COMM_MAX_RECORD = 64 * 1024 * 1024;
export const COMM_MIN_WINDOW = 1024;
export const COMM_MAX_WINDOW = 1024 * 1024 * 1024;
export const COMM_DEFAULT_MIN_MATCH = 64;

export interface LongMatcherOptions {
  /** largest copy distance and bytes of history kept (1 KiB – 1 GiB) */
  window: number;
  /** shortest copy at a new distance (default 64; 24 – 65536) */
  minMatch?: number;
  /** shortest copy at the previous copy's distance (default min(32, minMatch); 8 – minMatch) */
  repMinMatch?: number;
  /** bytes hashed per sampled position: 8, 16 or 32, ≤ minMatch (default 32 for minMatch ≥ 48, else 16) */
  hashWindow?: number;
  /** one window start in 2^sampleBits is indexed (default: about two inside a minMatch repeat, 4 for minMatch 64; 0 – 10) */
  sampleBits?: number;
  /**
   * shortest distance of a copy found by hashing (default 0): nearer repeats are left to the coder after COMM, whose
   * window sees them anyway (a copy at the previous copy's distance is always allowed)
   */
  minDistance?: number;
  /** log2 of the hash table's buckets (4 entries each; default log2(window / 2^sampleBits / 4) within 10 – 20; 10 – 22) */
  tableBits?: number;
}

export interface LongMatcher {
  /**
   * Finds copies for `record` (starting at absolute output offset `recordOffset`) in the history and earlier in
   * the record, then appends the record to the history. Returns the COMM stage result, or null when no copy was
   * worth making. When `recordOffset` is not where the history ends, the history is forgotten first.
   */
  encode(record: Uint8Array, recordOffset: number): StageResult | null;
  /**
   * Like encode, but takes only the longest prefix of `record` whose literal residue stays ≤ `maxResidue` bytes
   * (a record cut for a coder with a block limit). Returns the prefix length; only the prefix joins the history.
   */
  encodePrefix(record: Uint8Array, recordOffset: number, maxResidue: number): { result: StageResult | null; length: number };
  /** Appends `record` to the history without matching it (a record coded without COMM). */
  append(record: Uint8Array): void;
  /** absolute output offset where the history ends (the next record's offset); 0 before the first record */
  readonly end: number;
  /** bytes of WebAssembly memory the matcher holds now */
  readonly memoryBytes: number;
  /** the resolved settings */
  readonly settings: Readonly<Required<LongMatcherOptions>>;
}


function intOption(value: number | undefined, name: string, def: number, lo: number, hi: number): number {
  const v = value ?? def;
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new PaniniError('OPTION', `COMM ${name} must be an integer from ${lo} to ${hi}, got ${String(value)}`, { option: name });
  }
  return v;
}

function resolve(o: LongMatcherOptions): Required<LongMatcherOptions> {
  const window = intOption(o.window, 'window', 0, COMM_MIN_WINDOW, COMM_MAX_WINDOW);
  const minMatch = intOption(o.minMatch, 'minMatch', COMM_DEFAULT_MIN_MATCH, 24, 65536);
  const repMinMatch = intOption(o.repMinMatch, 'repMinMatch', Math.min(32, minMatch), 8, minMatch);
  const hashWindow = intOption(o.hashWindow, 'hashWindow', minMatch >= 48 ? 32 : 16, 8, Math.min(32, minMatch));
  if (hashWindow !== 8 && hashWindow !== 16 && hashWindow !== 32) {
    throw new PaniniError('OPTION', `COMM hashWindow must be 8, 16 or 32, got ${hashWindow}`, { option: 'hashWindow' });
  }
  // about two sampled starts expected inside a minMatch repeat (one in 16 for minMatch 64)
  const starts = minMatch - hashWindow + 1;
  const defSample = Math.max(0, Math.min(10, Math.floor(Math.log2(Math.max(1, starts / 2)))));
  const sampleBits = intOption(o.sampleBits, 'sampleBits', defSample, 0, 10);
  // one slot per sampled start of the window, at most 2^20 buckets (16 MiB): a bigger table is slower (cache and TLB
  // misses per sampled start) for little gain (versions series: 2^22 buckets 0.5 % smaller residue, 25 % slower)
  const defTable = Math.max(10, Math.min(20, Math.ceil(Math.log2(Math.max(1, window / 2 ** sampleBits / 4)))));
  const tableBits = intOption(o.tableBits, 'tableBits', defTable, 10, 22);
  const minDistance = intOption(o.minDistance, 'minDistance', 0, 0, window);
  return { window, minMatch, repMinMatch, hashWindow, sampleBits, tableBits, minDistance };
}

/** Appends v (0 ≤ v < 2^35) as a LEB128 varint. */
export function pushVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/**
 * Creates a long-range matcher with its own WebAssembly instance. Memory (bounded by the window, whatever the
 * stream length): 16 · 2^tableBits (hash table) + 12 · (64 MiB / min(repMinMatch, minMatch) + 1) (op slots, touched
 * only as far as used) + window + the largest record seen (≤ 64 MiB) bytes.
 */
export function createLongMatcher(options: LongMatcherOptions): LongMatcher {
  if (options === null || typeof options !== 'object') throw new PaniniError('OPTION', 'createLongMatcher needs { window }', { option: 'window' });
  const s = resolve(options);
  const x = newMatchInstance();
  const minCopy = Math.min(s.minMatch, s.repMinMatch);
  const opsCap = Math.floor(COMM_MAX_RECORD / minCopy) + 1;
  const rc = x.init(s.window, s.hashWindow, s.sampleBits, s.tableBits, opsCap, COMM_MAX_RECORD);
  if (rc !== 0) throw new PaniniError('WASM', `the COMM match module could not reserve its memory (${rc})`);
  let end = 0;
  let started = false;

  function run(record: Uint8Array, recordOffset: number, maxLit: number, doMatch: boolean): { result: StageResult | null; length: number } {
    if (!(record instanceof Uint8Array)) throw new PaniniError('OPTION', 'COMM: the record must be a Uint8Array', { option: 'record' });
    if (record.length > COMM_MAX_RECORD) {
      throw new PaniniError('LIMIT', `COMM matches records of at most ${COMM_MAX_RECORD} bytes, got ${record.length}`);
    }
    if (!Number.isSafeInteger(recordOffset) || recordOffset < 0) {
      throw new PaniniError('OPTION', `COMM: record offset must be a non-negative integer, got ${String(recordOffset)}`, { option: 'recordOffset' });
    }
    if (!started || recordOffset !== end) {
      x.reset(recordOffset >>> 0);
      end = recordOffset;
      started = true;
    }
    const at = x.prepare(record.length);
    if (at === 0) throw new PaniniError('WASM', 'the COMM match module could not grow its memory');
    new Uint8Array(x.memory.buffer, at, record.length).set(record);
    const n = x.process(record.length, s.minMatch, s.repMinMatch, maxLit, doMatch ? 1 : 0, s.minDistance);
    if (n < 0) throw new PaniniError('WASM', `the COMM matcher failed (${n})`);
    const length = x.consumedLength();
    end += length;
    if (n === 0) return { result: null, length };
    const handled = x.coveredLength();
    const ops = new Uint32Array(x.memory.buffer, x.opsAddress(), n * 3);
    const residue = new Uint8Array(length - handled);
    const lits: number[] = [];
    const codes: number[] = [];
    const dists: number[] = [];
    let pos = 0;
    let r = 0;
    let last = 0;
    for (let i = 0; i < n * 3; i += 3) {
      const lit = ops[i]!;
      const len = ops[i + 1]!;
      const dist = ops[i + 2]!;
      residue.set(record.subarray(pos, pos + lit), r);
      r += lit;
      pos += lit + len;
      pushVarint(lits, lit);
      if (dist === last) {
        pushVarint(codes, (len - 1) * 2 + 1);
      } else {
        pushVarint(codes, (len - 1) * 2);
        pushVarint(dists, dist - 1);
        last = dist;
      }
    }
    residue.set(record.subarray(pos, length), r);
    const head: number[] = [];
    pushVarint(head, n);
    const params = new Uint8Array(head.length + lits.length + codes.length + dists.length);
    params.set(head, 0);
    params.set(lits, head.length);
    params.set(codes, head.length + lits.length);
    params.set(dists, head.length + lits.length + codes.length);
    return { result: { id: COMM_STAGE_ID, params, streams: [residue], handled }, length };
  }

  return {
    encode(record, recordOffset) {
      return run(record, recordOffset, 0xffffffff, true).result;
    },
    encodePrefix(record, recordOffset, maxResidue) {
      if (!Number.isInteger(maxResidue) || maxResidue < 0) {
        throw new PaniniError('OPTION', `COMM: maxResidue must be a non-negative integer, got ${String(maxResidue)}`, { option: 'maxResidue' });
      }
      return run(record, recordOffset, Math.min(maxResidue, 0xffffffff), true);
    },
    append(record) {
      run(record, started ? end : 0, 0xffffffff, false);
    },
    get end() {
      return end;
    },
    get memoryBytes() {
      return x.memoryBytes();
    },
    settings: s,
  };
}

/** Reads a canonical LEB128 varint (≤ 5 bytes) at params[i.at]; FORMAT when truncated, too long or non-canonical. */
function readVarint(params: Uint8Array, i: { at: number }, ctx: DecodeContext, what: string): number {
  let v = 0;
  let scale = 1;
  for (let k = 0; k < 5; k++) {
    if (i.at >= params.length) planFail(ctx, `COMM ops end inside the ${what} of an op at byte ${i.at}`);
    const b = params[i.at++]!;
    v += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (b === 0 && k > 0) planFail(ctx, `COMM ops: non-canonical varint (${what}) ending at byte ${i.at - 1}`);
      return v;
    }
    scale *= 128;
  }
  planFail(ctx, `COMM ops: varint (${what}) longer than 5 bytes at byte ${i.at - 5}`);
}

/** The offset after `count` varints from `at` (the next section's start); FORMAT when they run out. */
function skipVarints(params: Uint8Array, at: number, count: number, ctx: DecodeContext, what: string): number {
  const i = { at };
  for (let k = 0; k < count; k++) readVarint(params, i, ctx, what);
  return i.at;
}

/** Copies `len` bytes within `out` from `src` to `dst` (src < dst) with LZ semantics (the source may overlap). */
function copyInside(out: Uint8Array, src: number, dst: number, len: number): void {
  if (dst - src >= len) {
    out.copyWithin(dst, src, src + len);
    return;
  }
  // periodic: [src, dst) repeats; copy ever larger multiples of the period
  while (len > 0) {
    const c = Math.min(len, dst - src);
    out.copyWithin(dst, src, src + c);
    dst += c;
    len -= c;
  }
}

/**
 * The op count of stage-48 params and a read cursor at each of its sections: the count's literal lengths, then as
 * many copy codes, then the distances (FORMAT when the count or a section is malformed).
 */
function opSections(params: Uint8Array, ctx: DecodeContext): { count: number; li: { at: number }; ci: { at: number }; di: { at: number } } {
  const head = { at: 0 };
  const count = readVarint(params, head, ctx, 'op count');
  if (count > params.length) planFail(ctx, `COMM declares ${count} ops in ${params.length} bytes of params`);
  const ci = skipVarints(params, head.at, count, ctx, 'literal length');
  return { count, li: { at: head.at }, ci: { at: ci }, di: { at: skipVarints(params, ci, count, ctx, 'copy code') } };
}

/** The COMM stage's decode side. */
export const commStage: StageKind = {
  id: COMM_STAGE_ID,
  name: 'comm',
  dhatu: 'COMM',
  inverse(params: Uint8Array, streams: Uint8Array[], ctx: DecodeContext): Uint8Array[] {
    if (streams.length !== 1) planFail(ctx, `COMM takes 1 stream (the literal residue), got ${streams.length}`);
    const residue = streams[0]!;
    const n = ctx.recordLength;
    if (!Number.isSafeInteger(n) || n < 0 || n > ctx.maxBytes) planFail(ctx, `COMM record length ${String(n)} outside 0–${ctx.maxBytes}`);
    if (residue.length > n) planFail(ctx, `COMM residue of ${residue.length} bytes is longer than the record (${n})`);
    const base = ctx.recordOffset;
    if (!Number.isSafeInteger(base) || base < 0) planFail(ctx, `COMM record offset ${String(base)} is invalid`);
    const { count, li, ci, di } = opSections(params, ctx);
    const out = new Uint8Array(n);
    let pos = 0;
    let r = 0;
    let last = 0;
    for (let k = 0; k < count; k++) {
      const lit = readVarint(params, li, ctx, 'literal length');
      const code = readVarint(params, ci, ctx, 'copy code');
      if (lit > n - pos) planFail(ctx, `COMM op ${k}: ${lit} literals run past the record's ${n} bytes (at ${pos})`);
      if (lit > residue.length - r) planFail(ctx, `COMM op ${k}: ${lit} literals but only ${residue.length - r} residue bytes left`);
      out.set(residue.subarray(r, r + lit), pos);
      r += lit;
      pos += lit;
      const len = Math.floor(code / 2) + 1;
      let dist: number;
      if (code % 2 === 1) {
        if (last === 0) planFail(ctx, `COMM op ${k}: repeat distance before any copy`);
        dist = last;
      } else {
        dist = readVarint(params, di, ctx, 'distance') + 1;
      }
      if (len > n - pos) planFail(ctx, `COMM op ${k}: copy of ${len} bytes runs past the record's ${n} bytes (at ${pos})`);
      if (dist > base + pos) planFail(ctx, `COMM op ${k}: distance ${dist} reaches before the output's start (at ${base + pos})`);
      let left = len;
      let src = pos - dist; // relative to the record: negative = earlier output
      if (src < 0) {
        const c = Math.min(left, -src);
        if (!ctx.readOutput) planFail(ctx, `COMM op ${k}: copies from earlier output, which this container does not offer`);
        const got = ctx.readOutput(base + src, c);
        if (!(got instanceof Uint8Array) || got.length !== c) planFail(ctx, `COMM op ${k}: earlier output returned the wrong length`);
        out.set(got, pos);
        pos += c;
        left -= c;
        src = 0;
      }
      if (left > 0) {
        copyInside(out, src, pos, left);
        pos += left;
      }
      last = dist;
    }
    if (di.at !== params.length) planFail(ctx, `COMM: ${params.length - di.at} bytes after the last distance`);
    if (residue.length - r !== n - pos) {
      planFail(ctx, `COMM: ${residue.length - r} residue bytes left for the record's last ${n - pos} bytes`);
    }
    out.set(residue.subarray(r), pos);
    return [out];
  },
};

/**
 * The ranges of earlier output (before the record) a COMM stage's ops copy from, from the params alone: what a
 * random-access decoder fetches before it runs the plan. Malformed ops are FORMAT (the inverse would fail the same).
 */
export function commSources(params: Uint8Array, ctx: Pick<DecodeContext, 'recordOffset' | 'recordLength' | 'where'>): Array<[number, number]> {
  const c = ctx as DecodeContext;
  const out: Array<[number, number]> = [];
  forEachOp(params, c, (k, pos, len, dist) => {
    if (pos + len > ctx.recordLength) planFail(c, `COMM op ${k}: copy runs past the record's ${ctx.recordLength} bytes`);
    const src = pos - dist;
    if (src < 0) {
      const k2 = Math.min(len, -src);
      const prev = out[out.length - 1];
      const from = ctx.recordOffset + src;
      if (prev && prev[0] + prev[1] === from) prev[1] += k2;
      else out.push([from, k2]);
    }
  });
  return out;
}

/**
 * Walks the ops of stage-48 params in order: for op k, the record position where its copy starts (after its
 * literals), the copy's length and its distance (repeat codes resolved). Malformed ops are FORMAT.
 */
function forEachOp(params: Uint8Array, ctx: DecodeContext, visit: (k: number, pos: number, len: number, dist: number) => void): void {
  const { count, li, ci, di } = opSections(params, ctx);
  let pos = 0;
  let last = 0;
  for (let k = 0; k < count; k++) {
    pos += readVarint(params, li, ctx, 'literal length');
    const code = readVarint(params, ci, ctx, 'copy code');
    const len = Math.floor(code / 2) + 1;
    let dist = last;
    if (code % 2 === 0) dist = readVarint(params, di, ctx, 'distance') + 1;
    else if (last === 0) planFail(ctx, `COMM op ${k}: repeat distance before any copy`);
    visit(k, pos, len, dist);
    pos += len;
    last = dist;
  }
}

// ------------------------------------------------------------------------------------------- COMM with coded ops
// Stage 49 is stage 48 with its ops entropy-coded: the ops of a record that copies a lot run to ~0.5 % of the record
// and code to less than half with plz. Params = varint(raw ops length) · u8 coder (0 = stored, 1 = plz) · payload.

export const COMMZ_STAGE_ID = 49;
/** Largest raw ops accepted when decoding (a 64 MiB record cannot need more: every op covers ≥ 2 bytes). */
const COMMZ_MAX_OPS = 64 << 20;

/** Packs COMM ops (stage 48 params) for stage 49, coding them with `encode` when that shrinks them. */
export function packCommOps(ops: Uint8Array, encode: (data: Uint8Array) => Uint8Array): Uint8Array {
  const head: number[] = [];
  pushVarint(head, ops.length);
  let coder = 0;
  let payload = ops;
  if (ops.length > 64) {
    const z = encode(ops);
    if (z.length < ops.length) {
      coder = 1;
      payload = z;
    }
  }
  const out = new Uint8Array(head.length + 1 + payload.length);
  out.set(head, 0);
  out[head.length] = coder;
  out.set(payload, head.length + 1);
  return out;
}

function unpackCommOps(params: Uint8Array, ctx: Pick<DecodeContext, 'where'>): Uint8Array {
  const c = ctx as DecodeContext;
  const i = { at: 0 };
  const n = readVarint(params, i, c, 'ops length');
  if (n > COMMZ_MAX_OPS) planFail(c, `COMM ops declare ${n} bytes, over ${COMMZ_MAX_OPS}`);
  if (i.at >= params.length) planFail(c, 'COMM ops end before their coder byte');
  const coder = params[i.at++]!;
  const payload = params.subarray(i.at);
  if (coder === 0) {
    if (payload.length !== n) planFail(c, `stored COMM ops of ${payload.length} bytes, declared ${n}`);
    return payload;
  }
  if (coder !== 1) planFail(c, `COMM ops coder ${coder} is not 0 (stored) or 1 (plz)`);
  try {
    return plzDecode(payload, n);
  } catch (e) {
    if (e instanceof PaniniError && e.code === 'FORMAT') planFail(c, `COMM ops: ${e.message}`);
    throw e;
  }
}

export const commZStage: StageKind = {
  id: COMMZ_STAGE_ID,
  name: 'comm',
  dhatu: 'COMM',
  inverse(params, streams, ctx) {
    return commStage.inverse(unpackCommOps(params, ctx), streams, ctx);
  },
  sources(params, ctx) {
    return commSources(unpackCommOps(params, ctx), ctx);
  },
};

/**
 * Keeps the copies of a COMM result that reach before the record (into earlier records), and those inside the record
 * at a distance of at least `minInsideDistance`; nearer copies inside the record are turned back into literals, since
 * the entropy coder after COMM finds those repeats itself and codes them better (optimal parsing, with the context).
 * Returns null when no copy is left.
 */
export function keepEarlierCopies(record: Uint8Array, result: StageResult, minInsideDistance = Infinity): StageResult | null {
  const lits: number[] = [];
  const codes: number[] = [];
  const dists: number[] = [];
  const residue: Uint8Array[] = [];
  let litStart = 0; // record position where the pending literal run starts
  let lastKept = 0; // previous kept copy's distance (output)
  let handled = 0;
  forEachOp(result.params, { where: 'COMM ops (encoder)' } as DecodeContext, (_k, pos, len, dist) => {
    // a copy inside the record and nearer than minInsideDistance: its bytes become literals
    if (dist <= pos && dist < minInsideDistance) return;
    residue.push(record.subarray(litStart, pos));
    lits.push(pos - litStart);
    if (dist === lastKept) codes.push((len - 1) * 2 + 1);
    else {
      codes.push((len - 1) * 2);
      dists.push(dist - 1);
    }
    lastKept = dist;
    handled += len;
    litStart = pos + len;
  });
  if (lits.length === 0) return null;
  residue.push(record.subarray(litStart));
  const out: number[] = [];
  pushVarint(out, lits.length);
  for (const v of lits) pushVarint(out, v);
  for (const v of codes) pushVarint(out, v);
  for (const v of dists) pushVarint(out, v);
  return { id: result.id, params: Uint8Array.from(out), streams: [concatBytes(residue)], handled };
}
