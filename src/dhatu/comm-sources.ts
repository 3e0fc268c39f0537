// COMM's sources(): the ranges of earlier output a COMM stage's ops read, from its params alone (the op layout is in
// docs/DHATU-COMM.md: per op a varint literal count, a varint code = 2·(length − 1) + repeat, and a varint
// distance − 1 unless repeat). Malformed ops are left to the inverse, which reports them precisely: here they end
// the scan.
import type { SourcesFn } from './stage.js';

export const commSources: SourcesFn = (params, ctx) => {
  const out: Array<[number, number]> = [];
  const base = ctx.recordOffset;
  let at = 0;
  let pos = 0;
  let last = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 5; k++) {
      if (at >= params.length) return -1;
      const b = params[at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    return -1;
  };
  while (at < params.length) {
    const lit = varint();
    const code = varint();
    if (lit < 0 || code < 0) break;
    pos += lit;
    const len = Math.floor(code / 2) + 1;
    let dist = last;
    if (code % 2 === 0) {
      const d = varint();
      if (d < 0) break;
      dist = d + 1;
    }
    if (dist === 0 || pos > ctx.recordLength) break;
    const src = pos - dist;
    if (src < 0) {
      const k = Math.min(len, -src);
      const last2 = out[out.length - 1];
      if (last2 && last2[0] + last2[1] === base + src) last2[1] += k;
      else out.push([base + src, k]);
    }
    pos += len;
    last = dist;
  }
  return out;
};
