// Stages other than CODER transform one stream of the current list: their params begin with a varint `sel`, the
// index of that stream. Forward replaces streams[sel] by the stage's k outputs (in place, the others keep their
// order); the inverse takes streams[sel .. sel+k) back to one stream. These helpers do the bookkeeping and checks.
import type { DecodeContext, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { ByteReader, ByteWriter } from './bytes.js';

/** Forward bookkeeping: the new stream list with streams[sel] replaced by `outs`. */
export function replaceAt(streams: readonly Uint8Array[], sel: number, outs: Uint8Array[]): Uint8Array[] {
  return [...streams.slice(0, sel), ...outs, ...streams.slice(sel + 1)];
}

/** Builds a StageResult: params = varint sel + `inner`, streams = streams with streams[sel] replaced by `outs`. */
export function stageResult(id: number, streams: readonly Uint8Array[], sel: number, inner: Uint8Array, outs: Uint8Array[]): StageResult {
  const w = new ByteWriter(inner.length + 8);
  w.varint(sel);
  w.bytes(inner);
  return { id, params: w.finish(), streams: replaceAt(streams, sel, outs), handled: streams[sel]!.length };
}

/**
 * Inverse bookkeeping: reads `sel`, lets `parse` read the rest of the params and say how many streams (k) the stage
 * produced, checks that they exist, runs `run` on them and returns the list with the k streams replaced by its result.
 */
export function inverseAt(
  name: string,
  params: Uint8Array,
  streams: Uint8Array[],
  ctx: DecodeContext,
  parse: (r: ByteReader) => { k: number; run(parts: Uint8Array[]): Uint8Array },
): Uint8Array[] {
  const r = new ByteReader(params, ctx.where, `${name} params`);
  const sel = r.varint(0xffff);
  const op = parse(r);
  r.end();
  if (sel + op.k > streams.length) planFail(ctx, `${name}: needs streams ${sel}..${sel + op.k - 1}, the plan has ${streams.length}`);
  const out = op.run(streams.slice(sel, sel + op.k));
  if (out.length > ctx.maxBytes) planFail(ctx, `${name}: output of ${out.length} bytes exceeds the limit ${ctx.maxBytes}`);
  return [...streams.slice(0, sel), out, ...streams.slice(sel + op.k)];
}

/** Throws FORMAT unless `n` ≤ ctx.maxBytes (call before allocating an output of n bytes). */
export function checkSize(ctx: DecodeContext, name: string, n: number): void {
  if (!(n <= ctx.maxBytes)) planFail(ctx, `${name}: output of ${n} bytes exceeds the limit ${ctx.maxBytes}`);
}
