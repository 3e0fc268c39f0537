// ITER: runs. Stage 16 `runs` moves every run of one byte value of at least `minRun` bytes out of a stream:
// outputs [literals, runs]; the runs stream holds, per run, varint gap (literal bytes before it, since the end of
// the previous run) · varint (length − minRun) · u8 byte. Inner params: varint minRun (1–65535).
// (Repeated fixed-size records are TRANS delta/xor at the record's stride; LZ matches already cover exact repeats.)
import type { DecodeContext, StageKind, StageResult } from '../stage.js';
import { planFail } from '../stage.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { checkSize, inverseAt, stageResult } from './select.js';

export const ITER_RUNS = 16;

/** Forward: moves runs of ≥ minRun equal bytes out of streams[sel]. */
export function iterRunsForward(streams: readonly Uint8Array[], sel: number, minRun = 32): StageResult {
  const s = streams[sel]!;
  const n = s.length;
  const lits = new Uint8Array(n);
  let nl = 0;
  const runs = new ByteWriter(256);
  let last = 0; // end of the previous run
  let i = 0;
  while (i < n) {
    const b = s[i]!;
    let j = i + 1;
    while (j < n && s[j] === b) j++;
    if (j - i >= minRun) {
      lits.set(s.subarray(last, i), nl);
      nl += i - last;
      runs.varint(i - last);
      runs.varint(j - i - minRun);
      runs.u8(b);
      last = j;
    }
    i = j;
  }
  lits.set(s.subarray(last, n), nl);
  nl += n - last;
  const p = new ByteWriter(4);
  p.varint(minRun);
  return stageResult(ITER_RUNS, streams, sel, p.finish(), [lits.slice(0, nl), runs.finish()]);
}

export const ITER_STAGES: StageKind[] = [
  {
    id: ITER_RUNS,
    name: 'runs',
    dhatu: 'ITER',
    inverse: (params, streams, ctx: DecodeContext) =>
      inverseAt('runs', params, streams, ctx, (r) => {
        const minRun = r.varint(0xffff);
        if (minRun < 1) r.fail('minRun 0');
        return {
          k: 2,
          run([lits, runsB]) {
            // pass 1: size
            const rr = new ByteReader(runsB!, ctx.where, 'runs stream');
            let total = lits!.length;
            let litUsed = 0;
            while (rr.left > 0) {
              const gap = rr.varint();
              const len = rr.varint() + minRun;
              rr.u8();
              litUsed += gap;
              total += len;
              if (litUsed > lits!.length) planFail(ctx, 'runs: gaps exceed the literal stream');
              checkSize(ctx, 'runs', total);
            }
            const out = new Uint8Array(total);
            rr.pos = 0;
            let o = 0;
            let l = 0;
            while (rr.left > 0) {
              const gap = rr.varint();
              const len = rr.varint() + minRun;
              const b = rr.u8();
              out.set(lits!.subarray(l, l + gap), o);
              o += gap;
              l += gap;
              out.fill(b, o, o + len);
              o += len;
            }
            out.set(lits!.subarray(l), o);
            return out;
          },
        };
      }),
  },
];
