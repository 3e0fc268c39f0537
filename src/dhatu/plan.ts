// The dhātu plan payload (container codec id 16): the stages a record went through, in encode order, and the final
// streams. decodePlan replays the inverses in reverse order; the result must be exactly one stream of the record's
// length. Layout (docs/DHATU.md "Plan payload"):
//
//   varint S (1–16)                     number of stages
//   S × { u8 id · varint handled · varint P · P bytes params }
//   varint N (0–4096)                   number of final streams
//   N × varint length
//   the N streams' bytes, concatenated
//
// Everything is bounded before it is allocated or run: stage count, stream count, stream lengths (≤ ctx.maxBytes),
// the bytes every stage's inverse returns (each stream ≤ ctx.maxBytes, the list's total ≤ 2 × ctx.maxBytes).
import { PaniniError } from '../errors.js';
import { stageKind } from './registry.js';
import type { DecodeContext, Dhatu, StageResult } from './stage.js';
import { planFail } from './stage.js';
import { ByteReader, ByteWriter } from './stages/bytes.js';

export const PLAN_MAX_STAGES = 16;
export const PLAN_MAX_STREAMS = 4096;

/** Writes a plan: `stages` in encode order (the last one's streams are the stored streams). */
export function writePlan(stages: readonly StageResult[]): Uint8Array {
  if (stages.length < 1 || stages.length > PLAN_MAX_STAGES) {
    throw new PaniniError('LIMIT', `a plan has 1–${PLAN_MAX_STAGES} stages, got ${stages.length}`);
  }
  const last = stages[stages.length - 1]!.streams;
  if (last.length > PLAN_MAX_STREAMS) throw new PaniniError('LIMIT', `a plan stores at most ${PLAN_MAX_STREAMS} streams, got ${last.length}`);
  let total = 64;
  for (const s of stages) total += s.params.length + 24;
  for (const s of last) total += s.length + 8;
  const w = new ByteWriter(total);
  w.varint(stages.length);
  for (const s of stages) {
    if (!Number.isInteger(s.id) || s.id < 1 || s.id > 255) throw new PaniniError('OPTION', `stage id ${s.id} out of range`);
    w.u8(s.id);
    w.varint(s.handled);
    w.varint(s.params.length);
    w.bytes(s.params);
  }
  w.varint(last.length);
  for (const s of last) w.varint(s.length);
  for (const s of last) w.bytes(s);
  return w.finish();
}

export interface ParsedStage {
  id: number;
  handled: number;
  params: Uint8Array;
}

function parse(payload: Uint8Array, where: string, maxBytes: number): { stages: ParsedStage[]; streams: Uint8Array[] } {
  const r = new ByteReader(payload, where, 'dhātu plan');
  const n = r.varint();
  if (n < 1 || n > PLAN_MAX_STAGES) r.fail(`stage count ${n} outside 1–${PLAN_MAX_STAGES}`);
  const stages: ParsedStage[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.u8();
    const handled = r.varint();
    const plen = r.varint(r.left);
    stages.push({ id, handled, params: r.bytes(plen) });
  }
  const m = r.varint();
  if (m > PLAN_MAX_STREAMS) r.fail(`stream count ${m} over ${PLAN_MAX_STREAMS}`);
  if (m > r.left) r.fail(`stream count ${m} exceeds the ${r.left} bytes left`);
  const lens: number[] = [];
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const len = r.varint();
    if (len > maxBytes) throw new PaniniError('LIMIT', `${where}: dhātu plan stream ${i} declares ${len} bytes, over the limit ${maxBytes}`);
    lens.push(len);
    sum += len;
  }
  if (sum !== r.left) r.fail(`streams declare ${sum} bytes, the payload has ${r.left}`);
  const streams = lens.map((len) => r.bytes(len));
  r.end();
  return { stages, streams };
}

/** Replays a plan: the record's bytes (exactly ctx.recordLength), or PaniniError FORMAT / LIMIT / UNSUPPORTED. */
export function decodePlan(payload: Uint8Array, ctx: DecodeContext): Uint8Array {
  const { stages, streams: stored } = parse(payload, ctx.where, ctx.maxBytes);
  let streams = stored;
  for (let i = stages.length - 1; i >= 0; i--) {
    const s = stages[i]!;
    const kind = stageKind(s.id);
    const out = kind.inverse(s.params, streams, ctx);
    if (!Array.isArray(out) || out.length > PLAN_MAX_STREAMS) planFail(ctx, `stage ${i} (${kind.name}) returned a bad stream list`);
    let total = 0;
    for (const o of out) {
      if (!(o instanceof Uint8Array)) planFail(ctx, `stage ${i} (${kind.name}) returned a non-byte stream`);
      if (o.length > ctx.maxBytes) throw new PaniniError('LIMIT', `${ctx.where}: stage ${i} (${kind.name}) made a stream of ${o.length} bytes, over ${ctx.maxBytes}`);
      total += o.length;
    }
    if (total > 2 * ctx.maxBytes) throw new PaniniError('LIMIT', `${ctx.where}: stage ${i} (${kind.name}) made ${total} bytes in all, over ${2 * ctx.maxBytes}`);
    streams = out;
  }
  if (streams.length !== 1) planFail(ctx, `dhātu plan ends with ${streams.length} streams, not 1`);
  const rec = streams[0]!;
  if (rec.length !== ctx.recordLength) planFail(ctx, `dhātu plan decodes to ${rec.length} bytes, the record has ${ctx.recordLength}`);
  return rec;
}

export interface PlanStageStat {
  id: number;
  /** the registered name, or `unknown-<id>` */
  name: string;
  dhatu: Dhatu | 'UNKNOWN';
  /** bytes of the record this stage handled (as the encoder stored it) */
  handled: number;
  /** params bytes */
  paramsBytes: number;
  /** the params themselves (a view into the payload) */
  params: Uint8Array;
}

/** The stages of a plan (encode order) without decoding it: for `inspect`'s dhātu distribution. */
export function planStats(payload: Uint8Array, where = 'dhātu plan'): { stages: PlanStageStat[]; streams: number[] } {
  const { stages, streams } = parse(payload, where, Number.MAX_SAFE_INTEGER);
  return {
    stages: stages.map((s) => {
      let name = `unknown-${s.id}`;
      let dhatu: Dhatu | 'UNKNOWN' = 'UNKNOWN';
      try {
        const k = stageKind(s.id);
        name = k.name;
        dhatu = k.dhatu;
      } catch {
        /* unknown ids are listed, not fatal */
      }
      return { id: s.id, name, dhatu, handled: s.handled, paramsBytes: s.params.length, params: s.params };
    }),
    streams: streams.map((s) => s.length),
  };
}

/** The stages of a plan (encode order) with their params, without decoding: what a decoder needs to run sources(). */
export function planStages(payload: Uint8Array, where = 'dhātu plan'): { id: number; handled: number; params: Uint8Array }[] {
  return parse(payload, where, Number.MAX_SAFE_INTEGER).stages;
}
