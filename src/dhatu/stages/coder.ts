// The CODER stage (stage id 1; ids 2–15 are reserved for other coder stages): the last stage of every plan. It codes
// each final stream on its own with an entropy coder from a small table (coder ids, u8): 0 store, 1 plz
// (src/codec/plz.ts, levels 1–9, a stream over 16 MiB is coded as several plz blocks), 2 pfz (src/codec/pfz.ts,
// LZ77 + Huffman, fast decoding), 3 cm (src/codec/cm.ts, context mixing). The table is built on first use; registerCoder adds coders of an embedding
// application. A stream is stored when coding does not make it smaller.
//
// params (after nothing: CODER transforms every stream): varint n (= number of streams), then per stream:
//   u8 coder id, varint raw length, and when the coder has a block size B and raw > B: varint payload length of
//   each block but the last (blocks = ceil(raw / B); the last block's payload is the rest of the stored stream).
import { decode as plzDecode, encode as plzEncode, PLZ_MAX_BLOCK } from '../../codec/plz.js';
import { decode as pfzDecode, encode as pfzEncode, FAST_MAX_BLOCK } from '../../codec/pfz.js';
import { CM_MAX_BLOCK, decode as cmDecode, encode as cmEncode } from '../../codec/cm.js';
import { PaniniError } from '../../errors.js';
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { ByteReader, ByteWriter, concatBytes } from './bytes.js';

export const CODER_STAGE_ID = 1;
export const CODER_STORE = 0;
export const CODER_PLZ = 1;
/** The plan coder id of pfz (src/codec/pfz.ts: LZ77 + Huffman, fast decoding). */
export const CODER_PFZ = 2;
/** The plan coder id of the context-mixing coder (src/codec/cm.ts); the planner does not pick it yet. */
export const CODER_CM = 3;

export interface Coder {
  readonly name: string;
  /** largest input one encode/decode call takes; longer streams are cut into blocks of this size */
  readonly maxBlock?: number;
  /** codes `data` (≤ maxBlock bytes) at `level` (1–9) */
  encode(data: Uint8Array, level: number): Uint8Array;
  /** decodes exactly `rawLength` bytes; throws PaniniError FORMAT on bad input, never over-allocates */
  decode(payload: Uint8Array, rawLength: number): Uint8Array;
}

let table: Map<number, Coder> | undefined;

function coders(): Map<number, Coder> {
  if (!table) {
    table = new Map<number, Coder>([
      [
        CODER_STORE,
        {
          name: 'store',
          encode: (d) => d.slice(),
          decode(p, n) {
            if (p.length !== n) throw new PaniniError('FORMAT', `stored stream has ${p.length} bytes, declared ${n}`);
            return p;
          },
        },
      ],
      [CODER_PLZ, { name: 'plz', maxBlock: PLZ_MAX_BLOCK, encode: plzEncode, decode: plzDecode }],
      [CODER_PFZ, { name: 'pfz', maxBlock: FAST_MAX_BLOCK, encode: pfzEncode, decode: pfzDecode }],
      [CODER_CM, { name: 'cm', maxBlock: CM_MAX_BLOCK, encode: cmEncode, decode: cmDecode }],
    ]);
  }
  return table;
}

/** Adds a coder under `id` (u8, 0 and 1 are taken); re-registering the same object is a no-op. */
export function registerCoder(id: number, coder: Coder): void {
  if (!Number.isInteger(id) || id < 0 || id > 255) throw new PaniniError('OPTION', `coder id must be 0–255, got ${String(id)}`, { option: 'id' });
  const had = coders().get(id);
  if (had === coder) return;
  if (had) throw new PaniniError('OPTION', `coder id ${id} is already registered (${had.name})`, { option: 'id' });
  coders().set(id, coder);
}

export function coderById(id: number): Coder | undefined {
  return coders().get(id);
}


export interface CoderOptions {
  /** level 1–9 passed to the coder */
  level: number;
  /** coder id for every stream (default plz); store is used for a stream that would not shrink */
  coder?: number;
}

/** Codes one stream with coder `id`, in blocks; returns the payload and the block payload lengths but the last. */
function codeStream(data: Uint8Array, id: number, level: number): { payload: Uint8Array; blockLens: number[] } {
  const c = coders().get(id);
  if (!c) throw new PaniniError('OPTION', `unknown coder id ${id}`, { option: 'coder' });
  const B = c.maxBlock ?? Infinity;
  if (data.length <= B) return { payload: c.encode(data, level), blockLens: [] };
  const parts: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += B) parts.push(c.encode(data.subarray(o, Math.min(data.length, o + B)), level));
  return { payload: concatBytes(parts), blockLens: parts.slice(0, -1).map((p) => p.length) };
}

/** The encode side: codes every stream of `streams`. */
export function coderForward(streams: readonly Uint8Array[], opts: CoderOptions): StageResult {
  const id = opts.coder ?? CODER_PLZ;
  const w = new ByteWriter(16 + streams.length * 6);
  w.varint(streams.length);
  const out: Uint8Array[] = [];
  let handled = 0;
  for (const s of streams) {
    handled += s.length;
    let cid = CODER_STORE;
    let payload = s;
    let blockLens: number[] = [];
    if (id !== CODER_STORE && s.length > 0) {
      const r = codeStream(s, id, opts.level);
      if (r.payload.length < s.length) {
        cid = id;
        payload = r.payload;
        blockLens = r.blockLens;
      }
    }
    w.u8(cid);
    w.varint(s.length);
    for (const b of blockLens) w.varint(b);
    out.push(payload);
  }
  return { id: CODER_STAGE_ID, params: w.finish(), streams: out, handled };
}

function inverse(params: Uint8Array, streams: Uint8Array[], ctx: DecodeContext): Uint8Array[] {
  const r = new ByteReader(params, ctx.where, 'coder params');
  const n = r.varint(0xffff);
  if (n !== streams.length) planFail(ctx, `coder: params describe ${n} streams, the plan stores ${streams.length}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.u8();
    const raw = r.varint();
    if (raw > ctx.maxBytes) throw new PaniniError('LIMIT', `${ctx.where}: coded stream ${i} declares ${raw} bytes, over the limit ${ctx.maxBytes}`);
    const c = coders().get(id);
    if (!c) throw new PaniniError('UNSUPPORTED', `${ctx.where}: stream ${i} uses coder id ${id}, which this decoder does not know`);
    const stored = streams[i]!;
    const B = c.maxBlock ?? Infinity;
    const wrap = (f: () => Uint8Array): Uint8Array => {
      try {
        return f();
      } catch (e) {
        if (e instanceof PaniniError) throw new PaniniError(e.code, `${ctx.where}: coder stream ${i} (${c.name}): ${e.message}`, undefined, { cause: e });
        throw e;
      }
    };
    if (raw <= B) {
      out.push(wrap(() => c.decode(stored, raw)));
      continue;
    }
    const blocks = Math.ceil(raw / B);
    const dst = new Uint8Array(raw);
    let p = 0;
    for (let b = 0; b < blocks; b++) {
      const plen = b < blocks - 1 ? r.varint(stored.length - p) : stored.length - p;
      const part = stored.subarray(p, p + plen);
      p += plen;
      const o = b * B;
      const n2 = Math.min(raw, o + B) - o;
      dst.set(wrap(() => c.decode(part, n2)), o);
    }
    out.push(dst);
  }
  r.end();
  return out;
}

export const CODER_STAGE: StageKind = { id: CODER_STAGE_ID, name: 'coder', dhatu: 'CODER', inverse };
