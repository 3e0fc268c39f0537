// SPLIT 34 `wasm`: WebAssembly function bodies into an opcode stream and immediate streams by kind.
//
// Outputs (k = 8): [rest, segments, ops, locals, calls, consts, memargs, other].
//   segments: varint pairs (r, c): copy r bytes from `rest`, then rebuild instructions until c bytes were produced.
//   Rebuilding one instruction: read its opcode byte from `ops` (for the prefixes 0xFC, 0xFD, 0xFE also the
//   sub-opcode, a LEB128 copied from `ops`), then its immediates from the stream of their kind, each copied as raw
//   bytes: a LEB128 is the bytes up to the first one below 0x80 (at most 10), fixed-size ones are n bytes.
//   Immediates by opcode (LEB unless said):
//     0x02 0x03 0x04 0x06 blocktype → other · 0x07 0x08 tag, 0x09 0x0C 0x0D 0x18 label → other
//     0x0E count n, then n + 1 labels → other
//     0x10 0x12 funcidx → calls · 0x11 0x13 typeidx, tableidx → calls · 0x1C count n, then n types → other
//     0x20–0x24 local/global index → locals · 0x25 0x26 table → other · 0x28–0x3E memarg → memargs
//     0x3F 0x40 memory → other · 0x41 0x42 → consts · 0x43 4 bytes, 0x44 8 bytes → consts
//     0xD0 0xD2 → other · 0xFC sub 8 10 12 14: two → other; 9 11 13 15 16 17: one → other; 0–7: none
//     0xFD sub 0–11, 92, 93 memarg → memargs; 84–91 memarg → memargs + 1 lane byte → other; 12, 13: 16 bytes →
//       consts; 21–34: 1 lane byte → other; other subs: none
//     0xFE sub 3: 1 byte → other; other subs: memarg → memargs
//     0x00 0x01 0x05 0x0A 0x0B 0x0F 0x19 0x1A 0x1B 0x45–0xC4 0xD1: none; any other opcode has no layout (FORMAT).
//   A memarg is align (LEB), then, when align has bit 6 set, a memory index (LEB), then offset (LEB).
//   Unknown opcodes do not occur in segments: the encoder leaves a body it cannot parse exactly in `rest`.
// The encoder takes the instruction bytes of every function body of the code section (after its locals) that
// parses exactly to the body's end, and checks the inverse before it returns (else null: not applicable).
// Inner params: none.
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { inverseAt, stageResult } from './select.js';

export const SPLIT_WASM = 34;

const OPS = 2, LOC = 3, CALL = 4, CONST = 5, MEM = 6, OTHER = 7;

// Immediate layouts (what follows an opcode), one small integer per opcode so both directions run one switch.
const NONE = 0, L_OTHER = 1, BR_TABLE = 2, L_CALL = 3, LL_CALL = 4, SELECT_T = 5, L_LOC = 6, MEMARG = 7, L_CONST = 8,
  F32 = 9, F64 = 10, PREFIX = 11, LL_OTHER = 12, MEMARG_LANE = 13, V128 = 14, LANE = 15, UNKNOWN = -1;

const PLAIN = new Int8Array(256).fill(UNKNOWN);
{
  const set = (a: number, b: number, v: number): void => {
    for (let i = a; i <= b; i++) PLAIN[i] = v;
  };
  for (const op of [0x00, 0x01, 0x05, 0x0a, 0x0b, 0x0f, 0x19, 0x1a, 0x1b, 0xd1]) PLAIN[op] = NONE;
  set(0x06, 0x09, L_OTHER); // legacy exceptions: try blocktype, catch tag, throw tag, rethrow label
  PLAIN[0x18] = L_OTHER; // delegate label
  set(0x02, 0x04, L_OTHER);
  set(0x0c, 0x0d, L_OTHER);
  PLAIN[0x0e] = BR_TABLE;
  PLAIN[0x10] = PLAIN[0x12] = L_CALL;
  PLAIN[0x11] = PLAIN[0x13] = LL_CALL;
  PLAIN[0x1c] = SELECT_T;
  set(0x20, 0x24, L_LOC);
  PLAIN[0x25] = PLAIN[0x26] = L_OTHER;
  set(0x28, 0x3e, MEMARG);
  PLAIN[0x3f] = PLAIN[0x40] = L_OTHER;
  PLAIN[0x41] = PLAIN[0x42] = L_CONST;
  PLAIN[0x43] = F32;
  PLAIN[0x44] = F64;
  set(0x45, 0xc4, NONE);
  PLAIN[0xd0] = PLAIN[0xd2] = L_OTHER;
  set(0xfc, 0xfe, PREFIX);
}

function prefixLayout(op: number, sub: number): number {
  if (op === 0xfc) {
    if (sub <= 7) return NONE;
    if (sub === 8 || sub === 10 || sub === 12 || sub === 14) return LL_OTHER;
    return sub <= 17 ? L_OTHER : UNKNOWN;
  }
  if (op === 0xfd) {
    if (sub <= 11 || sub === 92 || sub === 93) return MEMARG;
    if (sub >= 84 && sub <= 91) return MEMARG_LANE;
    if (sub === 12 || sub === 13) return V128;
    if (sub >= 21 && sub <= 34) return LANE;
    return sub <= 0x1ff ? NONE : UNKNOWN;
  }
  if (sub === 3) return LANE; // 0xfe atomic.fence
  return sub <= 0x4e ? MEMARG : UNKNOWN;
}

/** Length of the LEB128 at s[p] (≤ 10 bytes, before `end`), or −1. */
function lebLen(s: Uint8Array, p: number, end: number): number {
  const lim = Math.min(end, p + 10);
  for (let i = p; i < lim; i++) if (s[i]! < 0x80) return i + 1 - p;
  return -1;
}
function lebValue(s: Uint8Array, p: number, n: number): number {
  let v = 0;
  let m = 1;
  for (let i = 0; i < n && i < 7; i++) {
    v += (s[p + i]! & 0x7f) * m;
    m *= 128;
  }
  return v;
}

/**
 * Moves instructions between one interleaved byte array and the per-kind streams. `split` = true: reads `code`
 * from `cp` to `cEnd` and appends to `bufs` at `pos`; false: reads `bufs` at `pos` and writes `code` from `cp` to
 * exactly `cEnd`. Returns false when the bytes do not parse (encoder: leave the body raw; decoder: FORMAT).
 */
function transcode(code: Uint8Array, cp: number, cEnd: number, bufs: Uint8Array[], pos: Int32Array, split: boolean): boolean {
  const ops = bufs[OPS]!;
  while (cp < cEnd) {
    // the opcode
    let op: number;
    if (split) {
      op = code[cp++]!;
      ops[pos[OPS]!++] = op;
    } else {
      if (pos[OPS]! >= ops.length) return false;
      op = ops[pos[OPS]!++]!;
      code[cp++] = op;
    }
    let lay = PLAIN[op]!;

    if (lay === PREFIX) {
      // sub-opcode LEB, in the ops stream
      const n = split ? lebLen(code, cp, cEnd) : lebLen(ops, pos[OPS]!, ops.length);
      if (n < 0 || cp + n > cEnd) return false;
      const src = split ? code : ops;
      const sp = split ? cp : pos[OPS]!;
      const sub = lebValue(src, sp, n);
      if (split) for (let i = 0; i < n; i++) ops[pos[OPS]!++] = code[cp++]!;
      else for (let i = 0; i < n; i++) code[cp++] = ops[pos[OPS]!++]!;
      lay = prefixLayout(op, sub);
    }
    if (lay === UNKNOWN) return false;
    if (lay === NONE) continue;
    // the immediates: a short program of (stream, size) steps; size −1 = LEB
    let k1 = OTHER, s1 = -1, k2 = -1, s2 = -1;
    switch (lay) {
      case L_OTHER: break;
      case L_CALL: k1 = CALL; break;
      case LL_CALL: k1 = CALL; k2 = CALL; break;
      case LL_OTHER: k2 = OTHER; break;
      case L_LOC: k1 = LOC; break;
      case L_CONST: k1 = CONST; break;
      case F32: k1 = CONST; s1 = 4; break;
      case F64: k1 = CONST; s1 = 8; break;
      case V128: k1 = CONST; s1 = 16; break;
      case LANE: s1 = 1; break;
      case MEMARG: case MEMARG_LANE: k1 = MEM; break;
      case BR_TABLE: case SELECT_T: break;
    }
    for (let step = 0; step < 2; step++) {
      const k = step === 0 ? k1 : k2;
      const size = step === 0 ? s1 : s2;
      if (k < 0) break;
      const buf = bufs[k]!;
      // one LEB or raw run; for MEMARG (align [memidx] offset) and the counted lists, several LEBs
      let count = 1;
      let first = true;
      while (count > 0) {
        count--;
        let n: number;
        if (size > 0) n = size;
        else {
          n = split ? lebLen(code, cp, cEnd) : lebLen(buf, pos[k]!, buf.length);
          if (n < 0) return false;
        }
        if (cp + n > cEnd || (!split && pos[k]! + n > buf.length)) return false;
        const v = size > 0 ? 0 : split ? lebValue(code, cp, n) : lebValue(buf, pos[k]!, n);
        if (split) for (let i = 0; i < n; i++) buf[pos[k]!++] = code[cp++]!;
        else for (let i = 0; i < n; i++) code[cp++] = buf[pos[k]!++]!;
        if (first && step === 0) {
          if (lay === MEMARG || lay === MEMARG_LANE) count = v & 0x40 ? 2 : 1;
          else if (lay === BR_TABLE) count = v + 1;
          else if (lay === SELECT_T) count = v;
          if (count > cEnd - cp) return false; // every LEB is at least one byte
        }
        first = false;
      }
      if (lay === MEMARG_LANE && step === 0) {
        k2 = OTHER;
        s2 = 1;
      }
    }
  }
  return cp === cEnd;
}

function readLeb(s: Uint8Array, p: number, end: number): [number, number] | null {
  const n = lebLen(s, p, end);
  return n < 0 || n > 5 ? null : [lebValue(s, p, n), p + n];
}

export function splitWasmForward(streams: readonly Uint8Array[], sel: number): StageResult | null {
  const s = streams[sel]!;
  const n = s.length;
  if (n < 8 || s[0] !== 0 || s[1] !== 0x61 || s[2] !== 0x73 || s[3] !== 0x6d) return null;
  const bufs = Array.from({ length: 8 }, (_, k) => (k >= 2 ? new Uint8Array(n) : new Uint8Array(0)));
  const pos = new Int32Array(8);
  const rest = new ByteWriter(1 << 16);
  const segs = new ByteWriter(1 << 12);
  let restFrom = 0;
  let p = 8;
  let segsCount = 0;
  const save = new Int32Array(8);
  while (p < n) {
    const id = s[p]!;
    const sz = readLeb(s, p + 1, n);
    if (!sz) break;
    const [size, body] = sz;
    let secEnd = body + size;
    if (secEnd > n) {
      if (id !== 10) break;
      secEnd = n; // a record cut inside the code section: the bodies that fit
    }
    if (id === 10) {
      const cnt = readLeb(s, body, secEnd);
      if (!cnt) break;
      let q = cnt[1];
      for (let f = 0; f < cnt[0] && q < secEnd; f++) {
        const bs = readLeb(s, q, secEnd);
        if (!bs) break;
        const bodyEnd = bs[1] + bs[0];
        if (bodyEnd > secEnd) break;
        // locals: count, then (count, valtype byte) pairs — left in rest
        let r = bs[1];
        const lc = readLeb(s, r, bodyEnd);
        if (!lc) break;
        r = lc[1];
        let ok = true;
        for (let i = 0; i < lc[0] && ok; i++) {
          const a = readLeb(s, r, bodyEnd);
          if (!a || a[1] >= bodyEnd) ok = false;
          else r = a[1] + 1;
        }
        if (ok && r < bodyEnd) {
          save.set(pos);
          if (transcode(s, r, bodyEnd, bufs, pos, true)) {
            rest.bytes(s.subarray(restFrom, r));
            segs.varint(r - restFrom);
            segs.varint(bodyEnd - r);
            restFrom = bodyEnd;
            segsCount++;
          } else pos.set(save);
        }
        q = bodyEnd;
      }
    }
    p = secEnd;
  }
  if (segsCount === 0) return null;
  rest.bytes(s.subarray(restFrom, n));
  const out = bufs.map((b, k) => (k === 0 ? rest.finish() : k === 1 ? segs.finish() : b.slice(0, pos[k]!)));
  // safety net: what the decoder replays must be the input
  const check = wasmInverse(out, { recordOffset: 0, recordLength: n, maxBytes: Math.max(n, 1), where: 'wasm split check' });
  if (check.length !== n) return null;
  for (let i = 0; i < n; i++) if (check[i] !== s[i]) return null;
  return stageResult(SPLIT_WASM, streams, sel, new Uint8Array(0), out);
}

function wasmInverse(parts: Uint8Array[], ctx: DecodeContext): Uint8Array {
  let total = 0;
  for (let k = 0; k < 8; k++) if (k !== 1) total += parts[k]!.length;
  if (total > ctx.maxBytes) planFail(ctx, `wasm split: output of ${total} bytes exceeds the limit ${ctx.maxBytes}`);
  const out = new Uint8Array(total);
  let o = 0;
  const pos = new Int32Array(8);
  const rest = parts[0]!;
  const segs = new ByteReader(parts[1]!, ctx.where, 'wasm segments');
  while (segs.left > 0) {
    const r = segs.varint(total);
    const c = segs.varint(total);
    const rp = pos[0]!;
    if (rp + r > rest.length || o + r + c > total) planFail(ctx, 'wasm split: segment past the streams');
    out.set(rest.subarray(rp, rp + r), o);
    o += r;
    pos[0] = rp + r;
    if (!transcode(out, o, o + c, parts, pos, false)) planFail(ctx, 'wasm split: a segment does not rebuild (bad opcode or immediates)');
    o += c;
  }
  const rp = pos[0]!;
  if (o + rest.length - rp !== total) planFail(ctx, 'wasm split: streams not fully used');
  out.set(rest.subarray(rp), o);
  for (let k = 2; k < 8; k++) if (pos[k] !== parts[k]!.length) planFail(ctx, `wasm split: stream ${k} not fully used`);
  return out;
}

export const WASM_STAGES: StageKind[] = [
  {
    id: SPLIT_WASM,
    name: 'wasm',
    dhatu: 'SPLIT',
    inverse: (params, streams, ctx) => inverseAt('wasm', params, streams, ctx, () => ({ k: 8, run: (p) => wasmInverse(p, ctx) })),
  },
];
